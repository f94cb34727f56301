// Two relay replicas behind "one Service", end to end with real parts: one real Redis
// (redis-server) shared by two real `tocsin relay` processes, one real Alertmanager cluster of two
// peers gossiping on loopback, the fake Slack Web API (slack_app threads) and the fake incoming
// webhook. "One Service" is modelled as Alertmanager in HA: each peer is told the relay's one
// address and, as a Service spreads connections, each peer's requests land on a different replica
// (peer 1 -> relay A, peer 2 -> relay B). --cluster.peer-timeout=0s and gossip every 2 s make both
// peers send every notification at once (neither knows yet that the other sent it), as a slow
// relay or Alertmanager's own HA duplicates (its #4108, #4347) do: the replicas must agree through
// Redis that one of them delivers it.
import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAlertmanager, type Alertmanager, type PostableAlert } from '../helpers/alertmanager.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import { FakeSlackApi, type ApiCall } from '../helpers/fake-slack-api.js';
import { parseExposition, select } from '../helpers/exposition.js';
import { freePort } from '../helpers/net.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { pollUntil, startRelayProcess, writeRelayConfig, type RelayProcess } from '../helpers/relay-config.js';
import { tmpDir } from '../helpers/tmp.js';

const TOKEN_A = 'xoxb-replica-a-token-0123456789';
const TOKEN_B = 'xoxb-replica-b-token-0123456789';
const CHANNEL = 'C0123456789';
const REDIS_PASSWORD = 'two-replicas-redis-secret-4c7d';
const HOOK_PATH = '/services/T000/B000/two-replicas-hook-secret';
const WAIT_MS = 60_000;

interface Cluster {
  readonly redis: RedisServer;
  readonly api: FakeSlackApi;
  readonly hooks: FakeSlack;
  readonly relays: { a: RelayProcess; b: RelayProcess };
  readonly ams: readonly Alertmanager[];
  /** Starts relay A again on the same address and data directory (after a kill). */
  restartA(): Promise<RelayProcess>;
  post(alerts: readonly PostableAlert[]): Promise<void>;
}

interface ReplicaSettings {
  /** relay.delivery.min_interval of relay A (slow: pending entries to kill it with). */
  readonly aInterval?: string;
  /** Also deliver to the incoming webhook. */
  readonly webhook?: boolean;
}

async function cluster(t: Test, o: ReplicaSettings = {}): Promise<Cluster> {
  const redis = await startRedis(t, { password: REDIS_PASSWORD });
  const api = await FakeSlackApi.start({ tokens: [TOKEN_A, TOKEN_B], channels: [CHANNEL] });
  t.teardown(() => api.close());
  const hooks = await FakeSlack.start();
  t.teardown(() => hooks.close());
  const dir = tmpDir(t, 'tocsin-two-replicas-');
  const env = { TOCSIN_TWO_REPLICAS_REDIS_PASSWORD: REDIS_PASSWORD, TOCSIN_TWO_REPLICAS_HOOK: hooks.url(HOOK_PATH) };

  const relayConfig = (name: string, token: string, interval: string) => {
    const home = join(dir, name);
    writeFileSync(join(dir, `${name}-token`), token, { mode: 0o600 });
    return writeRelayConfig(
      tmpDir(t, `tocsin-two-replicas-${name}-`),
      {
        data_dir: home,
        delivery: { min_interval: interval, timeout: '2s', digest_threshold: 1000 },
        destinations: [
          { name: 'incidents', type: 'slack_app', bot_token_file: join(dir, `${name}-token`), channel: CHANNEL, api_url: api.url },
          ...(o.webhook ? [{ name: 'alerts', type: 'slack', webhook_url: '${TOCSIN_TWO_REPLICAS_HOOK}' }] : []),
        ],
        shared_state: { redis: { address: redis.address, password: '${TOCSIN_TWO_REPLICAS_REDIS_PASSWORD}', key_prefix: 'tocsin-test:', timeout: '500ms' } },
      },
      'debug',
    );
  };
  const portA = await freePort();
  const portB = await freePort();
  const start = (config: string, port: number) => startRelayProcess({ configFile: config, env, listenAddress: `127.0.0.1:${port}` });
  let a = await start(relayConfig('a', TOKEN_A, o.aInterval ?? '20ms'), portA);
  t.teardown(() => a.stop());
  const b = await start(relayConfig('b', TOKEN_B, '20ms'), portB);
  t.teardown(() => b.stop());

  const gossip = [await freePort(), await freePort()];
  const amConfig = (relay: string) => ({
    route: { receiver: 'relay', group_by: ['alertname'], group_wait: '1s', group_interval: '1s', repeat_interval: '4h' },
    receivers: [{ name: 'relay', webhook_configs: [{ url: `${relay}/hooks/alertmanager`, send_resolved: false }] }],
  });
  const am1 = await startAlertmanager({ config: amConfig(a.url), cluster: { port: gossip[0]!, peers: [], peerTimeout: '0s', gossipInterval: '2s' } });
  t.teardown(() => am1.stop());
  const am2 = await startAlertmanager({ config: amConfig(b.url), cluster: { port: gossip[1]!, peers: [`127.0.0.1:${gossip[0]}`], peerTimeout: '0s', gossipInterval: '2s' } });
  t.teardown(() => am2.stop());
  // Both peers see each other before the test starts: Alertmanager's own cluster_members gauge.
  await pollUntil(
    async () => (await Promise.all([am1, am2].map(async (am) => /^alertmanager_cluster_members 2$/m.test(await am.metrics())))).every(Boolean),
    WAIT_MS,
    () => 'the two Alertmanager peers did not form a cluster',
    200,
  );
  const relays = {
    get a() {
      return a;
    },
    b,
  };
  return {
    redis,
    api,
    hooks,
    relays,
    ams: [am1, am2],
    async restartA() {
      a = await start(relayConfig('a', TOKEN_A, '20ms'), portA);
      return a;
    },
    // As Prometheus does: every alert to every Alertmanager peer.
    post: async (alerts) => void (await Promise.all([am1.postAlerts(alerts), am2.postAlerts(alerts)])),
  };
}

const STARTS_AT = new Date(Date.now() - 60_000).toISOString();
const burst = (prefix: string, n: number): PostableAlert[] =>
  Array.from({ length: n }, (_, i) => ({ labels: { alertname: `${prefix}${String(i + 1).padStart(2, '0')}`, severity: 'warning' }, annotations: { summary: `${prefix} ${i + 1}` }, startsAt: STARTS_AT }));
const header = (c: ApiCall) =>
  ((c.args.attachments as { blocks?: { type: string; text?: { text?: string } }[] }[] | undefined)?.[0]?.blocks ?? []).find((b) => b.type === 'header')?.text?.text ?? '';
const parents = (api: FakeSlackApi) => api.okCalls().filter((c) => c.method === 'chat.postMessage' && c.args.thread_ts === undefined);
/** Alert name -> how many parent messages name it. */
function parentsByAlert(api: FakeSlackApi, prefix: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const c of parents(api)) {
    const name = new RegExp(`\\b(${prefix}\\d\\d)\\b`).exec(header(c))?.[1];
    if (name) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}
function hookMessagesByAlert(hooks: FakeSlack, prefix: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of hooks.requestsTo(HOOK_PATH)) {
    if (r.status !== 200) continue;
    const names = new Set(r.rawBody.match(new RegExp(`\\b${prefix}\\d\\d\\b`, 'g')) ?? []);
    for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}
async function metric(relay: RelayProcess, name: string, labels: Record<string, string> = {}): Promise<number> {
  const res = await fetch(`${relay.url}/metrics`, { signal: AbortSignal.timeout(5_000) });
  return select(parseExposition(await res.text()), name, labels).reduce((sum, s) => sum + s.value, 0);
}
const allNames = (prefix: string, n: number) => burst(prefix, n).map((a) => a.labels.alertname!);
/** A quiet spell after the expected count is reached, for a late duplicate to show up. */
const settle = () => new Promise((r) => setTimeout(r, 3_000));

t.test('a burst through two Alertmanager peers and two relays reaches Slack once each; with Redis stopped nothing is lost', async (t) => {
  const c = await cluster(t, { webhook: true });
  const N = 20;
  await c.post(burst('Burst', N));
  await pollUntil(() => parentsByAlert(c.api, 'Burst').size === N && hookMessagesByAlert(c.hooks, 'Burst').size === N, WAIT_MS, () => `parents for ${[...parentsByAlert(c.api, 'Burst').keys()]}`);
  await settle();
  t.same(Object.fromEntries(parentsByAlert(c.api, 'Burst')), Object.fromEntries(allNames('Burst', N).map((n) => [n, 1])), 'one Slack thread per alert group');
  t.equal(c.api.okCalls().filter((x) => x.method !== 'chat.postMessage' || x.args.thread_ts !== undefined).length, 0, 'no reply or edit: nothing was delivered twice');
  t.same(Object.fromEntries(hookMessagesByAlert(c.hooks, 'Burst')), Object.fromEntries(allNames('Burst', N).map((n) => [n, 1])), 'one webhook message per alert group');
  const received = [await metric(c.relays.a, 'tocsin_relay_notifications_received_total'), await metric(c.relays.b, 'tocsin_relay_notifications_received_total')];
  const duplicates = (await metric(c.relays.a, 'tocsin_relay_duplicates_total')) + (await metric(c.relays.b, 'tocsin_relay_duplicates_total'));
  t.ok(received[0]! > 0 && received[1]! > 0, `both replicas received notifications (${received.join(' and ')})`);
  t.ok(duplicates >= 1, `both Alertmanager peers sent, and the replicas dropped ${duplicates} copies`);
  t.equal(await metric(c.relays.a, 'tocsin_relay_shared_state_errors_total'), 0, 'Redis answered every time');

  // Redis goes away: both replicas go on without it.
  await c.redis.stop();
  const M = 5;
  await c.post(burst('Down', M));
  await pollUntil(() => parentsByAlert(c.api, 'Down').size === M && hookMessagesByAlert(c.hooks, 'Down').size === M, WAIT_MS, () => `parents for ${[...parentsByAlert(c.api, 'Down').keys()]}`);
  t.pass('Redis down: every notification reached Slack (duplicates fail open)');
  const errors = (await metric(c.relays.a, 'tocsin_relay_shared_state_errors_total', { operation: 'duplicates' })) + (await metric(c.relays.b, 'tocsin_relay_shared_state_errors_total', { operation: 'duplicates' }));
  t.ok(errors >= M, `failed claims counted: ${errors}`);
  t.equal(await metric(c.relays.a, 'tocsin_relay_shared_state_up'), 0, 'the up gauge says so');
  for (const [name, relay] of Object.entries({ a: c.relays.a, b: c.relays.b })) {
    const lines = relay.stderr().split('\n').filter((l) => l.includes('shared state (Redis) unreachable'));
    t.equal(lines.length, 1, `relay ${name}: one log line for the outage, not one per notification`);
  }

  // Redis back (empty: it kept nothing): the replicas use it again, and a burst is once each again.
  await c.redis.start();
  await pollUntil(async () => (await metric(c.relays.a, 'tocsin_relay_shared_state_up')) === 1 && (await metric(c.relays.b, 'tocsin_relay_shared_state_up')) === 1, WAIT_MS, () => 'the relays did not reconnect to Redis');
  await c.post(burst('Back', M));
  await pollUntil(() => parentsByAlert(c.api, 'Back').size === M, WAIT_MS, () => `parents for ${[...parentsByAlert(c.api, 'Back').keys()]}`);
  await settle();
  t.same(Object.fromEntries(parentsByAlert(c.api, 'Back')), Object.fromEntries(allNames('Back', M).map((n) => [n, 1])), 'Redis back: one thread per group again');
  t.ok(c.relays.a.stderr().includes('shared state (Redis) reachable again'), 'the end of the outage is logged');
  t.notOk(c.api.calls.some((x) => x.orphan), 'no reply was ever posted before its parent');
  for (const relay of [c.relays.a, c.relays.b]) {
    t.notOk(relay.stderr().includes(REDIS_PASSWORD), 'the Redis password is not in the logs');
    t.notOk((await (await fetch(`${relay.url}/metrics`)).text()).includes(REDIS_PASSWORD), 'nor in the metrics');
  }
});

t.test('a relay killed (SIGKILL) mid-burst loses nothing and makes no second thread: its outbox delivers after the restart', async (t) => {
  // Relay A posts once every 3 s, so it holds accepted, undelivered notifications; it is killed
  // between two posts (never while a post is in flight: a post Slack took whose answer was lost is
  // a redelivery by design, counted by tocsin_relay_redeliveries_total).
  const c = await cluster(t, { aInterval: '3s' });
  const N = 20;
  await c.post(burst('Kill', N));
  const aCalls = () => c.api.calls.filter((x) => x.token === TOKEN_A);
  let pendingAtKill = 0;
  await pollUntil(
    async () => {
      const last = aCalls().at(-1);
      if (last === undefined || last.status === 'hung') return false;
      const quiet = performance.now() - last.at;
      if (quiet < 500 || quiet > 2_000) return false;
      pendingAtKill = await metric(c.relays.a, 'tocsin_relay_outbox_depth');
      return pendingAtKill > 0;
    },
    WAIT_MS,
    () => `relay A never held undelivered notifications between posts (${aCalls().length} posts)`,
    50,
  );
  await c.relays.a.kill();
  t.ok(pendingAtKill > 0, `relay A was killed holding ${pendingAtKill} accepted, undelivered notifications`);
  const before = parentsByAlert(c.api, 'Kill').size;
  t.ok(before < N, `${before} of ${N} groups were in Slack at the kill`);

  const a = await c.restartA();
  t.match(a.stderr(), /"pendingFromLastRun":[1-9]/, 'the restarted relay found them in its outbox');
  await pollUntil(() => parentsByAlert(c.api, 'Kill').size === N, WAIT_MS, () => `parents for ${[...parentsByAlert(c.api, 'Kill').keys()]}`);
  await settle();
  t.same(Object.fromEntries(parentsByAlert(c.api, 'Kill')), Object.fromEntries(allNames('Kill', N).map((n) => [n, 1])), 'every group in Slack, each with one thread');
  t.notOk(c.api.calls.some((x) => x.orphan), 'no reply before its parent');
});
