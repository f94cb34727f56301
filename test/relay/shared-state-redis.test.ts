// The relay's shared state in a real Redis (Debian's redis-server, started here), driven in-process
// as two replicas would: each "replica" has its own connection, its own thread file and replica id.
// Covers the duplicate window's claims (one winner, waiting for the other's commit, a dead holder's
// claim expiring, release on a failed store), the thread map's parent claim with a real Slack app
// integration against the fake Slack Web API (two replicas, one new incident: one parent), and a
// Redis that is stopped or hangs: claims fail open within the timeout, counted, logged once,
// without the password.
import t, { type Test } from 'tap';
import { Registry } from 'prom-client';
import { Secret } from '../../src/config/secret.js';
import type { RedisSharedStateConfig } from '../../src/config/schema.js';
import { notificationKey } from '../../src/relay/dedupe.js';
import type { Destination, DeliveryOutcome } from '../../src/relay/delivery/integration.js';
import { ClaimBusyError, RedisDuplicateWindow } from '../../src/relay/replica-state/duplicates.js';
import { SharedStateHealth } from '../../src/relay/replica-state/health.js';
import { connectRedis, type RedisConnection } from '../../src/relay/replica-state/redis.js';
import { LocalThreadMap, RedisThreadMap, type ThreadMap } from '../../src/relay/replica-state/threads.js';
import { secretRedactor } from '../../src/config/secret.js';
import { createSlackAppIntegration } from '../../src/relay/slack-app/integration.js';
import { ThreadStore } from '../../src/relay/slack-app/thread-store.js';
import type { OutboxEntry } from '../../src/relay/types.js';
import { FakeSlackApi } from '../helpers/fake-slack-api.js';
import { captureLogger } from '../helpers/log-capture.js';
import { firingNotification, incidentNotification } from '../helpers/notification.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { header } from '../helpers/relay-replicas.js';
import { tmpDir } from '../helpers/tmp.js';

const PASSWORD = 'redis-pass-7f3a9c21d4e8';
const TOKEN = 'xoxb-shared-state-token-0123456789';
const CHANNEL = 'C0123456789';

interface Replica {
  readonly redis: RedisConnection;
  readonly health: SharedStateHealth;
  readonly registry: Registry;
  readonly logs: ReturnType<typeof captureLogger>;
}

async function replica(t: Test, server: RedisServer, o: { password?: string; timeoutMs?: number; prefix?: string } = {}): Promise<Replica> {
  const config: RedisSharedStateConfig = {
    address: server.address,
    username: undefined,
    password: new Secret(o.password ?? PASSWORD),
    db: 0,
    keyPrefix: o.prefix ?? 'test:',
    timeoutMs: o.timeoutMs ?? 500,
  };
  const registry = new Registry();
  const logs = captureLogger('info');
  const health = new SharedStateHealth(registry, logs.logger, secretRedactor([o.password ?? PASSWORD]));
  const redis = await connectRedis(config, health);
  t.teardown(() => redis.close());
  return { redis, health, registry, logs };
}

async function errorsCounted(r: Replica, operation: string): Promise<number> {
  const m = (await r.registry.getSingleMetric('tocsin_relay_shared_state_errors_total')!.get()).values.find((v) => v.labels.operation === operation);
  return m?.value ?? 0;
}

t.test('duplicates across two replicas: the last content of a group, within the window', async (t) => {
  const server = await startRedis(t, { password: PASSWORD });
  const a = new RedisDuplicateWindow((await replica(t, server)).redis, (await replica(t, server)).health, { windowMs: 60_000 });
  const b = new RedisDuplicateWindow((await replica(t, server)).redis, (await replica(t, server)).health, { windowMs: 60_000 });
  const one = notificationKey(incidentNotification('DiskFull', { 'web-1': 'firing' }));
  const two = notificationKey(incidentNotification('DiskFull', { 'web-1': 'firing', 'web-2': 'firing' }));

  const first = await a.claim(one);
  t.equal(first.outcome, 'claimed', 'replica A claims the new notification');
  if (first.outcome === 'claimed') await first.commit();
  t.equal((await b.claim(one)).outcome, 'duplicate', "replica B's copy is a duplicate");
  t.equal((await a.claim(one)).outcome, 'duplicate', 'and so is a retry at A');
  const changed = await b.claim(two);
  t.equal(changed.outcome, 'claimed', 'a change of the group is news');
  if (changed.outcome === 'claimed') await changed.commit();
  const back = await a.claim(one);
  t.equal(back.outcome, 'claimed', 'the first content again, after the change, is news too');
  if (back.outcome === 'claimed') await back.release();
  t.equal((await b.claim(one)).outcome, 'claimed', 'a released claim (the store failed) is not a duplicate: the retry is accepted');
});

t.test('the same notification at two replicas at once: one stores it, the other waits and answers duplicate', async (t) => {
  const server = await startRedis(t, { password: PASSWORD });
  const ra = await replica(t, server);
  const rb = await replica(t, server);
  const a = new RedisDuplicateWindow(ra.redis, ra.health, { windowMs: 60_000 });
  const b = new RedisDuplicateWindow(rb.redis, rb.health, { windowMs: 60_000, claimWaitMs: 5_000 });
  const key = notificationKey(firingNotification({ alertname: 'Burst', instance: 'x' }));
  const first = await a.claim(key);
  t.equal(first.outcome, 'claimed');
  const started = Date.now();
  const second = b.claim(key);
  // A stores for 300 ms (a slow fsync); B must neither accept nor answer before A commits.
  await new Promise((r) => setTimeout(r, 300));
  if (first.outcome === 'claimed') await first.commit();
  t.equal((await second).outcome, 'duplicate', 'B waited for the commit and answered duplicate');
  t.ok(Date.now() - started >= 250, 'after A committed');
});

t.test('a replica that dies holding a claim loses nothing: the claim expires and another replica stores it', async (t) => {
  const server = await startRedis(t, { password: PASSWORD });
  const ra = await replica(t, server);
  const rb = await replica(t, server);
  const a = new RedisDuplicateWindow(ra.redis, ra.health, { windowMs: 60_000, storingTtlMs: 400 });
  const b = new RedisDuplicateWindow(rb.redis, rb.health, { windowMs: 60_000, claimWaitMs: 5_000 });
  const key = notificationKey(firingNotification({ alertname: 'Crash', instance: 'x' }));
  t.equal((await a.claim(key)).outcome, 'claimed', 'A claims, then "dies" without committing or releasing');
  await ra.redis.close();
  t.equal((await b.claim(key)).outcome, 'claimed', 'B gets the claim once it expired: the notification is stored, not dropped');
});

t.test('a claim held longer than the wait: 503 (ClaimBusyError), and Alertmanager retries', async (t) => {
  const server = await startRedis(t, { password: PASSWORD });
  const ra = await replica(t, server);
  const rb = await replica(t, server);
  const a = new RedisDuplicateWindow(ra.redis, ra.health, { windowMs: 60_000 });
  const b = new RedisDuplicateWindow(rb.redis, rb.health, { windowMs: 60_000, claimWaitMs: 300 });
  const key = notificationKey(firingNotification({ alertname: 'Slow', instance: 'x' }));
  t.equal((await a.claim(key)).outcome, 'claimed');
  await t.rejects(b.claim(key), ClaimBusyError);
});

t.test('Redis stopped, then hung: claims fail open within the timeout, counted, logged once per outage, never with the password', async (t) => {
  const server = await startRedis(t, { password: PASSWORD });
  const r = await replica(t, server, { timeoutMs: 300 });
  const window = new RedisDuplicateWindow(r.redis, r.health, { windowMs: 60_000 });
  const startsAt = new Date().toISOString();
  const key = (i: number) => notificationKey(firingNotification({ alertname: 'Outage', instance: `i${i}` }, { startsAt }));
  const c0 = await window.claim(key(0));
  if (c0.outcome === 'claimed') await c0.commit();
  t.equal((await window.claim(key(0))).outcome, 'duplicate', 'up: a duplicate is caught');

  await server.stop();
  for (let i = 1; i <= 5; i++) {
    const started = Date.now();
    const c = await window.claim(key(i));
    t.equal(c.outcome, 'claimed', `down: notification ${i} is accepted (fail open)`);
    t.ok(Date.now() - started < 2_000, 'without waiting long');
    if (c.outcome === 'claimed') await c.commit();
  }
  t.equal((await window.claim(key(0))).outcome, 'claimed', 'down: even a duplicate is let through (delivered twice rather than lost)');
  t.ok((await errorsCounted(r, 'duplicates')) >= 6, 'every failed claim is counted');
  const warned = () => r.logs.lines.filter((l) => /shared state \(Redis\) unreachable/.test(l.msg));
  t.equal(warned().length, 1, 'one log line for the outage, not one per notification');

  await server.start();
  const deadline = Date.now() + 15_000;
  let back: string | undefined;
  while (Date.now() < deadline) {
    const c = await window.claim(key(100));
    if (c.outcome === 'claimed') await c.commit();
    if (!r.health.isDown) {
      back = c.outcome;
      break;
    }
    await new Promise((res) => setTimeout(res, 200));
  }
  t.ok(back !== undefined, 'Redis is used again once it is back');
  t.equal((await window.claim(key(100))).outcome, 'duplicate', 'duplicates are caught again');
  t.equal(r.logs.lines.filter((l) => /reachable again/.test(l.msg)).length, 1, 'the end of the outage is logged once');

  // A Redis that hangs (SIGSTOP) keeps the connection open: the per-command timeout decides.
  server.pause();
  t.teardown(() => server.resume());
  const started = Date.now();
  t.equal((await window.claim(key(200))).outcome, 'claimed', 'hung: fail open');
  t.ok(Date.now() - started < 3_000, `hung: answered after ${Date.now() - started} ms (timeout 300 ms)`);
  server.resume();
  t.equal(warned().length, 2, 'a second outage, a second line');
  t.notOk(JSON.stringify(r.logs.lines).includes(PASSWORD), 'the password is in no log line');
  t.notOk((await r.registry.metrics()).includes(PASSWORD), 'nor in the metrics');
});

t.test('a wrong password: fail open, logged without the password', async (t) => {
  const server = await startRedis(t, { password: PASSWORD });
  const wrong = 'wrong-secret-5b1e77aa93';
  const r = await replica(t, server, { password: wrong, timeoutMs: 300 });
  const window = new RedisDuplicateWindow(r.redis, r.health, { windowMs: 60_000 });
  t.equal((await window.claim(notificationKey(firingNotification({ alertname: 'Auth' })))).outcome, 'claimed', 'accepted');
  t.ok(r.health.isDown, 'Redis counts as down');
  const text = JSON.stringify(r.logs.lines);
  t.match(text, /WRONGPASS|NOAUTH|invalid/i, "Redis's reason is logged");
  t.notOk(text.includes(wrong), 'the password is not');
});

// --- threads ---

function entry(id: string, n = incidentNotification('NodeDown', { 'db-1': 'firing' })): OutboxEntry {
  return { id, acceptedAt: Date.now(), destination: 'incidents', presentation: {}, notification: n } as OutboxEntry;
}

async function slackReplica(t: Test, slack: FakeSlackApi, threads: (store: ThreadStore) => ThreadMap) {
  const store = await ThreadStore.open(tmpDir(t, 'tocsin-shared-threads-'));
  const integration = createSlackAppIntegration({ timeZone: 'UTC', timeoutMs: 2_000, threads: threads(store) });
  const destination: Destination = {
    name: 'incidents',
    type: 'slack_app',
    enabled: true,
    slackApp: { botToken: new Secret(TOKEN), channel: CHANNEL, broadcastResolved: true, reuseThreadWithinMs: 0, apiUrl: slack.url },
  };
  return (e: OutboxEntry): Promise<DeliveryOutcome> =>
    integration.deliver({ destination, entries: [e], groupKey: e.notification.groupKey, signal: new AbortController().signal });
}

t.test('two replicas deliver notices of the same new incident at once: one parent, the other waits and replies in its thread', async (t) => {
  const server = await startRedis(t, { password: PASSWORD });
  const slack = await FakeSlackApi.start({ tokens: [TOKEN], channels: [CHANNEL] });
  t.teardown(() => slack.close());
  const ra = await replica(t, server);
  const rb = await replica(t, server);
  const a = await slackReplica(t, slack, (s) => new RedisThreadMap(ra.redis, s, ra.health, { replicaId: 'replica-a', claimTtlMs: 30_000 }));
  const b = await slackReplica(t, slack, (s) => new RedisThreadMap(rb.redis, s, rb.health, { replicaId: 'replica-b', claimTtlMs: 30_000 }));
  // Two Alertmanager peers disagreeing for a moment: one saw one alert, the other two.
  const one = entry('e-a', incidentNotification('NodeDown', { 'db-1': 'firing' }));
  const two = entry('e-b', incidentNotification('NodeDown', { 'db-1': 'firing', 'db-2': 'firing' }));
  const [oa, ob] = await Promise.all([a(one), b(two)]);
  const outcomes = [oa.kind, ob.kind].sort();
  t.same(outcomes, ['delivered', 'retry'], 'one posts the parent; the other is told to retry');
  const waiting = oa.kind === 'retry' ? a : b;
  const waitingEntry = oa.kind === 'retry' ? one : two;
  t.match(oa.kind === 'retry' ? oa : ob, { reason: 'serverError', retryAfterMs: 1_000, detail: /another relay replica/ }, 'paced, and says why');
  t.equal((await waiting(waitingEntry)).kind, 'delivered', 'its retry (the outbox keeps the entry) is delivered');
  const parents = slack.okCalls().filter((c) => c.method === 'chat.postMessage' && c.args.thread_ts === undefined);
  t.equal(parents.length, 1, 'one parent message for the incident');
  t.same(
    slack.okCalls().slice(1).map((c) => [c.method, c.method === 'chat.update' ? c.args.ts : c.args.thread_ts]),
    [
      ['chat.update', parents[0]!.ts],
      ['chat.postMessage', parents[0]!.ts],
    ],
    "the other notice edits that parent and replies in its thread",
  );
  t.notOk(slack.calls.some((c) => c.orphan), 'no reply before its parent');
});

t.test('a notice held by a replica that was down arrives after a later one: a quiet reply, the parent keeps the later state', async (t) => {
  const server = await startRedis(t, { password: PASSWORD });
  const slack = await FakeSlackApi.start({ tokens: [TOKEN], channels: [CHANNEL] });
  t.teardown(() => slack.close());
  const ra = await replica(t, server);
  const rb = await replica(t, server);
  const a = await slackReplica(t, slack, (s) => new RedisThreadMap(ra.redis, s, ra.health, { replicaId: 'replica-a', claimTtlMs: 30_000 }));
  const b = await slackReplica(t, slack, (s) => new RedisThreadMap(rb.redis, s, rb.health, { replicaId: 'replica-b', claimTtlMs: 30_000 }));
  const now = Date.now();
  // A accepted the firing notice and went down; B accepted and delivered the resolution 10 s later.
  const firing = { ...entry('e-firing'), acceptedAt: now - 10_000 };
  const resolved = { ...entry('e-resolved', incidentNotification('NodeDown', { 'db-1': 'resolved' })), acceptedAt: now };
  t.equal((await b(resolved)).kind, 'delivered');
  const parent = slack.okCalls()[0]!;
  t.match(header(parent), /RESOLVED/, 'B posted the parent, resolved');
  t.equal((await a(firing)).kind, 'delivered', 'A, back, delivers what its outbox held');
  const later = slack.okCalls().slice(1);
  t.same(later.map((c) => [c.method, c.args.thread_ts, c.args.reply_broadcast]), [['chat.postMessage', parent.ts, false]], 'a reply in the thread, not broadcast; no edit');
  t.match(slack.message(parent.ts!)?.attachments, [{ blocks: [{ type: 'header', text: { text: /RESOLVED/ } }] }], 'the parent still says RESOLVED');
});

t.test('without shared state (each replica its own map) the same race makes two threads: what the claim prevents', async (t) => {
  const slack = await FakeSlackApi.start({ tokens: [TOKEN], channels: [CHANNEL] });
  t.teardown(() => slack.close());
  const a = await slackReplica(t, slack, (s) => new LocalThreadMap(s));
  const b = await slackReplica(t, slack, (s) => new LocalThreadMap(s));
  await Promise.all([a(entry('e-a')), b(entry('e-b', incidentNotification('NodeDown', { 'db-1': 'firing', 'db-2': 'firing' })))]);
  t.equal(slack.okCalls().filter((c) => c.method === 'chat.postMessage' && c.args.thread_ts === undefined).length, 2, 'two parents');
});

t.test('thread map: a replica holding a claim gets it back after a restart; Redis losing a record falls back to the replica\'s copy; Redis down fails open', async (t) => {
  const server = await startRedis(t, { password: PASSWORD });
  const ra = await replica(t, server, { timeoutMs: 300 });
  const rb = await replica(t, server);
  const storeA = await ThreadStore.open(tmpDir(t, 'tocsin-shared-threads-'));
  const a = new RedisThreadMap(ra.redis, storeA, ra.health, { replicaId: 'replica-a', claimTtlMs: 30_000 });
  const b = new RedisThreadMap(rb.redis, await ThreadStore.open(tmpDir(t, 'tocsin-shared-threads-')), rb.health, { replicaId: 'replica-b', claimTtlMs: 30_000 });
  const held = await a.claimParent('incidents', 'g1');
  t.ok(held, 'A claims');
  t.equal(await b.claimParent('incidents', 'g1'), undefined, 'B must wait');
  const aAgain = new RedisThreadMap(ra.redis, storeA, ra.health, { replicaId: 'replica-a', claimTtlMs: 30_000 });
  t.ok(await aAgain.claimParent('incidents', 'g1'), 'A restarted (same replica id) takes its own claim back');
  await held!.release();
  const bClaim = await b.claimParent('incidents', 'g1');
  t.ok(bClaim, 'released: B may post');
  await bClaim!.release();

  const rec = { destination: 'incidents', groupKey: 'g1', channel: CHANNEL, ts: '1712345679.000100', state: 'firing', openedAt: 1, fingerprint: 'f' } as const;
  await a.put(rec, ['e1']);
  t.match(await b.get('incidents', 'g1'), { ts: rec.ts, applied: ['e1'] }, 'B reads the thread A recorded');
  await rb.redis.client.flushall();
  t.equal(await b.get('incidents', 'g1'), undefined, 'B never had it: gone');
  t.match(await a.get('incidents', 'g1'), { ts: rec.ts }, 'A still has its own copy and continues the thread');

  await server.stop();
  t.match(await a.get('incidents', 'g1'), { ts: rec.ts }, 'Redis down: A reads its own copy');
  t.ok(await a.claimParent('incidents', 'g2'), 'Redis down: a new parent may be posted (fail open)');
  t.match(await a.put({ ...rec, groupKey: 'g2' }, ['e2']), { groupKey: 'g2' }, 'Redis down: the record is kept on disk');
  t.equal(storeA.get('incidents', 'g2')?.ts, rec.ts, 'in the replica\'s own file');
  t.ok((await errorsCounted(ra, 'threads')) >= 2 && (await errorsCounted(ra, 'claims')) >= 1, 'counted');
});
