// One notifier per way out (Slack incoming webhook, Slack app, console). A notifier sends one
// message and classifies the outcome: it decides *whether* a failure is worth retrying; the
// dispatcher (dispatcher.ts with backoff.ts) decides *when*. Notifiers never throw for delivery
// failures and never put secrets (webhook URLs, tokens) in `detail`.
import type { SlackMessage } from './types.js';

/** A small fixed set, used as a metric label. */
export type FailureReason = 'rateLimited' | 'serverError' | 'clientError' | 'authError' | 'timeout' | 'network';

export const FAILURE_REASONS: readonly FailureReason[] = [
  'rateLimited',
  'serverError',
  'clientError',
  'authError',
  'timeout',
  'network',
] as const;

export type SendResult =
  | { ok: true }
  | {
      ok: false;
      /** True when the same message may succeed later (5xx, 429, timeout, network). */
      retry: boolean;
      reason: FailureReason;
      /** Set for 429: how long the destination asked us to wait. */
      retryAfterMs?: number;
      /** Human readable, secret free: status and Slack's error string, or the network error code. */
      detail: string;
    };

export interface Notifier {
  /** What kind of way out this is, e.g. "slack-webhook" or "console"; for logs. */
  readonly kind: string;
  send(message: SlackMessage, signal?: AbortSignal): Promise<SendResult>;
}

/**
 * Writes each message as text (e.g. to stdout, see src/log.ts: logs go to stderr). `render` turns
 * the Slack message into text; a failing write (EPIPE, a closed stream) is retryable.
 */
export function createConsoleNotifier(write: (text: string) => void, render: (m: SlackMessage) => string): Notifier {
  return {
    kind: 'console',
    async send(message: SlackMessage, signal?: AbortSignal): Promise<SendResult> {
      if (signal?.aborted) return { ok: false, retry: true, reason: 'network', detail: 'aborted before sending' };
      let text: string;
      try {
        text = render(message);
      } catch (err) {
        // The same message would fail the same way again.
        return { ok: false, retry: false, reason: 'clientError', detail: `cannot render message: ${(err as Error).message}` };
      }
      try {
        write(text);
        return { ok: true };
      } catch (err) {
        const code = (err as NodeJS.ErrnoException | undefined)?.code;
        return {
          ok: false,
          retry: true,
          reason: 'serverError',
          detail: `console write failed${code ? `: ${code}` : ''}`,
        };
      }
    },
  };
}
