// Property-based bad input (fast-check) against a real exporter with probes, over real HTTP on
// loopback: mutated bodies for the targets API (POST, PUT, PATCH), maintenance windows and push
// heartbeats, and any `target`/`module` for /probe and any name in the status and target paths.
// Every input gets a 2xx or a 4xx whose message names what was wrong, never a 5xx or a dropped
// connection; the exporter keeps serving /metrics; and every target the API accepted is still
// there after a restart on the same data_dir (nothing accepted is lost).
//
// Only loopback is ever probed: the mutated targets start from 127.0.0.1 addresses with a 24 h
// interval (a check, if one runs, lands on a closed loopback port), and /probe's targets are
// loopback URLs or strings that are not addresses at all.
import t from 'tap';
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { startExporter } from '../../src/exporter/server.js';
import { silentLogger } from '../helpers/collect.js';
import { parseExposition } from '../helpers/exposition.js';
import { freePort } from '../helpers/net.js';
import { tmpDir } from '../helpers/tmp.js';
import { anyJson, figures, mutation, mutate, report, SEED, toJsonText, type Figures } from './mutations.js';

const RUNS = Number(process.env.TOCSIN_FUZZ_RUNS ?? 300);
const API_TOKEN = 'fuzz-probes-api-token';
const PUSH_TOKEN = 'fuzz-push-heartbeat-token-1234';

interface Answer {
  readonly status: number;
  readonly text: string;
}

/** A request over real HTTP; undefined when the connection failed (a crash, a reset). */
async function send(url: string, init: RequestInit & { headers?: Record<string, string> }): Promise<Answer | undefined> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
    return { status: res.status, text: await res.text() };
  } catch {
    return undefined;
  }
}

/** What is wrong with an answer, or undefined: 2xx, or a 4xx with a JSON message naming a field or the body. */
function problem(a: Answer | undefined): string | undefined {
  if (!a) return 'no answer (connection failed)';
  if (a.status < 300) return undefined;
  if (a.status >= 500) return `answered ${a.status}: ${a.text.slice(0, 300)}`;
  let message: unknown;
  try {
    message = (JSON.parse(a.text) as { message?: unknown }).message;
  } catch {
    return `a ${a.status} without a JSON error body: ${a.text.slice(0, 200)}`;
  }
  if (typeof message !== 'string' || message.length === 0) return `a ${a.status} without a message`;
  // A 400 names the field ("interval: ...", "http.body_regex: ...", "windows[0].end: ...") or
  // says the body as a whole is wrong.
  if (a.status === 400 && !/^[\w$.[\]-]+( \([^)]*\))?:|\bbody\b|JSON|request/i.test(message)) return `a 400 whose message names no field: ${message}`;
  return undefined;
}

function tally(f: Figures, a: Answer | undefined): void {
  f.tried++;
  if (!a) f.crashes++;
  else if (a.status >= 500) f.server++;
  else if (a.status >= 400) f.client++;
  else f.ok++;
}

/** Valid bodies to mutate: one of each target type, all on loopback and checked once a day. */
function validTargets(closedPort: number): Record<string, unknown>[] {
  return [
    { name: 'web', type: 'http', address: `http://127.0.0.1:${closedPort}/health`, environment: 'LIVE', interval: '24h', timeout: '2s', retries: 1, retry_delay: '1s', labels: { team: 'web' }, http: { method: 'GET', valid_status_codes: [200], body_regex: 'ok', json_condition: '$.status == "ok"', max_response_time: '1s', follow_redirects: false } },
    { name: 'chat', type: 'websocket', address: `ws://127.0.0.1:${closedPort}/ws`, interval: '24h', timeout: '3s', notify: false, websocket: { ping: true } },
    { name: 'db', type: 'tcp', address: `127.0.0.1:${closedPort}`, interval: '24h', failure_threshold: 3, success_threshold: 2 },
    { name: 'job', type: 'push', interval: '24h', push: { grace: '1m' } },
    { name: 'site', type: 'http', address: `http://127.0.0.1:${closedPort}/`, interval: '24h', maintenance: [{ start: '2026-12-01T00:00:00Z', end: '2026-12-01T01:00:00Z' }] },
  ];
}

const validWindows = [
  { start: '2026-12-01T22:00:00Z', end: '2026-12-01T23:30:00Z' },
  { weekdays: ['sun'], at: '03:00', duration: '2h', time_zone: 'Europe/Berlin' },
  { cron: '0 1 1 * *', duration: '1h', time_zone: 'UTC' },
];

t.test('exporter probes API, /probe, push and status paths: a 2xx or a 4xx naming the field, nothing accepted lost', async (t) => {
  const dir = tmpDir(t, 'tocsin-probes-fuzz-');
  writeFileSync(join(dir, 'api-token'), API_TOKEN);
  writeFileSync(join(dir, 'push-token'), PUSH_TOKEN);
  const closedPort = await freePort();
  const port = await freePort();
  const config = parseConfig(
    `exporter:
  listen_address: 127.0.0.1:${port}
  collectors: {cpu: {enabled: false}, meminfo: {enabled: false}, loadavg: {enabled: false}, stat: {enabled: false}, vmstat: {enabled: false}, pressure: {enabled: false}, filesystem: {enabled: false}, netdev: {enabled: false}, diskstats: {enabled: false}, process: {enabled: false}}
  probes:
    data_dir: ${dir}/store
    api_auth: {bearer_token_file: ${dir}/api-token}
    targets:
      - {name: beat, type: push, interval: 24h, push: {token_file: ${dir}/push-token}}
`,
    'tocsin.yml',
    dir,
  );
  let exporter = await startExporter(config, silentLogger);
  t.teardown(() => exporter.close());
  const base = `http://127.0.0.1:${port}`;
  const auth = { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' };
  const accepted = new Set<string>();
  const f = figures();
  const check = (a: Answer | undefined) => {
    tally(f, a);
    const p = problem(a);
    if (p) throw new Error(p);
  };
  const bodies = validTargets(closedPort);
  const pathName = fc.oneof(fc.constantFrom('web', 'beat', 'job', 'no-such-target', '', '..', '%2e%2e', 'a'.repeat(600)), fc.string({ unit: 'grapheme', maxLength: 30 }));

  // 1. The targets API: POST, PUT and PATCH with mutated bodies (and raw text that is not JSON).
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('POST', 'PUT', 'PATCH'),
      fc.nat({ max: bodies.length - 1 }),
      // Sometimes none: the valid body itself, so that some are accepted and can be lost.
      fc.array(mutation, { minLength: 0, maxLength: 3 }),
      fc.nat(),
      // Now and then a body that is not JSON at all.
      fc.oneof({ arbitrary: fc.constant(null), weight: 7 }, { arbitrary: fc.string({ unit: 'binary', maxLength: 200 }), weight: 1 }),
      // The path's name: mostly the body's, sometimes another (a rename, a stranger name).
      fc.oneof({ arbitrary: fc.constant(null), weight: 2 }, { arbitrary: pathName, weight: 1 }),
      async (method, which, mutations, n, raw, other) => {
        const body = mutate(structuredClone({ ...bodies[which]!, name: `${bodies[which]!.name}-${n % 50}` }), mutations);
        const name = typeof (body as { name?: unknown }).name === 'string' ? ((body as { name: string }).name) : `t-${n % 50}`;
        const url = method === 'POST' ? `${base}/api/v1/targets` : `${base}/api/v1/targets/${encodeURIComponent(other ?? name)}`;
        const a = await send(url, { method, headers: auth, body: raw ?? toJsonText(body) });
        check(a);
        if (a && (a.status === 200 || a.status === 201) && method !== 'PATCH') accepted.add((JSON.parse(a.text) as { name: string }).name);
        return true;
      },
    ),
    { seed: SEED, numRuns: RUNS, endOnFailure: true },
  );
  report(t, 'exporter targets API (POST/PUT/PATCH)', f);

  // 2. Maintenance windows for a target: mutated window lists.
  const fw = figures();
  await fc.assert(
    fc.asyncProperty(fc.nat({ max: validWindows.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 3 }), async (which, mutations) => {
      const body = mutate({ windows: [structuredClone(validWindows[which]!)] }, mutations);
      const a = await send(`${base}/api/v1/targets/beat/maintenance`, { method: 'PUT', headers: auth, body: toJsonText(body) });
      tally(fw, a);
      const p = problem(a);
      if (p) throw new Error(p);
      return true;
    }),
    { seed: SEED, numRuns: RUNS, endOnFailure: true },
  );
  report(t, 'exporter maintenance windows API', fw);

  // 3. Push heartbeats: any status and message, as query, JSON or form; right and wrong tokens.
  const fp = figures();
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('query', 'json', 'form'),
      fc.oneof(fc.constantFrom('success', 'failure', 'up', ''), fc.string({ maxLength: 20 }), anyJson),
      fc.oneof(fc.string({ unit: 'grapheme', maxLength: 400 }), anyJson),
      fc.boolean(),
      async (how, status, message, rightToken) => {
        const headers: Record<string, string> = { authorization: `Bearer ${rightToken ? PUSH_TOKEN : 'wrong-token-wrong-token'}` };
        let url = `${base}/api/v1/push/beat`;
        let body: string | undefined;
        const fields = { status: typeof status === 'string' ? status : toJsonText(status).slice(0, 2000), message: typeof message === 'string' ? message : toJsonText(message).slice(0, 5000) };
        if (how === 'query') url += `?${new URLSearchParams(fields)}`;
        else if (how === 'form') {
          headers['content-type'] = 'application/x-www-form-urlencoded';
          body = new URLSearchParams(fields).toString();
        } else {
          headers['content-type'] = 'application/json';
          body = toJsonText({ status, message });
        }
        const a = await send(url, { method: 'POST', headers, ...(body !== undefined ? { body } : {}) });
        tally(fp, a);
        const p = problem(a);
        if (p) throw new Error(p);
        if (!rightToken && a!.status !== 401) throw new Error(`a wrong token got ${a!.status}`);
        return true;
      },
    ),
    { seed: SEED, numRuns: RUNS, endOnFailure: true },
  );
  report(t, 'exporter push heartbeats', fp);

  // 4. /probe with any module and a target that is a loopback URL or no address at all, and
  // any name in the per-target paths.
  const fq = figures();
  const target = fc.oneof(
    fc.constantFrom('', 'http://', '::::', 'http://[::1', '%%%', `127.0.0.1:${closedPort}`, 'http://127.0.0.1:0/', '127.0.0.1:99999', 'ws://127.0.0.1:1/', 'file:///etc/passwd', 'javascript:alert(1)'),
    fc.string({ unit: 'grapheme', maxLength: 30 }).map((p) => `http://127.0.0.1:${closedPort}/${p}`),
    fc.string({ unit: 'binary', maxLength: 30 }).map((s) => `${s} not an address`),
  );
  const module = fc.option(fc.oneof(fc.constantFrom('http_2xx', 'tcp_connect', 'websocket', 'nope'), fc.string({ maxLength: 20 })));
  await fc.assert(
    fc.asyncProperty(fc.option(target), module, pathName, fc.constantFrom('/status/', '/api/v1/status/', '/api/v1/targets/', '/api/v1/targets/%s/status', '/api/v1/targets/%s/maintenance'), async (tg, mod, name, path) => {
      const q = new URLSearchParams();
      if (tg !== null) q.set('target', tg);
      if (mod !== null) q.set('module', mod);
      const a = await send(`${base}/probe?${q}`, {});
      tally(fq, a);
      let p = problem(a);
      if (p) throw new Error(`/probe?${q}: ${p}`);
      const encoded = encodeURIComponent(name);
      const url = path.includes('%s') ? base + path.replace('%s', encoded) : base + path + encoded;
      const b = await send(url, { headers: { authorization: `Bearer ${API_TOKEN}` } });
      tally(fq, b);
      // A page is HTML, not a JSON error: any 2xx/404 page is fine, never a 5xx.
      p = path === '/status/' ? (b && b.status < 500 ? undefined : `answered ${b?.status}`) : problem(b);
      if (p) throw new Error(`${url}: ${p}`);
      return true;
    }),
    { seed: SEED, numRuns: RUNS, endOnFailure: true },
  );
  report(t, 'exporter /probe parameters and per-target paths', fq);

  const all = [f, fw, fp, fq];
  t.equal(all.reduce((s, x) => s + x.server + x.crashes, 0), 0, 'no 5xx, no crash');
  const metrics = await send(`${base}/metrics`, {});
  t.equal(metrics?.status, 200, 'the exporter still serves /metrics');
  t.ok(parseExposition(metrics!.text).samples.some((s) => s.name === 'probe_success'), 'with the probe series');

  // Nothing accepted is lost: every target the API took is there after a restart.
  t.ok(accepted.size > 0, `the API accepted ${accepted.size} mutated targets`);
  await exporter.close();
  exporter = await startExporter(config, silentLogger);
  const listed = await send(`${base}/api/v1/targets`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
  const names = new Set((JSON.parse(listed!.text) as { name: string }[]).map((x) => x.name));
  const lost = [...accepted].filter((n) => !names.has(n));
  t.comment(`exporter targets API: accepted ${accepted.size}, present after a restart ${accepted.size - lost.length}, lost ${lost.length}`);
  t.same(lost, [], 'every accepted target survived the restart');
});
