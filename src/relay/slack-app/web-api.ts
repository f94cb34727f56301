// One Slack Web API call (chat.postMessage, chat.update) through @slack/web-api, its answer mapped
// to a DeliveryOutcome the way the webhook integration maps a webhook's.
//
// @slack/web-api 8 (checked on 8.2.0) posts with fetch. By default it retries ten times over about
// thirty minutes, waits out 429s itself (pausing its queue), has no timeout and logs to the
// console. Here: retries off and rate limits rejected (rejectRateLimitedCalls), so the dispatcher's
// retry stage decides when, with the outbox behind it; a timeout, plus the dispatcher's abort signal
// through a fetch wrapper (the client has no per-call signal); and a logger that says nothing
// (standard output carries the console destination's messages).
//
// Slack's answers (https://api.slack.com/web#responses, the methods' error lists): HTTP 200 with
// {"ok":true,...} or {"ok":false,"error":"code"}; HTTP 429 with Retry-After (seconds) and
// {"ok":false,"error":"ratelimited"}; 5xx when Slack is unwell. The token never appears in an
// outcome or a log line: details carry Slack's error code, or an excerpt passed through a redactor.
import { LogLevel, WebAPIHTTPError, WebAPIPlatformError, WebAPIRateLimitedError, WebAPIRequestError, WebClient, type Logger } from '@slack/web-api';
import { redactedExcerpt, secretRedactor } from '../../config/secret.js';
import { boundedFetch } from '../delivery/bounded-fetch.js';
import type { DeliveryOutcome, FailureReason } from '../delivery/integration.js';

/** Errors that mean the token is not (or no longer) good: fix the app's installation. */
const AUTH_ERRORS = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'missing_scope',
  'no_permission',
  'team_access_not_granted',
  'ekm_access_denied',
  'org_login_required',
  'not_allowed_token_type',
]);

/** Errors that sending the same request again would repeat: fix the config or the message. */
const CLIENT_ERRORS = new Set([
  'not_in_channel',
  'channel_not_found',
  'is_archived',
  'msg_too_long',
  'no_text',
  'invalid_blocks',
  'invalid_attachments',
  'too_many_attachments',
  'restricted_action',
  'restricted_action_read_only_channel',
  'restricted_action_thread_only_channel',
  'restricted_action_non_threadable_channel',
  'cannot_reply_to_message',
  'invalid_arguments',
  'invalid_arg_name',
  'invalid_form_data',
  'invalid_post_type',
  'missing_post_type',
  'invalid_json',
  'json_not_object',
  'duplicate_channel_not_found',
  'as_user_not_supported',
  'method_deprecated',
  'deprecated_endpoint',
]);

/** Slack says try again. */
const RETRY_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'ratelimited', 'team_added_to_org']);

/** chat.update errors meaning the parent is gone or no longer editable: post a new one. */
export const PARENT_GONE_ERRORS = new Set(['message_not_found', 'cant_update_message', 'edit_window_closed', 'thread_not_found']);

const QUIET: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => LogLevel.ERROR,
  setName: () => undefined,
};

export interface CallOptions {
  readonly token: string;
  readonly apiUrl: string;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}

export type CallResult =
  | { readonly ok: true; readonly result: Record<string, unknown> }
  /** `error`: Slack's error code when Slack answered with one. */
  | { readonly ok: false; readonly outcome: Exclude<DeliveryOutcome, { kind: 'delivered' | 'unformattable' }>; readonly error?: string };

/** Calls one Web API method; never throws for delivery failures. */
export async function callSlack(method: 'chat.postMessage' | 'chat.update' | 'auth.test', args: Record<string, unknown>, o: CallOptions): Promise<CallResult> {
  const redact = secretRedactor([o.token]);
  if (o.signal.aborted) return { ok: false, outcome: { kind: 'retry', reason: 'network', detail: 'aborted before sending' } };
  const client = new WebClient(o.token, {
    slackApiUrl: o.apiUrl.endsWith('/') ? o.apiUrl : `${o.apiUrl}/`,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: o.timeoutMs,
    logger: QUIET,
    // The library asks for redirect: 'error' (a redirect becomes a network error): kept.
    fetch: boundedFetch(fetch, o.signal),
  });
  try {
    const result = (await client.apiCall(method, args)) as unknown as Record<string, unknown>;
    return { ok: true, result };
  } catch (err) {
    return { ok: false, ...classifyError(err, o, redact) };
  }
}

function classifyError(err: unknown, o: CallOptions, redact: (s: string) => string): Omit<Extract<CallResult, { ok: false }>, 'ok'> {
  if (err instanceof WebAPIRateLimitedError) {
    return { outcome: { kind: 'retry', reason: 'rateLimited', retryAfterMs: Math.max(0, err.retryAfter) * 1000, detail: 'HTTP 429 ratelimited' }, error: 'ratelimited' };
  }
  if (err instanceof WebAPIPlatformError) {
    const code = redactedExcerpt(String(err.data.error), 80, redact);
    const detail = `Slack error ${code}`;
    if (RETRY_ERRORS.has(code)) return { outcome: { kind: 'retry', reason: 'serverError', detail }, error: code };
    if (AUTH_ERRORS.has(code)) return { outcome: { kind: 'permanent', reason: 'authError', detail }, error: code };
    if (CLIENT_ERRORS.has(code) || PARENT_GONE_ERRORS.has(code)) return { outcome: { kind: 'permanent', reason: 'clientError', detail }, error: code };
    // An error this code does not know: Slack answered, so it is not a network problem; refusing
    // for good would lose the notice, so it is retried until the retry horizon.
    return { outcome: { kind: 'retry', reason: 'clientError', detail }, error: code };
  }
  if (err instanceof WebAPIHTTPError) {
    const detail = `HTTP ${err.statusCode}${typeof err.body === 'string' && err.body ? ` ${redactedExcerpt(err.body, 120, redact)}` : ''}`;
    if (err.statusCode >= 500) return { outcome: { kind: 'retry', reason: 'serverError', detail } };
    if (err.statusCode === 408) return { outcome: { kind: 'retry', reason: 'timeout', detail } };
    if (err.statusCode === 401 || err.statusCode === 403) return { outcome: { kind: 'permanent', reason: 'authError', detail } };
    return { outcome: { kind: 'permanent', reason: 'clientError', detail } };
  }
  const original = err instanceof WebAPIRequestError ? err.original : (err as Error | undefined);
  if (o.signal.aborted) return { outcome: unknown('network', 'request aborted') };
  if (original?.name === 'TimeoutError' || original?.name === 'AbortError') return { outcome: unknown('timeout', `no answer within ${o.timeoutMs} ms`) };
  const cause = (original as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const text = cause?.code ?? cause?.message ?? original?.message ?? String(err);
  // As for the webhook: a connection refused is told from a reset after sending only by guesswork.
  return { outcome: unknown('network', `network error: ${redactedExcerpt(text, 200, redact)}`) };
}

function unknown(reason: FailureReason, detail: string): Exclude<DeliveryOutcome, { kind: 'delivered' | 'unformattable' }> {
  return { kind: 'unknown', reason, detail };
}
