// The status page's history in the real exporter: a target deleted through the API loses its
// history (no memory kept for targets gone), a paused one keeps it, and an edited one keeps it
// (its uptime does not restart because its settings changed).
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startExporter } from '../../src/exporter/server.js';
import { silentLogger } from '../helpers/collect.js';
import { freePort } from '../helpers/net.js';
import { probesConfig, stoppableServer } from '../helpers/status-page.js';
import { tmpDir } from '../helpers/tmp.js';

const TOKEN = 'status-exporter-token-5678';

interface Summary {
  name: string;
  state: string;
  checks_7d: number;
  last_failure: { reason: string } | null;
}

t.test('history follows the targets: kept when paused or edited, dropped when deleted', async (t) => {
  const server = await stoppableServer();
  t.teardown(() => server.stop());
  const dir = tmpDir(t, 'tocsin-status-exporter-');
  writeFileSync(join(dir, 'token'), TOKEN);
  const port = await freePort();
  const exporter = await startExporter(probesConfig(port, dir, '      []\n', `    api_auth: {bearer_token_file: ${join(dir, 'token')}}\n`), silentLogger);
  t.teardown(() => exporter.close());
  const base = `http://127.0.0.1:${port}`;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(5000),
    });
    t.ok(res.status < 300, `${method} ${path}: ${res.status}`);
    return res.status === 204 ? undefined : ((await res.json()) as unknown);
  };
  const summary = async (name: string) => ((await call('GET', '/api/v1/status')) as { targets: Summary[] }).targets.find((x) => x.name === name);
  /** Polls (bounded: 10 s) until the target's summary satisfies `ready`. */
  const until = async (name: string, ready: (s: Summary) => boolean) => {
    for (let i = 0; i < 50; i++) {
      const s = await summary(name);
      if (s && ready(s)) return s;
      await sleep(200);
    }
    throw new Error(`${name}: not ready within 10 s: ${JSON.stringify(await summary(name))}`);
  };

  // A closed port first: a failure in its history.
  const closed = `127.0.0.1:${await freePort()}`;
  await call('POST', '/api/v1/targets', { name: 'flaky', type: 'tcp', address: closed, interval: '1s', timeout: '500ms' });
  await until('flaky', (s) => s.last_failure?.reason === 'connection_refused');

  await call('POST', '/api/v1/targets/flaky/pause');
  const paused = await until('flaky', (s) => s.state === 'paused');
  t.equal(paused.last_failure?.reason, 'connection_refused', 'paused: history kept');
  await call('POST', '/api/v1/targets/flaky/resume');

  // Edited to point at a healthy server: the old failure stays in its history.
  await call('PATCH', '/api/v1/targets/flaky', { address: `127.0.0.1:${server.port}` });
  const edited = await until('flaky', (s) => s.state === 'up');
  t.equal(edited.last_failure?.reason, 'connection_refused', 'edited: history kept');

  // Deleted and added again (healthy): nothing of the old target's failures is left.
  await call('DELETE', '/api/v1/targets/flaky');
  t.equal(await summary('flaky'), undefined, 'gone from the page');
  await call('POST', '/api/v1/targets', { name: 'flaky', type: 'tcp', address: `127.0.0.1:${server.port}`, interval: '1s', timeout: '500ms' });
  const again = await until('flaky', (s) => s.state === 'up');
  t.equal(again.last_failure, null, 'deleted: history dropped');
});

t.test('uptime survives a restart of the exporter (saved at shutdown in data_dir)', async (t) => {
  const server = await stoppableServer();
  t.teardown(() => server.stop());
  const dir = tmpDir(t, 'tocsin-status-restart-');
  const targets = `      - {name: web, type: http, address: "http://127.0.0.1:${server.port}/", interval: 1s, timeout: 500ms}\n`;
  const status = async (port: number) =>
    ((await (await fetch(`http://127.0.0.1:${port}/api/v1/status`, { signal: AbortSignal.timeout(5000) })).json()) as { targets: (Summary & { since: number | null })[] }).targets[0]!;
  const first = await freePort();
  let exporter = await startExporter(probesConfig(first, dir, targets), silentLogger);
  let before: Summary & { since: number | null } = await status(first);
  for (let i = 0; i < 50 && before.checks_7d < 3; i++) {
    await sleep(200);
    before = await status(first);
  }
  t.ok(before.checks_7d >= 3, `checked ${before.checks_7d} times`);
  await exporter.close();
  const second = await freePort();
  exporter = await startExporter(probesConfig(second, dir, targets), silentLogger);
  t.teardown(() => exporter.close());
  const after = await status(second);
  t.equal(after.since, before.since, 'counting goes on from the first run');
  t.ok(after.checks_7d >= before.checks_7d, `the first run's ${before.checks_7d} checks are still counted (${after.checks_7d})`);
});
