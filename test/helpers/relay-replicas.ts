// Two relay replicas behind "one Service", for test/relay/two-replicas*.test.ts: one real Redis
// (redis-server) shared by two real `tocsin relay` processes, one real Alertmanager cluster of two
// peers gossiping on loopback, the fake Slack Web API (slack_app threads) and the fake incoming
// webhook. "One Service" is modelled as Alertmanager in HA: each peer is told the relay's one
// address and, as a Service spreads connections, each peer's requests land on a different replica
// (peer 1 -> relay A, peer 2 -> relay B). --cluster.peer-timeout=0s and gossip every 5 s make both
// peers send every notification at once (neither knows yet that the other sent it), as a slow
// relay or Alertmanager's own HA duplicates (its #4108, #4347) do: the replicas must agree through
// Redis that one of them delivers it.
import type { Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAlertmanager, type Alertmanager, type PostableAlert } from './alertmanager.js';
import { FakeSlack } from './fake-slack.js';
import { FakeSlackApi, type ApiCall } from './fake-slack-api.js';
import { parseExposition, select } from './exposition.js';
import { freePort } from './net.js';
import { startRedis, type RedisServer } from './redis-server.js';
import { pollUntil, startRelayProcess, writeRelayConfig, type RelayProcess } from './relay-config.js';
import { tmpDir } from './tmp.js';

export const TOKEN_A = 'xoxb-replica-a-token-0123456789';
export const TOKEN_B = 'xoxb-replica-b-token-0123456789';
export const CHANNEL = 'C0123456789';
export const REDIS_PASSWORD = 'two-replicas-redis-secret-4c7d';
export const HOOK_PATH = '/services/T000/B000/two-replicas-hook-secret';
export const WAIT_MS = 60_000;

export interface Cluster {
  readonly redis: RedisServer;
  readonly api: FakeSlackApi;
  readonly hooks: FakeSlack;
  readonly relays: { a: RelayProcess; b: RelayProcess };
  readonly ams: readonly Alertmanager[];
  /** Starts relay A again on the same address and data directory (after a kill). */
  restartA(): Promise<RelayProcess>;
  post(alerts: readonly PostableAlert[]): Promise<void>;
}

export interface ReplicaSettings {
  /** relay.delivery.min_interval of relay A (slow: pending entries to kill it with). */
  readonly aInterval?: string;
  /** Also deliver to the incoming webhook. */
  readonly webhook?: boolean;
}

export async function replicaCluster(t: Test, o: ReplicaSettings = {}): Promise<Cluster> {
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
  const am1 = await startAlertmanager({ config: amConfig(a.url), cluster: { port: gossip[0]!, peers: [], peerTimeout: '0s', gossipInterval: '5s' } });
  t.teardown(() => am1.stop());
  const am2 = await startAlertmanager({ config: amConfig(b.url), cluster: { port: gossip[1]!, peers: [`127.0.0.1:${gossip[0]}`], peerTimeout: '0s', gossipInterval: '5s' } });
  t.teardown(() => am2.stop());
  // Both peers see each other and have settled (until then a peer holds its notifications back,
  // and by the time it sends, the other's notification log has reached it): API v2 status.
  const settled = async (am: Alertmanager) => {
    const res = await fetch(`${am.url}/api/v2/status`, { signal: AbortSignal.timeout(5_000) });
    const cluster = ((await res.json()) as { cluster?: { status?: string; peers?: unknown[] } }).cluster;
    return cluster?.status === 'ready' && cluster.peers?.length === 2;
  };
  await pollUntil(async () => (await Promise.all([am1, am2].map(settled))).every(Boolean), WAIT_MS, () => 'the two Alertmanager peers did not form a settled cluster', 200);
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

export const STARTS_AT = new Date(Date.now() - 60_000).toISOString();
export const burst = (prefix: string, n: number): PostableAlert[] =>
  Array.from({ length: n }, (_, i) => ({ labels: { alertname: `${prefix}${String(i + 1).padStart(2, '0')}`, severity: 'warning' }, annotations: { summary: `${prefix} ${i + 1}` }, startsAt: STARTS_AT }));
export const header = (c: ApiCall) =>
  ((c.args.attachments as { blocks?: { type: string; text?: { text?: string } }[] }[] | undefined)?.[0]?.blocks ?? []).find((b) => b.type === 'header')?.text?.text ?? '';
export const parents = (api: FakeSlackApi) => api.okCalls().filter((c) => c.method === 'chat.postMessage' && c.args.thread_ts === undefined);
/** Alert name -> how many parent messages name it. */
export function parentsByAlert(api: FakeSlackApi, prefix: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const c of parents(api)) {
    const name = new RegExp(`\\b(${prefix}\\d\\d)\\b`).exec(header(c))?.[1];
    if (name) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}
export function hookMessagesByAlert(hooks: FakeSlack, prefix: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of hooks.requestsTo(HOOK_PATH)) {
    if (r.status !== 200) continue;
    const names = new Set(r.rawBody.match(new RegExp(`\\b${prefix}\\d\\d\\b`, 'g')) ?? []);
    for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}
export async function metric(relay: RelayProcess, name: string, labels: Record<string, string> = {}): Promise<number> {
  const res = await fetch(`${relay.url}/metrics`, { signal: AbortSignal.timeout(5_000) });
  return select(parseExposition(await res.text()), name, labels).reduce((sum, s) => sum + s.value, 0);
}
export const allNames = (prefix: string, n: number) => burst(prefix, n).map((a) => a.labels.alertname!);
/** A quiet spell after the expected count is reached, for a late duplicate to show up. */
export const settle = () => new Promise((r) => setTimeout(r, 3_000));

