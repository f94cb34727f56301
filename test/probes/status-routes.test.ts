// The status page's routes through app.inject(): the JSON it polls (uptime, last failure in
// words, a paused target, the poll rate), access as the targets API's reads are configured,
// the CSP that allows only the page's own script, and names up to 128 characters in the path.
import t, { type Test } from 'tap';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { probeTargetSchema, type ProbeTargetConfig } from '../../src/config/probes.js';
import { Secret } from '../../src/config/secret.js';
import { buildExporterApp, type TargetsApiOptions } from '../../src/exporter/app.js';
import { Scraper } from '../../src/exporter/scrape.js';
import type { Credentials } from '../../src/http/auth.js';
import { TargetStatus } from '../../src/probes/state.js';
import { StatusHistory } from '../../src/probes/status/history.js';
import { TargetStore } from '../../src/probes/target-store.js';
import type { ProbeResult } from '../../src/probes/probers/prober.js';
import { silentLogger } from '../helpers/collect.js';
import { tmpDir } from '../helpers/tmp.js';

const target = (fields: Record<string, unknown>): ProbeTargetConfig => probeTargetSchema.parse({ type: 'tcp', address: '127.0.0.1:1', ...fields });
const ok: ProbeResult = { success: true, durationSeconds: 0.0123, phases: {} };
const refused: ProbeResult = { success: false, reason: 'connection_refused', message: 'connecting to 127.0.0.1:1: connect ECONNREFUSED', durationSeconds: 0.001, phases: {} };
const LONG = `a:${'b/'.repeat(62)}cd`;

async function app(t: Test, o: { targets: ProbeTargetConfig[]; credentials?: Credentials; openReads?: boolean; paused?: string[]; maintenance?: TargetsApiOptions['maintenance'] }) {
  const store = await TargetStore.open(join(tmpDir(t, 'tocsin-status-routes-'), 'store'), silentLogger);
  for (const name of o.paused ?? []) await store.setPaused(name, true);
  const history = new StatusHistory();
  const statuses = new Map(o.targets.map((c) => [c.name, new TargetStatus(c)]));
  const api: TargetsApiOptions = {
    store,
    configTargets: () => o.targets,
    status: (name) => statuses.get(name),
    apply: () => undefined,
    credentials: () => o.credentials ?? {},
    openReads: () => o.openReads ?? true,
    history,
    ...(o.maintenance ? { maintenance: o.maintenance } : {}),
  };
  const server = buildExporterApp({ logger: silentLogger, scraper: new Scraper({ collectors: [], logger: silentLogger }), telemetryPath: '/metrics', defaultTimeout: 5, targetsApi: api });
  t.teardown(() => server.close());
  /** A check of `name` as the scheduler records it. */
  const check = (name: string, result: ProbeResult, at: number) => {
    statuses.get(name)!.record(result, at);
    history.record(name, at, result);
  };
  return { server, check };
}

t.test('the JSON: state, uptime, the last failure in words, a paused target, the poll rate', async (t) => {
  const { server, check } = await app(t, {
    targets: [target({ name: 'db', environment: 'LIVE', interval: '5s', timeout: '1s' }), target({ name: 'old', interval: '2s', timeout: '1s' })],
    paused: ['old'],
    maintenance: (name) => (name === 'db' ? { name: 'deploy', untilMs: 1_900_000_000_500 } : undefined),
  });
  const now = Date.now() / 1000;
  check('db', ok, now - 30);
  check('db', ok, now - 20);
  check('db', refused, now - 10);
  check('db', ok, now - 1);
  const res = await server.inject({ url: '/api/v1/status' });
  t.equal(res.statusCode, 200);
  t.equal(res.headers['cache-control'], 'no-store');
  const body = res.json();
  t.equal(body.refresh_seconds, 5, 'polls at the fastest interval of targets checked (the paused one is not)');
  const [db, old] = body.targets;
  t.match(db, { name: 'db', environment: 'LIVE', state: 'up', uptime_24h: 0.75, uptime_7d: 0.75, checks_24h: 4, latency_seconds: 0.0123, last_success: true, source: 'config', paused: false });
  t.same(db.maintenance, { until: 1_900_000_001, window: 'deploy' }, 'an open maintenance window');
  t.equal(old.maintenance, null);
  t.match(db.last_failure, { reason: 'connection_refused', reason_text: 'Connection refused', message: /ECONNREFUSED/ });
  t.ok(Math.abs(db.last_failure.at - (now - 10)) < 0.01);
  t.equal(db.minutes.latency_ms.length, 60);
  t.equal(db.minutes.failures.reduce((a: number, b: number) => a + b, 0), 1, 'the failure is in the graph');
  t.ok(db.minutes.latency_ms.some((v: number | null) => v !== null));
  t.match(old, { name: 'old', state: 'paused', paused: true, uptime_24h: null, last_failure: null, since: null });
  t.notOk('failures' in old.minutes, 'an hour without failures sends no failure counts');

  const one = await server.inject({ url: '/api/v1/status/db' });
  t.equal(one.statusCode, 200);
  t.same(
    one.json().recent.map((c: { success: boolean; reason?: string }) => [c.success, c.reason ?? null]),
    [[true, null], [true, null], [false, 'connection_refused'], [true, null]],
    'recent checks, oldest first',
  );
  const missing = await server.inject({ url: '/api/v1/status/nope' });
  t.equal(missing.statusCode, 404);
  t.match(missing.json(), { message: /target "nope" not found/ });
  t.equal((await server.inject({ url: '/status/nope' })).statusCode, 200, 'the page itself loads and says so from the JSON');
});

t.test('a name of 128 characters with "/" and ":" in the path', async (t) => {
  const { server } = await app(t, { targets: [target({ name: LONG })] });
  t.equal(LONG.length, 128);
  const res = await server.inject({ url: `/api/v1/status/${encodeURIComponent(LONG)}` });
  t.equal(res.statusCode, 200, res.body);
  t.equal(res.json().target.name, LONG);
  const page = await server.inject({ url: `/status/${encodeURIComponent(LONG)}` });
  t.equal(page.statusCode, 200);
  t.match(page.body, `data-name="${LONG}"`);
});

t.test('reads as the targets API: open, behind the token, or refused without credentials', async (t) => {
  const token = { bearerToken: new Secret('status-token-1234') };
  const closed = await app(t, { targets: [target({ name: 'db' })], credentials: token, openReads: false });
  for (const url of ['/status', '/status/db', '/api/v1/status', '/api/v1/status/db']) {
    t.equal((await closed.server.inject({ url })).statusCode, 401, `${url} without the token`);
    t.equal((await closed.server.inject({ url, headers: { authorization: 'Bearer status-token-1234' } })).statusCode, 200, `${url} with it`);
  }
  const none = await app(t, { targets: [], openReads: false });
  const refused = await none.server.inject({ url: '/status' });
  t.equal(refused.statusCode, 403);
  t.match(refused.json(), { message: /api_open_reads/ });
  const open = await app(t, { targets: [], credentials: token });
  t.equal((await open.server.inject({ url: '/status' })).statusCode, 200, 'open reads need no token');
  t.match((await open.server.inject({ url: '/' })).body, '<a href="status">Status page</a>', 'linked from the landing page');
});

t.test('the CSP allows the page its own inline script and style, nothing else', async (t) => {
  const { server } = await app(t, { targets: [] });
  const res = await server.inject({ url: '/status' });
  const csp = String(res.headers['content-security-policy']);
  const hash = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;
  const scripts = [...res.body.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
  const styles = [...res.body.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]!);
  t.equal(scripts.length, 1);
  t.equal(styles.length, 1);
  t.match(csp, `script-src ${hash(scripts[0]!)};`);
  t.match(csp, `style-src ${hash(styles[0]!)};`);
  t.match(csp, "default-src 'none'");
  t.match(csp, "connect-src 'self'");
  t.notMatch(res.body, /<(link|script)[^>]+(src|href)="https?:/, 'no external assets');
});

t.test('the list JSON is gzipped for a client that takes gzip, and the same JSON either way', async (t) => {
  const targets = Array.from({ length: 40 }, (_, i) => target({ name: `web-${i}`, environment: i % 2 ? 'LIVE' : 'DEV', interval: '10s', timeout: '1s' }));
  const { server, check } = await app(t, { targets });
  const now = Date.now() / 1000;
  for (const c of targets) check(c.name, ok, now - 5);
  const plain = await server.inject({ url: '/api/v1/status' });
  t.equal(plain.headers['content-encoding'], undefined, 'no gzip unasked');
  t.equal(plain.headers.vary, 'accept-encoding');
  const zipped = await server.inject({ url: '/api/v1/status', headers: { 'accept-encoding': 'gzip, deflate, br' } });
  t.equal(zipped.headers['content-encoding'], 'gzip');
  t.match(zipped.headers['content-type'], /^application\/json/);
  const unzipped = JSON.parse(gunzipSync(zipped.rawPayload).toString('utf8')) as { targets: unknown[] };
  t.equal(unzipped.targets.length, 40, 'every target in it');
  t.ok(zipped.rawPayload.length * 4 < plain.rawPayload.length, `gzip shrinks it (${plain.rawPayload.length} → ${zipped.rawPayload.length} bytes)`);
  t.equal((await server.inject({ url: '/api/v1/status', headers: { 'accept-encoding': 'gzip;q=0' } })).headers['content-encoding'], undefined, 'gzip;q=0 refuses it');
});
