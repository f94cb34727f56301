// /api/v1/targets on the exporter: validation (400 naming the field), authentication (403
// naming the setting without credentials, 401 with wrong ones), config file targets protected
// (409), changes applied at once to the schedule and /metrics, and API targets kept in
// data_dir/targets.json across a restart of the real process.
import t from 'tap';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { startExporter } from '../../src/exporter/server.js';
import { silentLogger } from '../helpers/collect.js';
import { select, value } from '../helpers/exposition.js';
import { freePort } from '../helpers/net.js';
import { tmpDir } from '../helpers/tmp.js';
import { startTocsin } from '../helpers/tocsin-process.js';
import { httpServer } from './servers.js';
import { NO_HOST_COLLECTORS, scrapeUntil } from './scrape.js';

const TOKEN = 'targets-api-test-token-4f2a9c';

function yaml(port: number, dir: string, extra: string, targets: string) {
  return `exporter:
  listen_address: 127.0.0.1:${port}
  collectors: ${NO_HOST_COLLECTORS}
  probes:
    data_dir: ${dir}/store
${extra}    targets:
${targets}`;
}

function withToken(dir: string): string {
  writeFileSync(join(dir, 'token'), TOKEN);
  return `    api_auth: {bearer_token_file: ${dir}/token}\n`;
}

async function start(t: { teardown(fn: () => unknown): void }, dir: string, extra: string, targets: string) {
  const port = await freePort();
  const exporter = await startExporter(parseConfig(yaml(port, dir, extra, targets), 'tocsin.yml', dir), silentLogger);
  t.teardown(() => exporter.close());
  return exporter.url.replace('0.0.0.0', '127.0.0.1');
}

async function call(url: string, method: string, path: string, body?: unknown, token: string | null = TOKEN) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown> & { message?: string }) };
}


t.test('bad input: a 400 naming the field, never a 500', async (t) => {
  const dir = tmpDir(t, 'tocsin-targets-api-');
  const url = await start(t, dir, withToken(dir), `      - {name: fromfile, type: tcp, address: "127.0.0.1:1", interval: 30s, timeout: 1s}\n`);
  const good = { name: 'a', type: 'http', address: 'http://127.0.0.1:1/', interval: '10s', timeout: '1s' };
  const cases: [string, unknown, RegExp][] = [
    ['unknown type', { ...good, type: 'gopher' }, /^body\.type: /],
    ['not a URL', { ...good, address: 'not a url' }, /^body\.address: expected a URL/],
    ['interval under the floor', { ...good, interval: '100ms' }, /^body\.interval: /],
    ['timeout not shorter than the interval', { ...good, timeout: '10s' }, /^body\.timeout: the timeout \(10s\) must be shorter/],
    ['regex that does not compile', { ...good, http: { body_regex: '([' } }, /^body\.http\.body_regex: invalid regular expression/],
    ['unknown field', { ...good, colour: 'red' }, /^body\.colour: unknown field/],
    ['bad name', { ...good, name: ' spaced' }, /^body\.name: /],
    ['a name of the config file', { ...good, name: 'fromfile' }, /^body\.name: a target named "fromfile" already exists \(in the config file\)/],
    ['credentials', { ...good, http: { bearer_token: '${HOME}' } }, /^body\.http\.bearer_token: credentials and files cannot be set through the API/],
    ['not an object', [1, 2], /^body must be a JSON object/],
  ];
  for (const [what, body, message] of cases) {
    const res = await call(url, 'POST', '/api/v1/targets', body);
    t.equal(res.status, 400, `${what}: 400`);
    t.match(res.body?.message, message, `${what}: names the field (${res.body?.message})`);
  }
  t.equal((await call(url, 'POST', '/api/v1/targets', good)).status, 201, 'the good one is accepted');
  const dup = await call(url, 'POST', '/api/v1/targets', good);
  t.equal(dup.status, 400);
  t.match(dup.body?.message, /^body\.name: a target named "a" already exists/);
  const patch = await call(url, 'PATCH', '/api/v1/targets/a', { timeout: '20s' });
  t.equal(patch.status, 400, 'a PATCH is validated as a whole target');
  t.match(patch.body?.message, /^body\.timeout: /);
  t.equal((await call(url, 'GET', '/api/v1/targets/a', undefined, null)).body?.timeout, 1, 'the failed PATCH changed nothing');
});

t.test('writes need authentication; config file targets are protected', async (t) => {
  const dir = tmpDir(t, 'tocsin-targets-api-');
  const target = { name: 'x', type: 'tcp', address: '127.0.0.1:1', interval: '30s', timeout: '1s' };

  const open = await start(t, dir, '', `      - {name: fromfile, type: tcp, address: "127.0.0.1:1", interval: 30s, timeout: 1s}\n`);
  const refused = await call(open, 'POST', '/api/v1/targets', target, null);
  t.equal(refused.status, 403, 'no api_auth configured: writes refused');
  t.match(refused.body?.message, /exporter\.probes\.api_auth\.bearer_token/, 'the 403 names the setting');
  t.equal((await call(open, 'GET', '/api/v1/targets', undefined, null)).status, 200, 'reads are open by default');

  const dir2 = tmpDir(t, 'tocsin-targets-api-');
  const closed = await start(t, dir2, withToken(dir2) + '    api_open_reads: false\n', `      - {name: fromfile, type: tcp, address: "127.0.0.1:1", interval: 30s, timeout: 1s}\n`);
  t.equal((await call(closed, 'POST', '/api/v1/targets', target, null)).status, 401, 'no token: 401');
  t.equal((await call(closed, 'POST', '/api/v1/targets', target, 'wrong')).status, 401, 'wrong token: 401');
  t.equal((await call(closed, 'GET', '/api/v1/targets', undefined, null)).status, 401, 'api_open_reads: false: reads need the token');
  t.equal((await call(closed, 'POST', '/api/v1/targets', target)).status, 201, 'the token: created');
  for (const [method, body] of [['PUT', { ...target, name: 'fromfile' }], ['PATCH', { interval: '20s' }], ['DELETE', undefined]] as const) {
    const res = await call(closed, method, '/api/v1/targets/fromfile', body);
    t.equal(res.status, 409, `${method} of a config file target: 409`);
    t.match(res.body?.message, /declared in the config file/, 'saying why');
  }
  t.equal((await call(closed, 'GET', '/api/v1/targets/nothere')).status, 404);
  const list = (await call(closed, 'GET', '/api/v1/targets')).body as unknown as { name: string; source: string }[];
  t.same(list.map((x) => [x.name, x.source]), [['fromfile', 'config'], ['x', 'api']]);
  const stored = readFileSync(join(dir2, 'store', 'targets.json'), 'utf8');
  t.notMatch(stored, TOKEN, 'the token is not in the store');
});

t.test('changes apply at once: a target appears, fails, pauses, and its series disappear when deleted', async (t) => {
  const server = await httpServer(t);
  const dir = tmpDir(t, 'tocsin-targets-api-');
  const url = await start(t, dir, withToken(dir), '      []\n');
  const created = await call(url, 'POST', '/api/v1/targets', { name: 'web', type: 'http', address: `http://127.0.0.1:${server}/healthy`, environment: 'LIVE', interval: '1s', timeout: '500ms' });
  t.equal(created.status, 201);
  t.equal(created.body?.source, 'api');
  const up = await scrapeUntil(url, (e) => select(e, 'probe_success', { target: 'web' }).length === 1);
  t.equal(value(up, 'probe_success', { target: 'web', environment: 'LIVE' }), 1, 'probed without a restart');

  t.equal((await call(url, 'PATCH', '/api/v1/targets/web', { address: `http://127.0.0.1:${server}/error` })).status, 200);
  await scrapeUntil(url, (e) => select(e, 'probe_success', { target: 'web' })[0]?.value === 0);
  const status = (await call(url, 'GET', '/api/v1/targets/web/status', undefined, null)).body as Record<string, unknown>;
  t.equal(status.state, 'down');
  t.match(status.last_failure, { reason: 'http_status' }, 'the last failure reason');
  t.type(status.last_check, 'number');
  t.type(status.last_state_change, 'number');
  t.type(status.latency_seconds, 'number');
  t.ok((status.recent as unknown[]).length >= 1, 'recent results');

  t.equal((await call(url, 'POST', '/api/v1/targets/web/pause')).body?.paused, true);
  await scrapeUntil(url, (e) => select(e, 'probe_success', { target: 'web' }).length === 0);
  t.equal((await call(url, 'GET', '/api/v1/targets/web/status')).body?.state, 'paused');
  t.equal((await call(url, 'POST', '/api/v1/targets/web/resume')).body?.paused, false);
  await scrapeUntil(url, (e) => select(e, 'probe_success', { target: 'web' }).length === 1);

  t.equal((await call(url, 'DELETE', '/api/v1/targets/web')).status, 204);
  await scrapeUntil(url, (e) => e.samples.every((s) => s.labels.target !== 'web'));
  t.equal((await call(url, 'GET', '/api/v1/targets/web')).status, 404);
  t.same(JSON.parse(readFileSync(join(dir, 'store', 'targets.json'), 'utf8')).targets, [], 'the store is empty again');
});

t.test('the real process keeps API targets across a restart, and a broken write leaves the old store', async (t) => {
  const server = await httpServer(t);
  const dir = tmpDir(t, 'tocsin-targets-api-');
  const port = await freePort();
  // A relative data_dir: resolved against the config file's directory, not the working one.
  const config = yaml(port, dir, withToken(dir), '      []\n').replace(`data_dir: ${dir}/store`, 'data_dir: store');
  writeFileSync(join(dir, 'tocsin.yml'), config);
  const run = () => startTocsin(['exporter', `--config.file=${join(dir, 'tocsin.yml')}`], { timeoutMs: 60_000 });
  let tocsin = await run();
  t.teardown(() => tocsin.stop());
  const target = { name: 'kept', type: 'http', address: `http://127.0.0.1:${server}/healthy`, interval: '1s', timeout: '500ms' };
  t.equal((await call(tocsin.url, 'POST', '/api/v1/targets', target)).status, 201);
  t.equal((await call(tocsin.url, 'POST', '/api/v1/targets/kept/pause')).status, 200);
  t.equal((await call(tocsin.url, 'POST', '/api/v1/targets/kept/resume')).status, 200);
  await tocsin.stop();

  tocsin = await run();
  const got = await call(tocsin.url, 'GET', '/api/v1/targets/kept');
  t.equal(got.status, 200, 'the API target is back after the restart');
  t.equal(got.body?.paused, false);
  await scrapeUntil(tocsin.url, (e) => select(e, 'probe_success', { target: 'kept' })[0]?.value === 1);

  // A crash mid-write leaves a temp file beside the store: the next start ignores and removes it.
  const file = join(dir, 'store', 'targets.json');
  const before = readFileSync(file, 'utf8');
  await tocsin.stop();
  writeFileSync(join(dir, 'store', '.targets.json.999.1.tmp'), '{"version":1,"targets":[{"name":"half');
  tocsin = await run();
  t.equal((await call(tocsin.url, 'GET', '/api/v1/targets/kept')).status, 200, 'the old store is read');
  t.equal(readFileSync(file, 'utf8'), before);
  t.notOk(existsSync(join(dir, 'store', '.targets.json.999.1.tmp')), 'the temp file a crash left is removed at start');
});

t.test('a store that cannot be written: 503, and nothing changes', async (t) => {
  const dir = tmpDir(t, 'tocsin-targets-api-');
  const url = await start(t, dir, withToken(dir), '      []\n');
  // The store directory is created at the first write: a file in its place makes that fail.
  writeFileSync(join(dir, 'store'), 'in the way');
  const res = await call(url, 'POST', '/api/v1/targets', { name: 'lost', type: 'tcp', address: '127.0.0.1:1', interval: '30s', timeout: '1s' });
  t.equal(res.status, 503);
  t.match(res.body?.message, /could not be written .*nothing was changed/);
  t.equal((await call(url, 'GET', '/api/v1/targets/lost')).status, 404, 'not kept in memory either');
  const scrape = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  t.notMatch(scrape, 'target="lost"', 'nor scheduled');
});
