// The Slack incoming-webhook integration: formats with slack/format.ts, posts one message with
// @slack/webhook and maps Slack's answer to a DeliveryOutcome (delivered, retry, permanent or
// unknown, with a reason from the fixed set).
//
// @slack/webhook 8 (checked on 8.0.2) posts with fetch and by default does not retry
// (retryConfig {retries: 0}), has no timeout (timeout 0) and turns a 429 into a plain HTTP error
// without its headers. So: retries are off here on purpose (the dispatcher retries, with the
// outbox behind it); the timeout is set; and a fetch wrapper passed through its `fetch` option keeps
// the Retry-After header and adds the caller's abort signal.
//
// Slack's answers (https://api.slack.com/messaging/webhooks#handling_errors and the 2016-05-17
// changelog "Changes to errors for incoming webhooks"): 200 with the body `ok` is the only success.
// 400 invalid_payload / invalid_blocks / no_text / too_many_attachments / user_not_found, 403
// action_prohibited / invalid_token / team_disabled, 404 channel_not_found / no_service /
// no_service_id / no_team / no_active_hooks, 410 channel_is_archived: permanent. 429 rate_limited
// with Retry-After (seconds), 5xx (rollup_error): retry.
//
// The webhook URL is a secret (whoever has it can post to the channel): it never appears in a
// DeliveryOutcome, a thrown error or a log line. Slack's own error bodies are short codes; anything we
// echo is still passed through redact().
import {
  IncomingWebhook,
  IncomingWebhookHTTPError,
  IncomingWebhookRequestError,
  type FetchFunction,
  type IncomingWebhookSendArguments,
} from '@slack/webhook';
import { redactedExcerpt, redactor } from '../../config/secret.js';
import { webhookUrlProblem } from '../../config/webhook-url.js';
import { DEFAULT_RETRY_AFTER_MS, parseRetryAfter } from '../backoff.js';
import type { DeliveryOutcome, FailureReason, Integration } from '../delivery/integration.js';
import { boundedFetch } from '../delivery/bounded-fetch.js';
import type { OutboxEntry, SlackMessage } from '../types.js';
import { formatDigest, formatNotification } from './format.js';

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;

/** Slack error strings meaning the webhook itself is gone or not ours: fix the configuration. */
const AUTH_ERRORS = new Set(['invalid_token', 'no_service', 'no_service_id', 'no_team', 'no_active_hooks', 'team_disabled']);

export class WebhookConfigError extends Error {
  override readonly name = 'WebhookConfigError';
}

export interface WebhookPostOptions {
  readonly url: string;
  /** Per request, connection to last body byte. */
  readonly timeoutMs?: number;
  /** For tests; defaults to the global fetch. */
  readonly fetch?: typeof globalThis.fetch;
}

/** Posts one message to one webhook URL; never throws for delivery failures. */
export type WebhookPoster = (message: SlackMessage, signal?: AbortSignal) => Promise<DeliveryOutcome>;

export function createWebhookPoster(opts: WebhookPostOptions): WebhookPoster {
  const { url } = opts;
  const problem = webhookUrlProblem(url);
  if (problem) throw new WebhookConfigError(`the Slack webhook URL ${problem}`);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
  const baseFetch = opts.fetch ?? globalThis.fetch;
  const redact = redactor(url);

  return async (message, signal) => {
    if (signal?.aborted) return aborted();
    let retryAfter: string | null = null;
    // A fresh IncomingWebhook per send (a few object fields) so the captured Retry-After
    // belongs to this request even when sends to one webhook overlap.
    const bounded = boundedFetch(baseFetch, signal);
    const fetchFn: FetchFunction = async (input, init) => {
      // The library asks for redirect: 'error', which turns a 3xx into a network error, retried
      // for hours. 'manual' hands us the 3xx itself (not followed: the message must not go to
      // wherever a Location points), so classifyResponse can call it permanent.
      const res = await bounded(input, { ...init, redirect: 'manual' });
      retryAfter = res.headers.get('retry-after');
      return res;
    };
    const webhook = new IncomingWebhook(url, { timeout: timeoutMs, retryConfig: { retries: 0 }, fetch: fetchFn });
    try {
      const result = await webhook.send(message as unknown as IncomingWebhookSendArguments);
      return classifyResponse(200, result.text, null, redact);
    } catch (err) {
      if (err instanceof IncomingWebhookHTTPError) {
        return classifyResponse(err.statusCode, err.body, retryAfter, redact);
      }
      if (signal?.aborted) return aborted();
      const original = err instanceof IncomingWebhookRequestError ? err.original : err;
      return classifyRequestError(original, timeoutMs, redact);
    }
  };
}

export interface SlackWebhookIntegrationOptions {
  readonly timeoutMs?: number;
  /** IANA zone for times in messages. */
  readonly timeZone: string;
  /** The message for one entry or a digest; the default is slack/format.ts. Tests pass their own. */
  readonly format?: (entries: readonly OutboxEntry[], newer: readonly OutboxEntry[]) => SlackMessage;
  readonly fetch?: typeof globalThis.fetch;
}

/** The Slack incoming-webhook integration: formats with slack/format.ts, posts to the destination's URL. */
export function createSlackWebhookIntegration(opts: SlackWebhookIntegrationOptions): Integration {
  const format =
    opts.format ??
    ((entries: readonly OutboxEntry[], newer: readonly OutboxEntry[]): SlackMessage => {
      const first = entries[0]!;
      const fo = { timeZone: opts.timeZone, presentation: first.presentation, acceptedAt: first.acceptedAt, newer };
      return entries.length === 1 ? formatNotification(first.notification, fo) : formatDigest(entries.map((e) => e.notification), fo);
    });
  // One poster per URL (its redactor is built once); rebuilt when a channel's URL changes.
  const posters = new Map<string, { url: string; post: WebhookPoster }>();
  return {
    type: 'slack',
    async deliver({ destination, entries, newer, signal }) {
      const url = destination.webhookUrl?.reveal();
      if (url === undefined) return { kind: 'permanent', reason: 'clientError', detail: 'the destination has no webhook URL' };
      let poster = posters.get(destination.name);
      if (poster?.url !== url) {
        try {
          poster = { url, post: createWebhookPoster({ url, timeoutMs: opts.timeoutMs, fetch: opts.fetch }) };
        } catch (err) {
          return { kind: 'permanent', reason: 'clientError', detail: (err as Error).message };
        }
        posters.set(destination.name, poster);
      }
      let message: SlackMessage;
      try {
        message = format(entries, newer ?? []);
      } catch (err) {
        return { kind: 'unformattable', detail: err instanceof Error ? err.message : String(err) };
      }
      return poster.post(message, signal);
    },
  };
}

function aborted(): DeliveryOutcome {
  // Shutdown: the request may have gone out before the abort.
  return { kind: 'unknown', reason: 'network', detail: 'request aborted' };
}

/** Maps an HTTP answer from Slack to a DeliveryOutcome. Exported for tests. */
export function classifyResponse(
  status: number,
  body: string,
  retryAfterHeader: string | null,
  redact: (s: string) => string = (s) => s,
  nowMs: number = Date.now(),
): DeliveryOutcome {
  const code = shortBody(body, redact);
  const detail = `HTTP ${status}${code ? ` ${code}` : ''}`;
  if (status === 200 && body.trim() === 'ok') return { kind: 'delivered' };
  if (status >= 200 && status < 300) {
    // Not Slack's success answer: something in between (a proxy, a captive portal) answered.
    // Whether the message got through is unknown, so try again.
    return { kind: 'unknown', reason: 'serverError', detail: `unexpected answer ${detail}` };
  }
  if (status === 429) {
    return {
      kind: 'retry',
      reason: 'rateLimited',
      retryAfterMs: parseRetryAfter(retryAfterHeader, nowMs) ?? DEFAULT_RETRY_AFTER_MS,
      detail,
    };
  }
  if (status >= 500) return retry('serverError', detail);
  if (status === 408) return retry('timeout', detail);
  if (status === 401) return permanent('authError', detail);
  if (status === 403 || status === 404) {
    return permanent(AUTH_ERRORS.has(body.trim()) ? 'authError' : 'clientError', detail);
  }
  if (status >= 400) return permanent('clientError', detail);
  if (status >= 300) {
    // Slack's webhooks never redirect: the URL is wrong (moved, mistyped, a proxy's login page).
    // The Location is not shown: it may repeat the secret URL.
    return permanent('clientError', `HTTP ${status} redirect, not followed: check the webhook URL`);
  }
  // 1xx reaching here: not an answer Slack gives.
  return permanent('clientError', detail);
}

function classifyRequestError(err: unknown, timeoutMs: number, redact: (s: string) => string): DeliveryOutcome {
  const e = err as (Error & { cause?: unknown }) | undefined;
  if (e?.name === 'TimeoutError') {
    return unknown('timeout', `no answer within ${timeoutMs} ms`);
  }
  const cause = e?.cause as (Error & { code?: string }) | undefined;
  const code = cause?.code ?? (e as { code?: string } | undefined)?.code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'ETIMEDOUT') {
    return unknown('timeout', `network timeout: ${code}`);
  }
  const text = code ?? cause?.message ?? e?.message ?? String(err);
  // A connection refused never carried the message, but telling that apart from a reset after the
  // body went out is guesswork: every network error counts as a possible delivery.
  return unknown('network', `network error: ${redactedExcerpt(text, 200, redact)}`);
}

function retry(reason: FailureReason, detail: string): DeliveryOutcome {
  return { kind: 'retry', reason, detail };
}

function permanent(reason: FailureReason, detail: string): DeliveryOutcome {
  return { kind: 'permanent', reason, detail };
}

function unknown(reason: FailureReason, detail: string): DeliveryOutcome {
  return { kind: 'unknown', reason, detail };
}

function shortBody(body: string, redact: (s: string) => string): string {
  return redactedExcerpt(body, 120, redact);
}

// Kept here for the callers that import it from the webhook integration.
export { redactor };

/** A loggable name for a webhook: scheme and host only. */
export function describeWebhook(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/[redacted]`;
  } catch {
    return '[invalid webhook URL]';
  }
}
