// The relay built with relay.shared_state.redis (createRelay, in-process, app.inject), against a
// real redis-server: two relays sharing it answer one copy "accepted" and the other "duplicate";
// a notification that cannot be stored (full disk) releases its claim, so Alertmanager's retry is
// accepted rather than dropped as a duplicate; a relay whose Redis is unreachable starts and
// accepts everything (fail open), counted and logged once; the setting needs a restart.
import t, { type Test } from 'tap';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { createRelay, type Relay } from '../../src/relay/server.js';
import { parseExposition, select } from '../helpers/exposition.js';
import { FullDiskFs } from '../helpers/full-disk-fs.js';
import { captureLogger } from '../helpers/log-capture.js';
import { freePort } from '../helpers/net.js';
import { firingNotification } from '../helpers/notification.js';
import { startRedis } from '../helpers/redis-server.js';
import { tmpDir } from '../helpers/tmp.js';

const PASSWORD = 'relay-redis-pass-0a9f3e71';
process.env.TOCSIN_SHARED_STATE_TEST_PASSWORD = PASSWORD;

function config(dataDir: string, address: string, extra = '') {
  return parseConfig(
    `relay:\n  data_dir: ${dataDir}\n  delivery: {min_interval: 10ms}\n  destinations: [{name: console, type: console}]\n` +
      `  shared_state:\n    redis: {address: "${address}", password: "\${TOCSIN_SHARED_STATE_TEST_PASSWORD}", timeout: 300ms${extra}}\n`,
    'shared-state.yml',
  );
}

const notification = (name: string) => firingNotification({ alertname: name, severity: 'warning' }, { fingerprint: name, startsAt: '2026-11-30T08:00:00Z' });

async function open(t: Test, cfg: ReturnType<typeof config>, o: { fs?: FullDiskFs } = {}) {
  const { logger, lines } = captureLogger('info');
  const relay: Relay = await createRelay(cfg, logger, { consoleWrite: () => undefined, ...(o.fs ? { outboxFs: o.fs } : {}) });
  t.teardown(() => relay.close());
  const post = (name: string) => relay.app.inject({ method: 'POST', url: '/hooks/alertmanager', payload: notification(name) });
  const metric = async (name: string, labels: Record<string, string> = {}) =>
    select(parseExposition((await relay.app.inject({ url: '/metrics' })).body), name, labels).reduce((sum, s) => sum + s.value, 0);
  return { relay, lines, post, metric };
}

t.test('two relays sharing Redis: the same notification posted to both at once is accepted by one', async (t) => {
  const redis = await startRedis(t, { password: PASSWORD });
  const a = await open(t, config(join(tmpDir(t, 'tocsin-ss-a-'), 'data'), redis.address));
  const b = await open(t, config(join(tmpDir(t, 'tocsin-ss-b-'), 'data'), redis.address));
  for (let i = 0; i < 10; i++) {
    const [ra, rb] = await Promise.all([a.post(`Both${i}`), b.post(`Both${i}`)]);
    t.same([ra.statusCode, rb.statusCode], [200, 200], `Both${i}: 200 from both`);
    t.same([ra.json().outcome, rb.json().outcome].sort(), ['accepted', 'duplicate'], `Both${i}: one accepted, one duplicate`);
  }
  t.equal((await a.metric('tocsin_relay_duplicates_total')) + (await b.metric('tocsin_relay_duplicates_total')), 10, 'ten duplicates counted');
  t.equal(a.relay.outbox.depth() + b.relay.outbox.depth() + (await a.metric('tocsin_relay_delivery_latency_seconds_count')) + (await b.metric('tocsin_relay_delivery_latency_seconds_count')), 10, 'ten stored between them');
});

t.test('a notification that cannot be stored releases its claim: the retry is accepted, not taken for a duplicate', async (t) => {
  const redis = await startRedis(t, { password: PASSWORD });
  const dataDir = join(tmpDir(t, 'tocsin-ss-full-'), 'data');
  mkdirSync(dataDir, { recursive: true });
  const fs = new FullDiskFs(dataDir);
  const r = await open(t, config(dataDir, redis.address), { fs });
  fs.fill();
  t.equal((await r.post('Full')).statusCode, 503, 'not stored: 503, Alertmanager retries');
  fs.free();
  const retried = await r.post('Full');
  t.equal(retried.statusCode, 200);
  t.equal(retried.json().outcome, 'accepted', 'the retry is accepted');
  t.equal((await r.post('Full')).json().outcome, 'duplicate', 'and a copy after that is a duplicate');
});

t.test('Redis unreachable from the start: the relay starts, accepts everything (fail open), counts it, logs once; the setting needs a restart', async (t) => {
  const closed = await freePort(); // nothing listens there
  const dataDir = join(tmpDir(t, 'tocsin-ss-down-'), 'data');
  const started = Date.now();
  const r = await open(t, config(dataDir, `127.0.0.1:${closed}`));
  t.ok(Date.now() - started < 5_000, 'it did not wait long for Redis');
  for (let i = 0; i < 3; i++) t.equal((await r.post('Same')).json().outcome, 'accepted', `copy ${i + 1} accepted: delivered twice rather than lost`);
  t.ok((await r.metric('tocsin_relay_shared_state_errors_total', { operation: 'duplicates' })) >= 3, 'each failed claim counted');
  t.equal(await r.metric('tocsin_relay_shared_state_up'), 0, 'up 0');
  t.equal(r.lines.filter((l) => /shared state \(Redis\) unreachable/.test(l.msg)).length, 1, 'one log line');
  t.notOk(JSON.stringify(r.lines).includes(PASSWORD), 'no password in the logs');
  const restart = await r.relay.reconfigure(config(dataDir, `127.0.0.1:${closed}`, ', key_prefix: "other:"'));
  t.same(restart, ['relay.shared_state'], 'a changed shared_state is named as needing a restart');
  t.same(await r.relay.reconfigure(config(dataDir, `127.0.0.1:${closed}`)), [], 'the same one is not');
});
