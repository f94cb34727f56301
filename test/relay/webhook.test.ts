// The incoming-webhook poster and integration against a fake Slack on a real local socket: every
// answer Slack gives maps to the right DeliveryOutcome, and the webhook URL (a secret) never leaks.
import t from 'tap';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { parseRetryAfter, backoffDelay } from '../../src/relay/backoff.js';
import type { DeliveryOutcome } from '../../src/relay/delivery/integration.js';
import { checkSlackLimits } from '../../src/relay/slack/limits.js';
import {
  classifyResponse,
  createSlackWebhookIntegration,
  createWebhookPoster,
  describeWebhook,
  redactor,
  WebhookConfigError,
} from '../../src/relay/slack/webhook.js';
import type { SlackMessage } from '../../src/relay/types.js';
import { FakeSlack, type FakeSlackMode, type SlackErrorCode } from '../helpers/fake-slack.js';
import { outboxEntry } from '../helpers/outbox-fixtures.js';

const SECRET = 'xoxSeCrEtT0kenZZ9';
const PATH = `/services/T0AAA1111/B0BBB2222/${SECRET}`;
const message: SlackMessage = { text: 'DiskFull on db-1', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*DiskFull*' } }] };

/** The secret parts of the webhook URL found in a result (none expected). */
function leaks(r: DeliveryOutcome, url: string): string[] {
  const text = JSON.stringify(r);
  return [SECRET, url, 'B0BBB2222', 'T0AAA1111'].filter((s) => text.includes(s));
}

t.test('classification of every answer Slack gives', async (t) => {
  const slack = await FakeSlack.start();
  t.teardown(() => slack.close());
  const url = slack.url(PATH);
  const post = createWebhookPoster({ url, timeoutMs: 2000 });

  const cases: [string, FakeSlackMode, Partial<DeliveryOutcome>][] = [
    ['200 ok', { kind: 'ok' }, { kind: 'delivered' }],
    ['200 other body', { kind: 'okBody', body: '<html>login</html>' }, { kind: 'unknown', reason: 'serverError' }],
    ['429', { kind: 'rateLimited', retryAfterSeconds: 7 }, { kind: 'retry', reason: 'rateLimited', retryAfterMs: 7000 }],
    ['500', { kind: 'serverError' }, { kind: 'retry', reason: 'serverError', detail: 'HTTP 500 rollup_error' }],
    ['503', { kind: 'serverError', status: 503, body: 'upstream unavailable' }, { kind: 'retry', reason: 'serverError' }],
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
    cases.push([`${status} ${error}`, { kind: 'slackError', error }, { kind: 'permanent', reason, detail: `HTTP ${status} ${error}` }]);
  }
  for (const [name, mode, want] of cases) {
    slack.setMode(PATH, mode);
    const r = await post(message);
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
  const post = createWebhookPoster({ url: slack.url(PATH) });
  t.match(await post(message), { kind: 'retry', reason: 'serverError' });
  t.match(await post(message), { kind: 'retry', reason: 'serverError' });
  t.same(await post(message), { kind: 'delivered' });
  t.equal(slack.requestsTo(PATH).length, 3, 'no retries inside the library: one request per send');
});

t.test('a hanging Slack is a timeout; a closed port is a network error; neither leaks the URL', async (t) => {
  const slack = await FakeSlack.start();
  t.teardown(() => slack.close());
  slack.setMode(PATH, { kind: 'hang' });
  const url = slack.url(PATH);
  const started = performance.now();
  const r = await createWebhookPoster({ url, timeoutMs: 200 })(message);
  const took = performance.now() - started;
  t.match(r, { kind: 'unknown', reason: 'timeout', detail: 'no answer within 200 ms' });
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
  const r2 = await createWebhookPoster({ url: deadUrl, timeoutMs: 2000 })(message);
  t.match(r2, { kind: 'unknown', reason: 'network', detail: /ECONNREFUSED/ });
  t.same(leaks(r2, deadUrl), [], 'no part of the URL in the result');
});

t.test('a 3xx from the webhook is a permanent failure that says so; the redirect is not followed', async (t) => {
  const slack = await FakeSlack.start();
  t.teardown(() => slack.close());
  const url = slack.url(PATH);
  const elsewhere = '/services/T0AAA1111/B0BBB2222/moved';
  const post = createWebhookPoster({ url, timeoutMs: 2000 });
  for (const status of [301, 302, 307, 308] as const) {
    slack.setMode(PATH, { kind: 'redirect', status, location: slack.url(elsewhere) });
    const r = await post(message);
    t.match(r, { kind: 'permanent', reason: 'clientError', detail: new RegExp(`^HTTP ${status} redirect`) }, `${status}`);
    t.same(leaks(r, url), [], 'no part of the URL in the result');
  }
  slack.setMode(PATH, { kind: 'redirect', status: 302 });
  t.match(await post(message), { kind: 'permanent', detail: /^HTTP 302 redirect/ }, 'without a Location');
  t.equal(slack.requestsTo(elsewhere).length, 0, 'never followed');
});

t.test('the caller can abort a send (shutdown)', async (t) => {
  const slack = await FakeSlack.start();
  t.teardown(() => slack.close());
  slack.setMode(PATH, { kind: 'hang' });
  const ac = new AbortController();
  const pending = createWebhookPoster({ url: slack.url(PATH), timeoutMs: 5000 })(message, ac.signal);
  await slack.waitForRequests(PATH, 1);
  ac.abort();
  t.match(await pending, { kind: 'unknown', reason: 'network', detail: 'request aborted' });
  t.match(await createWebhookPoster({ url: slack.url(PATH) })(message, ac.signal), { kind: 'unknown', detail: 'request aborted' });
});

t.test('errors from fetch itself are redacted', async (t) => {
  const url = `https://hooks.example.invalid${PATH}`;
  // A fetch that fails the way undici does for a bad URL: the URL inside the message.
  const leaky: typeof fetch = async (input) => {
    throw new TypeError(`Failed to parse URL from ${String(input)}`);
  };
  const r = await createWebhookPoster({ url, fetch: leaky })(message);
  t.match(r, { kind: 'unknown', reason: 'network' });
  t.same(leaks(r, url), [], 'no part of the URL in the result');

  const withCause: typeof fetch = async (input) => {
    throw new TypeError('fetch failed', { cause: new Error(`connect to ${String(input)} refused`) });
  };
  const r2 = await createWebhookPoster({ url, fetch: withCause })(message);
  t.same(leaks(r2, url), [], 'no part of the URL in the result');
  t.match(r2, { detail: /\[redacted\]/ });
});

t.test('invalid URLs are refused without echoing them', async (t) => {
  for (const bad of [`hooks.slack.com${PATH}`, `ftp://hooks.slack.com${PATH}`]) {
    try {
      createWebhookPoster({ url: bad });
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
  t.match(classifyResponse(408, '', null), { kind: 'retry', reason: 'timeout' });
  t.match(classifyResponse(401, '', null), { kind: 'permanent', reason: 'authError' });
  t.match(classifyResponse(302, '', null), { kind: 'permanent', reason: 'clientError' });
  t.match(classifyResponse(204, '', null), { kind: 'unknown', reason: 'serverError' });
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
  const slack = await FakeSlack.start({ validate: checkSlackLimits });
  t.teardown(() => slack.close());
  const post = createWebhookPoster({ url: slack.url(PATH) });
  t.same(await post({ text: 'fine' }), { kind: 'delivered' });
  const tooMany = { text: 'x', blocks: Array.from({ length: 60 }, () => ({ type: 'divider' })) };
  t.match(await post(tooMany), { kind: 'permanent', reason: 'clientError', detail: 'HTTP 400 invalid_blocks' });
});

t.test('the integration formats what it is handed and posts it to the destination\'s URL', async (t) => {
  const slack = await FakeSlack.start({ validate: checkSlackLimits });
  t.teardown(() => slack.close());
  let url = slack.url(PATH);
  const integration = createSlackWebhookIntegration({ timeZone: 'UTC', timeoutMs: 2000 });
  t.equal(integration.type, 'slack');
  const destination = { name: 'ops', type: 'slack', enabled: true, webhookUrl: { reveal: () => url } };
  const one = outboxEntry('a', 'ops');
  const signal = new AbortController().signal;
  t.same(await integration.deliver({ destination, entries: [one], groupKey: one.notification.groupKey, signal }), { kind: 'delivered' });
  const posted = slack.requestsTo(PATH)[0]!.body as { text: string; attachments: unknown[] };
  t.match(posted.text, one.notification.commonLabels.alertname!, 'a formatted Slack message, titled with the alert name');
  t.equal(posted.attachments.length, 1);
  const digest = [outboxEntry('b', 'ops'), outboxEntry('c', 'ops')];
  t.same(await integration.deliver({ destination, entries: digest, groupKey: undefined, signal }), { kind: 'delivered' });
  t.match((slack.requestsTo(PATH)[1]!.body as { text: string }).text, /^Digest: 2 notifications/);
  // The channel API changed the URL: the next post goes to the new one.
  url = slack.url('/services/T1/B1/other');
  t.same(await integration.deliver({ destination, entries: [one], groupKey: undefined, signal }), { kind: 'delivered' });
  t.equal(slack.requestsTo('/services/T1/B1/other').length, 1);
  const noUrl = { ...destination, webhookUrl: undefined };
  t.match(await integration.deliver({ destination: noUrl, entries: [one], groupKey: undefined, signal }), { kind: 'permanent', reason: 'clientError' });
});
