// The console integration: each notification as readable text (slack/console.ts formatConsole) on
// standard output, or wherever `write` puts it. Logs go to stderr, so stdout carries only messages.
// A failed write is a `retry` outcome: the notification stays pending and the dispatcher's retry
// stage takes over.
import type { DeliveryOutcome, Integration } from '../delivery/integration.js';
import { formatConsole } from '../slack/console.js';

/** Writes one message; may return a promise. Rejects (or throws) when the output is broken. */
export type ConsoleWrite = (text: string) => unknown;

export interface ConsoleIntegrationOptions {
  readonly write: ConsoleWrite;
  /** IANA zone for times in messages. */
  readonly timeZone: string;
}

export function createConsoleIntegration(opts: ConsoleIntegrationOptions): Integration {
  return {
    type: 'console',
    async deliver({ entries, signal }): Promise<DeliveryOutcome> {
      if (signal.aborted) return { kind: 'retry', reason: 'network', detail: 'aborted before writing' };
      let text: string;
      try {
        // A digest is simply the notifications one after another.
        text = entries
          .map((e) => formatConsole(e.notification, { timeZone: opts.timeZone, presentation: e.presentation }))
          .join('\n\n');
      } catch (err) {
        return { kind: 'unformattable', detail: err instanceof Error ? err.message : String(err) };
      }
      try {
        await opts.write(text);
        return { kind: 'delivered' };
      } catch (err) {
        const code = (err as NodeJS.ErrnoException | undefined)?.code;
        return { kind: 'retry', reason: 'network', detail: `console write failed${code ? `: ${code}` : ''}` };
      }
    },
  };
}

