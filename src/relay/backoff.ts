// When to try again: the shared retry stage's arithmetic. Integrations (slack/webhook.ts) decide
// *whether* a failure is worth retrying; this file decides *when* (exponential backoff with full
// jitter, see https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/), and how
// to read Slack's Retry-After header.

export const DEFAULT_BASE_BACKOFF_MS = 1_000;
export const DEFAULT_MAX_BACKOFF_MS = 5 * 60_000;
/** A Retry-After we will not honour past this: a broken proxy must not park a channel for days. */
export const MAX_RETRY_AFTER_MS = 60 * 60_000;
/** Used when Slack says 429 but sends no usable Retry-After. */
export const DEFAULT_RETRY_AFTER_MS = 1_000;

export interface BackoffPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
}

/**
 * Delay before retry number `attempt` (1 = the first retry): uniformly random in
 * [0, min(maxMs, baseMs * 2^(attempt-1))]. Full jitter spreads the retries of many channels that
 * failed together (a Slack outage) instead of sending them back in lockstep.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exp = Math.min(Math.max(attempt, 1) - 1, 30);
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** exp);
  return Math.floor(random() * ceiling);
}

/**
 * Retry-After as milliseconds from `nowMs`: either delay-seconds ("30") or an HTTP-date (RFC 9110
 * section 10.2.3). Returns undefined when absent or unreadable; clamps to [0, MAX_RETRY_AFTER_MS].
 */
export function parseRetryAfter(header: string | null | undefined, nowMs: number = Date.now()): number | undefined {
  if (header === null || header === undefined) return undefined;
  const value = header.trim();
  if (value === '') return undefined;
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(value)) {
    ms = Math.ceil(Number(value) * 1000);
  } else if (/[a-z]/i.test(value)) {
    // An HTTP-date always has a weekday and a month name.
    const at = Date.parse(value);
    if (Number.isNaN(at)) return undefined;
    ms = at - nowMs;
  } else {
    return undefined;
  }
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}
