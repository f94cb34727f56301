// The delivery engine end to end: a real outbox in a temp dir, real webhook notifiers, a fake Slack
// on a real socket. Intervals are small (tens of ms) so every test ends in a few seconds.
import t from 'tap';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { Dispatcher, type PacingOptions } from '../../src/relay/dispatcher.js';
import { RelayMetrics } from '../../src/relay/metrics.js';
import type { Notifier } from '../../src/relay/notifier.js';
import { Outbox, OUTBOX_FILE } from '../../src/relay/outbox/index.js';
import { createWebhookNotifier } from '../../src/relay/slack/webhook.js';
import type { OutboxEntry, SlackMessage } from '../../src/relay/types.js';
import { silentLogger } from '../helpers/collect.js';
import { FakeSlack, type FakeSlackOptions, type RecordedRequest } from '../helpers/fake-slack.js';
import { promtoolCheckMetrics } from '../helpers/promtool.js';
import { outboxEntry, type Teardown } from '../helpers/outbox-fixtures.js';

let seq = 0;
const entry = (destination: string, id = `e${++seq}`): OutboxEntry => outboxEntry(id, destination);

/** Stands in for slack/format.ts: one entry -> "one <id>", several -> "digest <id>,<id>,...". */
function format(entries: readonly OutboxEntry[]): SlackMessage {
  if (entries.length === 1) return { text: `one ${entries[0]!.id}` };
  return { text: `digest ${entries.map((e) => e.id).join(',')}` };
}

/** The entry ids a recorded request carried. */
function idsOf(r: RecordedRequest): string[] {
  const text = (r.body as { text: string }).text;
  return text.replace(/^(one|digest) /, '').split(',');
}

const PATHS: Record<string, string> = {
  ops: '/services/T1/B1/opsSecret',
  db: '/services/T1/B2/dbSecret',
  web: '/services/T1/B3/webSecret',
};

const FAST: PacingOptions = { minIntervalMs: 50, digestThreshold: 100, baseBackoffMs: 20, maxBackoffMs: 80, maxAttempts: 10 };

interface Rig {
  slack: FakeSlack;
  dir: string;
  outbox: Outbox;
  metrics: RelayMetrics;
  registry: Registry;
  dispatcher: Dispatcher;
  notifiers: Map<string, Notifier>;
  add(...entries: OutboxEntry[]): Promise<void>;
  /** Stops the dispatcher and closes the outbox (a process exit). */
  shutdown(): Promise<void>;
}

async function rig(
  t: Teardown,
  opts: {
    pacing?: PacingOptions;
    slack?: FakeSlack;
    slackOptions?: FakeSlackOptions;
    dir?: string;
    format?: (entries: readonly OutboxEntry[]) => SlackMessage;
    timeoutMs?: number;
    stopGraceMs?: number;
  } = {},
): Promise<Rig> {
  const slack = opts.slack ?? (await FakeSlack.start(opts.slackOptions));
  if (!opts.slack) t.teardown(() => slack.close());
  let dir = opts.dir;
  if (!dir) {
    const d = await mkdtemp(join(tmpdir(), 'tocsin-dispatch-'));
    t.teardown(() => rm(d, { recursive: true, force: true }));
    dir = d;
  }
  const outbox = await Outbox.open(dir, { logger: silentLogger });
  const registry = new Registry();
  const metrics = new RelayMetrics(registry);
  metrics.watchOutbox(outbox);
  const notifiers = new Map<string, Notifier>(
    Object.entries(PATHS).map(([dest, path]) => [dest, createWebhookNotifier({ url: slack.url(path), timeoutMs: opts.timeoutMs ?? 1000 })]),
  );
  const dispatcher = new Dispatcher({
    outbox,
    notifierFor: (d) => notifiers.get(d),
    format: opts.format ?? format,
    logger: silentLogger,
    metrics,
    pacing: { ...FAST, ...opts.pacing },
    stopGraceMs: opts.stopGraceMs ?? 200,
  });
  let down = false;
  const shutdown = async () => {
    if (down) return;
    down = true;
    await dispatcher.stop();
    await outbox.close();
  };
  t.teardown(shutdown);
  return {
    slack,
    dir,
    outbox,
    metrics,
    registry,
    dispatcher,
    notifiers,
    async add(...entries) {
      await outbox.append(entries);
      dispatcher.kick();
    },
    shutdown,
  };
}

async function waitUntil(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!(await cond())) {
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Sum of a sample's values over the series matching `labels`. */
async function sample(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const base = registry.getSingleMetric(name) ? name : name.replace(/_(count|sum|bucket)$/, '');
  const metric = registry.getSingleMetric(base);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return values
    .filter((v) => ((v as { metricName?: string }).metricName ?? base) === name)
    .filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))
    .reduce((n, v) => n + v.value, 0);
}

t.test('delivers in acceptance order, one at a time, no faster than minIntervalMs per webhook', async (t) => {
  const r = await rig(t);
  const es = Array.from({ length: 6 }, () => entry('ops'));
  await r.add(...es);
  r.dispatcher.start();
  await waitUntil('all delivered', () => r.outbox.depth() === 0);
  const reqs = r.slack.requestsTo(PATHS.ops!);
  t.same(reqs.map(idsOf).flat(), es.map((e) => e.id), 'in order, each once');
  for (let i = 1; i < reqs.length; i++) {
    const gap = reqs[i]!.at - reqs[i - 1]!.at;
    t.ok(gap >= 45, `gap ${i}: ${gap.toFixed(1)} ms >= 50 ms - tolerance`);
  }
  t.equal(await sample(r.registry, 'tocsin_relay_messages_delivered_total', { destination: 'ops' }), 6);
  t.equal(await sample(r.registry, 'tocsin_relay_delivery_latency_seconds_count', { destination: 'ops' }), 6);
  t.equal(await sample(r.registry, 'tocsin_relay_outbox_depth'), 0);
  t.equal(await sample(r.registry, 'tocsin_relay_outbox_oldest_age_seconds'), 0);
});

t.test('destinations are paced independently', async (t) => {
  const r = await rig(t, { pacing: { minIntervalMs: 200 } });
  await r.add(entry('ops'), entry('db'), entry('web'), entry('ops'));
  const started = performance.now();
  r.dispatcher.start();
  await waitUntil('all delivered', () => r.outbox.depth() === 0);
  const took = performance.now() - started;
  const firsts = ['ops', 'db', 'web'].map((d) => r.slack.requestsTo(PATHS[d]!)[0]!.at);
  t.ok(Math.max(...firsts) - Math.min(...firsts) < 150, 'the three webhooks got their first message together');
  const ops = r.slack.requestsTo(PATHS.ops!);
  t.ok(ops[1]!.at - ops[0]!.at >= 195, 'the second ops message waited for the interval');
  t.ok(took < 1000, `done in ${took.toFixed(0)} ms`);
});

t.test('429: the destination pauses for Retry-After, then delivers', async (t) => {
  const r = await rig(t);
  r.slack.setMode(PATHS.ops!, { kind: 'failThenOk', failures: 1, fail: { kind: 'rateLimited', retryAfterSeconds: 1 } });
  const e = entry('ops');
  await r.add(e);
  r.dispatcher.start();
  await waitUntil('the 429', () => r.slack.requestsTo(PATHS.ops!).length === 1, 4000);
  await r.add(entry('db')); // for another webhook, during the pause
  await waitUntil('delivered', () => r.outbox.depth() === 0, 4000);
  const reqs = r.slack.requestsTo(PATHS.ops!);
  t.equal(reqs.length, 2);
  const gap = reqs[1]!.at - reqs[0]!.at;
  t.ok(gap >= 990, `waited ${gap.toFixed(0)} ms for Retry-After: 1`);
  t.ok(gap < 1500, 'and not much longer');
  t.equal(await sample(r.registry, 'tocsin_relay_slack_rate_limited_total', { destination: 'ops' }), 1);
  t.equal(await sample(r.registry, 'tocsin_relay_messages_failed_total', { destination: 'ops', reason: 'rateLimited' }), 1);
  t.equal(await sample(r.registry, 'tocsin_relay_retries_total', { destination: 'ops' }), 1);
  t.equal(await sample(r.registry, 'tocsin_relay_messages_delivered_total', { destination: 'ops' }), 1);
  const db = r.slack.requestsTo(PATHS.db!);
  t.ok(db.length === 1 && db[0]!.at < reqs[1]!.at, 'another webhook is not paused by the 429 of this one');
});

t.test('5xx and timeouts are retried with backoff until Slack accepts', async (t) => {
  const r = await rig(t, { timeoutMs: 150 });
  r.slack.setMode(PATHS.ops!, { kind: 'failThenOk', failures: 3, fail: { kind: 'serverError' } });
  r.slack.setMode(PATHS.db!, { kind: 'failThenOk', failures: 1, fail: { kind: 'hang' } });
  await r.add(entry('ops'), entry('db'));
  r.dispatcher.start();
  await waitUntil('delivered', () => r.outbox.depth() === 0);
  t.equal(r.slack.requestsTo(PATHS.ops!).length, 4);
  t.equal(r.slack.requestsTo(PATHS.db!).length, 2);
  t.equal(await sample(r.registry, 'tocsin_relay_messages_failed_total', { destination: 'ops', reason: 'serverError' }), 3);
  t.equal(await sample(r.registry, 'tocsin_relay_retries_total', { destination: 'ops' }), 3);
  t.equal(await sample(r.registry, 'tocsin_relay_messages_failed_total', { destination: 'db', reason: 'timeout' }), 1);
  t.equal(await sample(r.registry, 'tocsin_relay_dead_letters_total'), 0);
  t.same(r.outbox.deadLetters(), []);
});

t.test('permanent errors dead-letter the entry at once with reason and detail', async (t) => {
  const r = await rig(t);
  r.slack.setMode(PATHS.ops!, { kind: 'slackError', error: 'channel_is_archived' });
  r.slack.setMode(PATHS.db!, { kind: 'slackError', error: 'invalid_token' });
  const a = entry('ops');
  const b = entry('db');
  await r.add(a, b);
  r.dispatcher.start();
  await waitUntil('dead-lettered', () => r.outbox.depth() === 0);
  t.equal(r.slack.requests.length, 2, 'not retried');
  const dead = new Map(r.outbox.deadLetters().map((d) => [d.entry.id, d.reason]));
  t.equal(dead.get(a.id), 'clientError: HTTP 410 channel_is_archived');
  t.equal(dead.get(b.id), 'authError: HTTP 403 invalid_token');
  t.equal(await sample(r.registry, 'tocsin_relay_dead_letters_total', { destination: 'ops', reason: 'clientError' }), 1);
  t.equal(await sample(r.registry, 'tocsin_relay_dead_letters_total', { destination: 'db', reason: 'authError' }), 1);
  t.equal(await sample(r.registry, 'tocsin_relay_dead_letters'), 2);
  for (const reason of dead.values()) t.notMatch(reason, /Secret/, 'no webhook secret in the dead letter');
});

t.test('an entry that keeps failing is dead-lettered after maxAttempts', async (t) => {
  const r = await rig(t, { pacing: { maxAttempts: 3, minIntervalMs: 10 } });
  r.slack.setMode(PATHS.ops!, { kind: 'serverError', status: 503, body: 'unavailable' });
  const e = entry('ops');
  await r.add(e);
  r.dispatcher.start();
  await waitUntil('dead-lettered', () => r.outbox.depth() === 0);
  t.equal(r.slack.requestsTo(PATHS.ops!).length, 3);
  t.match(r.outbox.deadLetters()[0]!.reason, /^serverError: gave up after 3 attempts; last: HTTP 503 unavailable$/);
  t.equal(await sample(r.registry, 'tocsin_relay_retries_total', { destination: 'ops' }), 2);
});

t.test('when a destination is behind, waiting entries go out as one digest', async (t) => {
  const r = await rig(t, { pacing: { digestThreshold: 10 } });
  const backlog = Array.from({ length: 25 }, () => entry('ops'));
  await r.add(...backlog);
  await r.add(entry('db'));
  r.dispatcher.start();
  await waitUntil('delivered', () => r.outbox.depth() === 0);
  const reqs = r.slack.requestsTo(PATHS.ops!);
  t.equal(reqs.length, 1, 'one message for 25 notifications');
  t.same(idsOf(reqs[0]!), backlog.map((e) => e.id));
  t.equal(r.slack.requestsTo(PATHS.db!).length, 1);
  t.equal(await sample(r.registry, 'tocsin_relay_digests_total', { destination: 'ops' }), 1);
  t.equal(await sample(r.registry, 'tocsin_relay_messages_delivered_total', { destination: 'ops' }), 1);
  t.equal(await sample(r.registry, 'tocsin_relay_delivery_latency_seconds_count', { destination: 'ops' }), 25);
});

t.test('a backlog built up during a 429 pause is sent as a digest afterwards', async (t) => {
  const r = await rig(t, { pacing: { digestThreshold: 5, maxDigestEntries: 8 } });
  r.slack.setMode(PATHS.ops!, { kind: 'failThenOk', failures: 1, fail: { kind: 'rateLimited', retryAfterSeconds: 1 } });
  r.dispatcher.start();
  const first = entry('ops');
  await r.add(first);
  await r.slack.waitForRequests(PATHS.ops!, 1);
  const more = Array.from({ length: 11 }, () => entry('ops'));
  for (const e of more) await r.add(e);
  await waitUntil('delivered', () => r.outbox.depth() === 0, 4000);
  const sent = r.slack.requestsTo(PATHS.ops!).slice(1).map(idsOf);
  t.same(sent[0], [first, ...more].slice(0, 8).map((e) => e.id), 'a digest capped at maxDigestEntries');
  t.same(sent.flat(), [first, ...more].map((e) => e.id), 'then the rest; everything once, in order');
});

t.test('a digest Slack refuses is not blamed on its entries: they go one by one', async (t) => {
  const r = await rig(t, {
    pacing: { digestThreshold: 3, minIntervalMs: 10 },
    slackOptions: { validate: (m) => ((m as { text: string }).text.startsWith('digest') ? ['too big'] : []) },
  });
  const es = Array.from({ length: 5 }, () => entry('ops'));
  await r.add(...es);
  r.dispatcher.start();
  await waitUntil('delivered', () => r.outbox.depth() === 0);
  const reqs = r.slack.requestsTo(PATHS.ops!);
  t.equal(reqs[0]!.status, 400);
  t.same(reqs.slice(1).map(idsOf).flat(), es.map((e) => e.id));
  t.same(r.outbox.deadLetters(), []);
});

t.test('a message that cannot be formatted is dead-lettered; the others go on', async (t) => {
  const r = await rig(t, {
    format: (es) => {
      if (es.some((e) => e.id === 'bad')) throw new Error('template error at line 3');
      return format(es);
    },
  });
  await r.add(entry('ops', 'good1'), entry('ops', 'bad'), entry('ops', 'good2'));
  r.dispatcher.start();
  await waitUntil('settled', () => r.outbox.depth() === 0);
  t.same(r.slack.requestsTo(PATHS.ops!).map(idsOf).flat(), ['good1', 'good2']);
  t.match(r.outbox.deadLetters(), [{ entry: { id: 'bad' }, reason: 'formatError: cannot format message: template error at line 3' }]);
  t.equal(await sample(r.registry, 'tocsin_relay_dead_letters_total', { reason: 'formatError' }), 1);
});

t.test('entries for a destination that no longer exists are dead-lettered as destinationRemoved', async (t) => {
  const r = await rig(t);
  await r.add(entry('gone'), entry('ops'));
  r.dispatcher.start();
  await waitUntil('settled', () => r.outbox.depth() === 0);
  t.match(r.outbox.deadLetters(), [{ entry: { destination: 'gone' }, reason: /^destinationRemoved: / }]);
  t.equal(await sample(r.registry, 'tocsin_relay_dead_letters_total', { destination: 'gone', reason: 'destinationRemoved' }), 1);
  t.equal(r.slack.requestsTo(PATHS.ops!).length, 1);
});

t.test('restart: pending entries are sent by the next process; an interrupted post counts as a redelivery, a refused one not', async (t) => {
  const slack = await FakeSlack.start();
  t.teardown(() => slack.close());
  const dir = await mkdtemp(join(tmpdir(), 'tocsin-dispatch-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));

  // First process: Slack hangs; stop() aborts the post after its grace period.
  slack.setMode(PATHS.ops!, { kind: 'hang' });
  const first = await rig(t, { slack, dir, timeoutMs: 5000, stopGraceMs: 50 });
  const es = [entry('ops'), entry('ops'), entry('db')];
  slack.setMode(PATHS.db!, { kind: 'serverError' });
  await first.add(...es);
  first.dispatcher.start();
  await slack.waitForRequests(PATHS.ops!, 1);
  await slack.waitForRequests(PATHS.db!, 1);
  const stopStarted = performance.now();
  await first.shutdown();
  t.ok(performance.now() - stopStarted < 1000, 'stop did not wait for the hanging post');

  // Second process, same directory, Slack healthy again.
  slack.setMode(PATHS.ops!, { kind: 'ok' });
  slack.setMode(PATHS.db!, { kind: 'ok' });
  const second = await rig(t, { slack, dir });
  t.equal(second.outbox.depth(), 3, 'all three survived the restart');
  second.dispatcher.start();
  await waitUntil('delivered', () => second.outbox.depth() === 0);
  const okIds = slack.requests.filter((q) => q.status === 200).map(idsOf).flat();
  t.same(okIds.sort(), es.map((e) => e.id).sort(), 'each delivered once');
  t.equal(await sample(second.registry, 'tocsin_relay_redeliveries_total', { destination: 'ops' }), 1, 'the entry whose post was cut by the restart');
  t.equal(
    await sample(second.registry, 'tocsin_relay_redeliveries_total', { destination: 'db' }),
    0,
    'not the one Slack had answered with 500: it cannot be in the channel',
  );
});

t.test('restart after Slack answered with an error (500, 429, a refused digest): no redeliveries; after an unclear answer: counted', async (t) => {
  // A digest is refused (400 invalid_blocks), single messages are not.
  const slack = await FakeSlack.start({ validate: (m) => ((m as { text: string }).text.startsWith('digest') ? ['too big'] : []) });
  t.teardown(() => slack.close());
  const dir = await mkdtemp(join(tmpdir(), 'tocsin-dispatch-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const proxyPath = '/services/T1/B4/proxySecret';
  const withProxy = (r: Rig) => r.notifiers.set('proxy', createWebhookNotifier({ url: slack.url(proxyPath), timeoutMs: 1000 }));

  // First process: one attempt per destination (the next would wait a minute), then a restart.
  slack.setMode(PATHS.ops!, { kind: 'serverError' });
  slack.setMode(PATHS.db!, { kind: 'rateLimited', retryAfterSeconds: 60 });
  // 200 with a body that is not Slack's "ok": something in between answered; was it posted?
  slack.setMode(proxyPath, { kind: 'okBody', body: '<html>proxy</html>' });
  const first = await rig(t, { slack, dir, pacing: { minIntervalMs: 60_000, digestThreshold: 3 } });
  withProxy(first);
  const web = Array.from({ length: 4 }, () => entry('web'));
  await first.add(entry('ops'), entry('db'), ...web, entry('proxy'));
  first.dispatcher.start();
  await waitUntil('every destination answered once', async () => (await sample(first.registry, 'tocsin_relay_messages_failed_total')) === 4);
  t.same(
    [PATHS.ops!, PATHS.db!, PATHS.web!, proxyPath].map((p) => slack.requestsTo(p).map((q) => q.status)),
    [[500], [429], [400], [200]],
  );
  await first.shutdown();

  for (const path of [PATHS.ops!, PATHS.db!, proxyPath]) slack.setMode(path, { kind: 'ok' });
  const second = await rig(t, { slack, dir });
  withProxy(second);
  t.equal(second.outbox.depth(), 7);
  second.dispatcher.start();
  await waitUntil('delivered', () => second.outbox.depth() === 0);
  const redeliveries = async (destination: string) => sample(second.registry, 'tocsin_relay_redeliveries_total', { destination });
  t.equal(await redeliveries('ops'), 0, '500: not posted');
  t.equal(await redeliveries('db'), 0, '429: not posted');
  t.equal(await redeliveries('web'), 0, 'refused digest: none of its 4 entries posted');
  t.equal(await redeliveries('proxy'), 1, 'an answer that is not Slack\'s: maybe posted, counted');
});

t.test('a post cut by a crash, or one that timed out before a retry Slack refused, counts as a redelivery', async (t) => {
  const slack = await FakeSlack.start();
  t.teardown(() => slack.close());
  const dir = await mkdtemp(join(tmpdir(), 'tocsin-dispatch-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const crashed = await mkdtemp(join(tmpdir(), 'tocsin-dispatch-crashed-'));
  t.teardown(() => rm(crashed, { recursive: true, force: true }));

  // ops: the post hangs (no timeout in sight) when the process dies.
  // db: the first post times out, the retry gets a 500: the first may have been posted all the same.
  slack.setMode(PATHS.ops!, { kind: 'hang' });
  slack.setMode(PATHS.db!, { kind: 'failThenOk', failures: 1, fail: { kind: 'hang' }, then: { kind: 'serverError' } });
  const first = await rig(t, { slack, dir, timeoutMs: 150 });
  first.notifiers.set('ops', createWebhookNotifier({ url: slack.url(PATHS.ops!), timeoutMs: 60_000 }));
  await first.add(entry('ops'), entry('db'));
  first.dispatcher.start();
  await slack.waitForRequests(PATHS.ops!, 1);
  await waitUntil('db timed out, then got a 500', async () =>
    (await sample(first.registry, 'tocsin_relay_messages_failed_total', { destination: 'db', reason: 'serverError' })) >= 1,
  );
  // The disk as a SIGKILL would leave it: take a copy once the try marks are there.
  await waitUntil('try marks written', async () => ((await readFile(join(dir, OUTBOX_FILE), 'utf8')).match(/"t":"try"/g) ?? []).length >= 2);
  await cp(dir, crashed, { recursive: true });
  await first.shutdown();

  slack.setMode(PATHS.ops!, { kind: 'ok' });
  slack.setMode(PATHS.db!, { kind: 'ok' });
  const second = await rig(t, { slack, dir: crashed });
  t.equal(second.outbox.depth(), 2);
  second.dispatcher.start();
  await waitUntil('delivered', () => second.outbox.depth() === 0);
  t.equal(await sample(second.registry, 'tocsin_relay_redeliveries_total', { destination: 'ops' }), 1, 'cut mid-flight');
  t.equal(await sample(second.registry, 'tocsin_relay_redeliveries_total', { destination: 'db' }), 1, 'timed out, then refused');
});

t.test('a wake-up reads only what the next post needs, however long the backlog; kicks in one tick make one pump', async (t) => {
  const r = await rig(t, { pacing: { minIntervalMs: 60_000, digestThreshold: 10, maxDigestEntries: 20 } });
  // Count what the dispatcher reads from the outbox.
  const o = r.outbox;
  const reads: number[] = [];
  let pumps = 0;
  let fullCopies = 0;
  const pendingFor = o.pendingFor.bind(o);
  const destinationsWithPending = o.destinationsWithPending.bind(o);
  const pending = o.pending.bind(o);
  o.pendingFor = (destination, limit) => {
    const es = pendingFor(destination, limit);
    reads.push(es.length);
    return es;
  };
  o.destinationsWithPending = () => {
    pumps++;
    return destinationsWithPending();
  };
  o.pending = () => {
    fullCopies++;
    return pending();
  };

  await r.add(...Array.from({ length: 3000 }, () => entry('ops')));
  r.dispatcher.start();
  await r.slack.waitForRequests(PATHS.ops!, 1);
  t.equal(idsOf(r.slack.requestsTo(PATHS.ops!)[0]!).length, 20, 'a digest of maxDigestEntries');
  // The ops lane now waits a minute with a backlog of ~3000; each request still wakes the dispatcher.
  for (let i = 0; i < 100; i++) await r.add(entry('ops'), entry('db'));
  await r.slack.waitForRequests(PATHS.db!, 1);
  t.ok(pumps >= 100, `${pumps} wake-ups`);
  t.same(reads, [1, 20, 1], 'entries read: the ops head and its digest, the db head; nothing on the other wake-ups');
  t.equal(fullCopies, 0, 'pending() is never called');

  const before = pumps;
  for (let i = 0; i < 1000; i++) r.dispatcher.kick();
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(pumps - before, 1, '1000 kicks in one tick: one pump');
});

t.test('every entry ends done or dead, and the metrics account for all of them', async (t) => {
  const r = await rig(t, { pacing: { maxAttempts: 2, minIntervalMs: 5, digestThreshold: 4 } });
  r.slack.setMode(PATHS.ops!, { kind: 'failThenOk', failures: 2, fail: { kind: 'serverError' } });
  r.slack.setMode(PATHS.db!, { kind: 'slackError', error: 'channel_not_found' });
  r.slack.setMode(PATHS.web!, { kind: 'failThenOk', failures: 1, fail: { kind: 'rateLimited', retryAfterSeconds: 0 } });
  const all: OutboxEntry[] = [];
  for (let i = 0; i < 30; i++) all.push(entry(['ops', 'db', 'web', 'gone'][i % 4]!));
  r.dispatcher.start();
  for (let i = 0; i < all.length; i += 5) await r.add(...all.slice(i, i + 5));
  await waitUntil('settled', () => r.outbox.depth() === 0);
  const delivered = await sample(r.registry, 'tocsin_relay_delivery_latency_seconds_count');
  const dead = await sample(r.registry, 'tocsin_relay_dead_letters_total');
  t.equal(delivered + dead, all.length, `${delivered} delivered + ${dead} dead = ${all.length}`);
  t.equal(r.outbox.deadLetters().length, dead);
  const deliveredIds = new Set(r.slack.requests.filter((q) => q.status === 200).flatMap(idsOf));
  const deadIds = new Set(r.outbox.deadLetters().map((d) => d.entry.id));
  for (const e of all) t.ok(deliveredIds.has(e.id) !== deadIds.has(e.id), `${e.id} (${e.destination}) is exactly one of done, dead`);
  const check = promtoolCheckMetrics(await r.registry.metrics());
  t.same(check.unexpected, [], 'promtool check metrics is clean');
  t.equal(check.status, 0);
});
