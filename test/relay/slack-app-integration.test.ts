// The Slack app integration on its own (no dispatcher): what each answer of Slack's Web API becomes,
// the guard against posting a notice twice, digests, and the thread store's file.
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Secret } from '../../src/config/secret.js';
import type { Destination, DeliveryOutcome } from '../../src/relay/delivery/integration.js';
import { createSlackAppIntegration } from '../../src/relay/slack-app/integration.js';
import { THREADS_FILE, ThreadStore } from '../../src/relay/slack-app/thread-store.js';
import { LocalThreadMap } from '../../src/relay/replica-state/threads.js';
import type { OutboxEntry } from '../../src/relay/types.js';
import { FakeSlackApi } from '../helpers/fake-slack-api.js';
import { incidentNotification } from '../helpers/notification.js';
import { tmpDir } from '../helpers/tmp.js';

const TOKEN = 'xoxb-integration-token-0123456789';
const CHANNEL = 'C0123456789';
const OTHER = 'C0OTHER0001';

async function setup(t: Test, timeoutMs = 2_000) {
  const slack = await FakeSlackApi.start({ tokens: [TOKEN], channels: [CHANNEL, OTHER] });
  t.teardown(() => slack.close());
  const dir = tmpDir(t, 'tocsin-slack-app-int-');
  const threads = await ThreadStore.open(dir);
  const integration = createSlackAppIntegration({ timeZone: 'UTC', timeoutMs, threads: new LocalThreadMap(threads) });
  let destination: Destination = {
    name: 'incidents',
    type: 'slack_app',
    enabled: true,
    slackApp: { botToken: new Secret(TOKEN), channel: CHANNEL, broadcastResolved: true, reuseThreadWithinMs: 0, apiUrl: slack.url },
  };
  const deliver = (entries: OutboxEntry[], signal = new AbortController().signal): Promise<DeliveryOutcome> =>
    integration.deliver({ destination, entries, groupKey: entries.length === 1 ? entries[0]!.notification.groupKey : undefined, signal });
  const moveTo = (channel: string) => {
    destination = { ...destination, slackApp: { ...destination.slackApp!, channel } };
  };
  return { slack, dir, threads, deliver, moveTo };
}

function entry(id: string, group: string, status: 'firing' | 'resolved'): OutboxEntry {
  const notification = incidentNotification(group, { 'host-1': status }, { severity: 'warning' });
  return { id, acceptedAt: Date.now(), destination: 'incidents', presentation: {}, notification };
}

t.test('a notice the thread already shows is not posted again (a retried delivery whose answer was lost)', async (t) => {
  const { slack, deliver, dir } = await setup(t);
  const e1 = entry('e1', 'A', 'firing');
  t.same(await deliver([e1]), { kind: 'delivered' });
  t.equal(slack.calls.length, 1, 'the parent');
  const file = readFileSync(join(dir, THREADS_FILE), 'utf8');
  t.match(file, slack.calls[0]!.ts!, 'the parent ts is on disk before the delivery is reported done');
  t.notMatch(file, TOKEN, 'no token in the thread file');
  t.same(await deliver([e1]), { kind: 'delivered' }, 'delivered again');
  t.equal(slack.calls.length, 1, 'without a second post');
  t.same(await deliver([entry('e2', 'A', 'resolved')]), { kind: 'delivered' });
  t.same(slack.calls.map((c) => [c.method, c.args.thread_ts ?? c.args.ts]), [
    ['chat.postMessage', undefined],
    ['chat.update', slack.calls[0]!.ts],
    ['chat.postMessage', slack.calls[0]!.ts],
  ]);
});

t.test('a destination pointed at another channel (a reload) starts the incident over there', async (t) => {
  const { slack, deliver, moveTo } = await setup(t);
  await deliver([entry('e1', 'A', 'firing')]);
  moveTo(OTHER);
  await deliver([entry('e2', 'A', 'resolved')]);
  t.same(
    slack.calls.map((c) => [c.method, c.args.channel, c.args.thread_ts]),
    [
      ['chat.postMessage', CHANNEL, undefined],
      ['chat.postMessage', OTHER, undefined],
    ],
    'a new parent in the new channel, no reply into the old one',
  );
});

t.test('a digest is applied group by group, each group\'s latest notice once', async (t) => {
  const { slack, deliver } = await setup(t);
  await deliver([entry('a1', 'A', 'firing')]);
  const A = slack.calls[0]!.ts;
  t.same(await deliver([entry('b1', 'B', 'firing'), entry('a2', 'A', 'resolved'), entry('b2', 'B', 'firing')]), { kind: 'delivered' });
  t.same(slack.calls.slice(1).map((c) => [c.method, c.args.thread_ts ?? c.args.ts ?? 'new']), [
    ['chat.postMessage', 'new'],
    ['chat.update', A],
    ['chat.postMessage', A],
  ], 'B gets one parent (its latest state), A one update and one reply');
});

t.test('a failure in a digest: the groups already done are not posted again on the retry', async (t) => {
  const { slack, deliver } = await setup(t);
  const digest = [entry('a1', 'A', 'firing'), entry('b1', 'B', 'firing')];
  // A's parent goes out; B's is rate limited.
  slack.plan({ kind: 'rateLimited', retryAfterSeconds: 3 }, { after: 1 });
  t.same(await deliver(digest), { kind: 'retry', reason: 'rateLimited', retryAfterMs: 3000, detail: 'HTTP 429 ratelimited' });
  t.same(await deliver(digest), { kind: 'delivered' }, 'the retry');
  t.same(
    slack.okCalls().map((c) => [c.method, c.args.thread_ts]),
    [
      ['chat.postMessage', undefined],
      ['chat.postMessage', undefined],
    ],
    'A and B each one parent: A not posted twice',
  );
  // Now B fails after A's update and reply went out.
  slack.plan({ kind: 'error', error: 'internal_error' }, { method: 'chat.update', after: 1 });
  const next = [entry('a2', 'A', 'resolved'), entry('b2', 'B', 'resolved')];
  t.same(await deliver(next), { kind: 'retry', reason: 'serverError', detail: 'Slack error internal_error' });
  t.same(await deliver(next), { kind: 'delivered' });
  t.same(
    slack.okCalls().slice(2).map((c) => [c.method, c.args.thread_ts ?? c.args.ts]),
    [
      ['chat.update', slack.okCalls()[0]!.ts],
      ['chat.postMessage', slack.okCalls()[0]!.ts],
      ['chat.update', slack.okCalls()[1]!.ts],
      ['chat.postMessage', slack.okCalls()[1]!.ts],
    ],
    'each group updated and replied to once',
  );
});

t.test('Slack Web API answers become outcomes', async (t) => {
  const { slack, deliver } = await setup(t, 500);
  const e = () => entry(`x${Math.random()}`, `G${Math.random()}`, 'firing');
  slack.plan({ kind: 'rateLimited', retryAfterSeconds: 7 });
  t.same(await deliver([e()]), { kind: 'retry', reason: 'rateLimited', retryAfterMs: 7000, detail: 'HTTP 429 ratelimited' }, '429: Retry-After');
  slack.plan({ kind: 'serverError', status: 500 });
  t.match(await deliver([e()]), { kind: 'retry', reason: 'serverError' }, '5xx: retry');
  slack.plan({ kind: 'hang' });
  t.match(await deliver([e()]), { kind: 'unknown', reason: 'timeout', detail: 'no answer within 500 ms' }, 'no answer: unknown');
  slack.plan({ kind: 'error', error: 'not_in_channel' });
  t.same(await deliver([e()]), { kind: 'permanent', reason: 'clientError', detail: 'Slack error not_in_channel' });
  slack.plan({ kind: 'error', error: 'token_revoked' });
  t.same(await deliver([e()]), { kind: 'permanent', reason: 'authError', detail: 'Slack error token_revoked' });
  const ac = new AbortController();
  slack.plan({ kind: 'hang' });
  const pending = deliver([e()], ac.signal);
  await slack.waitFor((calls) => calls.at(-1)?.status === 'hung');
  ac.abort();
  t.match(await pending, { kind: 'unknown', reason: 'network', detail: 'request aborted' }, 'the dispatcher\'s abort signal ends the call');
  await slack.close();
  t.match(await deliver([e()]), { kind: 'unknown', reason: 'network', detail: /^network error: / }, 'connection refused: unknown');
});

t.test('the thread store keeps at most what it may, and survives reopening', async (t) => {
  const dir = tmpDir(t, 'tocsin-threads-');
  let clock = 1_000_000;
  const store = await ThreadStore.open(dir, { now: () => clock });
  const rec = (groupKey: string) => ({ destination: 'd', groupKey, channel: CHANNEL, ts: '1.000100', state: 'firing' as const, openedAt: 0, fingerprint: '' });
  await store.put(rec('old'), ['e1']);
  clock += 31 * 86_400_000;
  await store.put(rec('new'), ['e2']);
  t.equal(store.get('d', 'old'), undefined, 'a record idle for more than 30 days is dropped');
  const again = await ThreadStore.open(dir, { now: () => clock });
  t.same(again.get('d', 'new')?.applied, ['e2'], 'read back from disk');
  t.equal(again.size(), 1);

  const small = await ThreadStore.open(tmpDir(t, 'tocsin-threads-'), { maxRecords: 2 });
  await small.put(rec('a'));
  await small.put(rec('b'));
  await small.put(rec('a')); // a is now the most recently updated
  await small.put(rec('c'));
  t.same(['a', 'b', 'c'].map((k) => small.get('d', k) !== undefined), [true, false, true], 'over the bound, the least recently updated goes first');
});
