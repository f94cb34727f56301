// The incoming-webhook notifier against a fake Slack on a real local socket: every answer Slack
// gives maps to the right SendResult, and the webhook URL (a secret) never leaks.
import t from 'tap';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { parseRetryAfter, backoffDelay } from '../../src/relay/backoff.js';
import { createConsoleNotifier, type SendResult } from '../../src/relay/notifier.js';
import {
  classifyResponse,
  createWebhookNotifier,
  describeWebhook,
  redactor,
  WebhookConfigError,
} from '../../src/relay/slack/webhook.js';
import type { SlackMessage } from '../../src/relay/types.js';
import { FakeSlack, type FakeSlackMode, type SlackErrorCode } from '../helpers/fake-slack.js';
import { checkSlackLimits } from '../../src/relay/slack/limits.js';

const SECRET = 'xoxSeCrEtT0kenZZ9';
const PATH = `/services/T0AAA1111/B0BBB2222/${SECRET}`;
const message: SlackMessage = { text: 'DiskFull on db-1', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*DiskFull*' } }] };

/** The secret parts of the webhook URL found in a result (none expected). */
function leaks(r: SendResult, url: string): string[] {
  const text = JSON.stringify(r);
  return [SECRET, url, 'B0BBB2222', 'T0AAA1111'].filter((s) => text.includes(s));
}

t.test('classification of every answer Slack gives', async (t) => {
  const slack = await FakeSlack.start();
  t.teardown(() => slack.close());
  const url = slack.url(PATH);
  const notifier = createWebhookNotifier({ url, timeoutMs: 2000 });
  t.equal(notifier.kind, 'slack-webhook');

  const cases: [string, FakeSlackMode, Partial<Extract<SendResult, { ok: false }>> | { ok: true }][] = [
    ['200 ok', { kind: 'ok' }, { ok: true }],
    ['200 other body', { kind: 'okBody', body: '<html>login</html>' }, { ok: false, retry: true, reason: 'serverError' }],
    ['429', { kind: 'rateLimited', retryAfterSeconds: 7 }, { ok: false, retry: true, reason: 'rateLimited', retryAfterMs: 7000 }],
    ['500', { kind: 'serverError' }, { ok: false, retry: true, reason: 'serverError', detail: 'HTTP 500 rollup_error' }],
    ['503', { kind: 'serverError', status: 503, body: 'upstream unavailable' }, { ok: false, retry: true, reason: 'serverError' }],
  ];
  const permanent: [SlackErrorCode, number, 'clientError' | 'authError'][] = [
    ['invalid_payload', 400, 'clientError'],
    ['invalid_blocks', 400, 'clientError'],
    ['no_text', 400, 'clientError'],
    ['too_many_attachments', 400, 'clientError'],
    ['invalid_token', 403, 'authError'],
    ['action_prohibited', 403, 'clientError'],
    ['team_disabled', 403, 'authError'],
    ['channel_not_found', 404, 'clientError'],
    ['no_service', 404, 'authError'],
    ['no_team', 404, 'authError'],
    ['channel_is_archived', 410, 'clientError'],
  ];
  for (const [error, status, reason] of permanent) {
    cases.push([`${status} ${error}`, { kind: 'slackError', error }, { ok: false, retry: false, reason, detail: `HTTP ${status} ${error}` }]);
  }
  for (const [name, mode, want] of cases) {
    slack.setMode(PATH, mode);
    const r = await notifier.send(message);
    t.match(r, want, name);
    t.same(leaks(r, url), [], 'no part of the URL in the result');
  }
  const last = slack.requestsTo(PATH).at(-1)!;
  t.equal(last.method, 'POST');
  t.match(last.headers['content-type'], /application\/json/);
  t.same(last.body, message, 'the message is posted as is');
});

t.test('fail N times then ok', async (t) => {
  const slack = await FakeSlack.start();
  t.teardown(() => slack.close());
  slack.setMode(PATH, { kind: 'failThenOk', failures: 2, fail: { kind: 'serverError' } });
  const notifier = createWebhookNotifier({ url: slack.url(PATH) });
  t.match(await notifier.send(message), { ok: false, reason: 'serverError' });
  t.match(await notifier.send(message), { ok: false, reason: 'serverError' });
  t.same(await notifier.send(message), { ok: true });
  t.equal(slack.requestsTo(PATH).length, 3, 'no retries inside the library: one request per send');
});

t.test('a hanging Slack is a timeout; a closed port is a network error; neither leaks the URL', async (t) => {
  const slack = await FakeSlack.start();
  t.teardown(() => slack.close());
  slack.setMode(PATH, { kind: 'hang' });
  const url = slack.url(PATH);
  const started = performance.now();
  const r = await createWebhookNotifier({ url, timeoutMs: 200 }).send(message);
  const took = performance.now() - started;
  t.match(r, { ok: false, retry: true, reason: 'timeout', detail: 'no answer within 200 ms' });
  t.ok(took >= 190 && took < 2000, `gave up after ${took.toFixed(0)} ms`);
  t.same(leaks(r, url), [], 'no part of the URL in the result');

  // A port nobody listens on.
  const port = await new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const deadUrl = `http://127.0.0.1:${port}${PATH}`;
  const r2 = await createWebhookNotifier({ url: deadUrl, timeoutMs: 2000 }).send(message);
  t.match(r2, { ok: false, retry: true, reason: 'network', detail: /ECONNREFUSED/ });
  t.same(leaks(r2, deadUrl), [], 'no part of the URL in the result');
});

t.test('the caller can abort a send (shutdown)', async (t) => {
  const slack = await FakeSlack.start();
  t.teardown(() => slack.close());
  slack.setMode(PATH, { kind: 'hang' });
  const ac = new AbortController();
  const pending = createWebhookNotifier({ url: slack.url(PATH), timeoutMs: 5000 }).send(message, ac.signal);
  await slack.waitForRequests(PATH, 1);
  ac.abort();
  t.match(await pending, { ok: false, retry: true, reason: 'network', detail: 'request aborted' });
  t.match(await createWebhookNotifier({ url: slack.url(PATH) }).send(message, ac.signal), { ok: false, detail: 'request aborted' });
});

t.test('errors from fetch itself are redacted', async (t) => {
  const url = `https://hooks.example.invalid${PATH}`;
  // A fetch that fails the way undici does for a bad URL: the URL inside the message.
  const leaky: typeof fetch = async (input) => {
    throw new TypeError(`Failed to parse URL from ${String(input)}`);
  };
  const r = await createWebhookNotifier({ url, fetch: leaky }).send(message);
  t.match(r, { ok: false, retry: true, reason: 'network' });
  t.same(leaks(r, url), [], 'no part of the URL in the result');

  const withCause: typeof fetch = async (input) => {
    throw new TypeError('fetch failed', { cause: new Error(`connect to ${String(input)} refused`) });
  };
  const r2 = await createWebhookNotifier({ url, fetch: withCause }).send(message);
  t.same(leaks(r2, url), [], 'no part of the URL in the result');
  t.match(r2, { detail: /\[redacted\]/ });
});

t.test('invalid URLs are refused without echoing them', async (t) => {
  for (const bad of [`hooks.slack.com${PATH}`, `ftp://hooks.slack.com${PATH}`]) {
    try {
      createWebhookNotifier({ url: bad });
      t.fail('should throw');
    } catch (err) {
      t.type(err, WebhookConfigError);
      t.notMatch(String((err as Error).message) + String((err as Error).stack), SECRET);
    }
  }
  t.equal(describeWebhook(`https://hooks.slack.com${PATH}`), 'https://hooks.slack.com/[redacted]');
  const redact = redactor(`https://hooks.slack.com${PATH}?x=1`);
  t.equal(redact(`POST https://hooks.slack.com${PATH}?x=1 failed`), 'POST [redacted] failed');
  t.equal(redact(`token ${SECRET} here`), 'token [redacted] here');
});

t.test('classifyResponse: Retry-After forms and odd statuses', async (t) => {
  const now = Date.parse('2024-05-01T10:00:00Z');
  t.match(classifyResponse(429, 'rate_limited', '3', undefined, now), { retryAfterMs: 3000 });
  t.match(classifyResponse(429, 'rate_limited', 'Wed, 01 May 2024 10:00:30 GMT', undefined, now), { retryAfterMs: 30000 });
  t.match(classifyResponse(429, 'rate_limited', null, undefined, now), { retryAfterMs: 1000 });
  t.match(classifyResponse(429, 'rate_limited', 'soon', undefined, now), { retryAfterMs: 1000 });
  t.match(classifyResponse(408, '', null), { retry: true, reason: 'timeout' });
  t.match(classifyResponse(401, '', null), { retry: false, reason: 'authError' });
  t.match(classifyResponse(302, '', null), { retry: false, reason: 'clientError' });
  t.match(classifyResponse(204, '', null), { retry: true, reason: 'serverError' });
  t.match(classifyResponse(500, 'x'.repeat(1000), null), { detail: /^HTTP 500 x{120}…$/ });
  t.equal(parseRetryAfter('-5'), undefined);
  t.equal(parseRetryAfter('999999'), 60 * 60_000, 'capped');
});

t.test('backoff: exponential with full jitter, capped', async (t) => {
  const policy = { baseMs: 100, maxMs: 1000 };
  t.equal(backoffDelay(1, policy, () => 0.999999), 99);
  t.equal(backoffDelay(3, policy, () => 0.999999), 399);
  t.equal(backoffDelay(10, policy, () => 0.999999), 999);
  t.equal(backoffDelay(60, policy, () => 0.5), 500);
  t.equal(backoffDelay(5, policy, () => 0), 0);
});

t.test('with the Slack limits checker, the fake answers 400 invalid_blocks like Slack', async (t) => {
  const slack = await FakeSlack.start({ validate: (m: unknown) => checkSlackLimits(m as Record<string, unknown>) });
  t.teardown(() => slack.close());
  const notifier = createWebhookNotifier({ url: slack.url(PATH) });
  t.same(await notifier.send({ text: 'fine' }), { ok: true });
  const tooMany = { text: 'x', blocks: Array.from({ length: 60 }, () => ({ type: 'divider' })) };
  t.match(await notifier.send(tooMany), { ok: false, retry: false, reason: 'clientError', detail: 'HTTP 400 invalid_blocks' });
});

t.test('console notifier', async (t) => {
  const out: string[] = [];
  const n = createConsoleNotifier(
    (s) => out.push(s),
    (m) => m.text,
  );
  t.equal(n.kind, 'console');
  t.same(await n.send({ text: 'hello' }), { ok: true });
  t.same(out, ['hello']);
  const broken = createConsoleNotifier(
    () => {
      throw Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    },
    (m) => m.text,
  );
  t.match(await broken.send({ text: 'x' }), { ok: false, retry: true, reason: 'serverError', detail: /EPIPE/ });
  const badRender = createConsoleNotifier(
    () => undefined,
    () => {
      throw new Error('no template');
    },
  );
  t.match(await badRender.send({ text: 'x' }), { ok: false, retry: false, reason: 'clientError' });
});
