// Reload with a real process (`tocsin all`): SIGHUP and POST /-/reload apply a good file,
// keep the running configuration on a bad one (logged with the field's path, 500 with the
// message), move the reload gauges on both /metrics, and flag changes that need a restart.
// Only SIGTERM/SIGINT (and SIGKILL) stop Tocsin.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseExposition, value } from '../helpers/exposition.js';
import { until } from '../helpers/stack.js';
import { startTocsin } from '../helpers/tocsin-process.js';

const dir = mkdtempSync(join(tmpdir(), 'tocsin-reload-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const configFile = join(dir, 'tocsin.yml');

function writeConfig(loadavg: boolean, extra = '', relayListen = '127.0.0.1:0'): void {
  writeFileSync(
    configFile,
    `exporter:
  listen_address: 127.0.0.1:0
  collectors:
    process: {enabled: false}
    filesystem: {enabled: false}
    loadavg: {enabled: ${loadavg}}
${extra}relay:
  listen_address: ${relayListen}
  data_dir: ${join(dir, 'relay')}
`,
  );
}

async function metrics(url: string) {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) });
  return parseExposition(await res.text());
}

t.test('SIGHUP and /-/reload: good files apply, bad files keep the running config', async (t) => {
  writeConfig(true);
  const tocsin = await startTocsin(['all', `--config.file=${configFile}`]);
  t.teardown(() => tocsin.stop());
  const exporter = tocsin.url;
  const relay = await until('relay listening', 20_000, () => {
    const line = tocsin.stderr().split('\n').find((l) => l.includes('"relay listening"'));
    return line ? (JSON.parse(line) as { address: string }).address : undefined;
  });
  let m = await metrics(exporter);
  t.ok(m.samples.some((s) => s.name === 'node_load1'), 'loadavg runs');
  t.equal(value(m, 'tocsin_config_last_reload_successful'), 1);
  const startedAt = value(m, 'tocsin_config_last_reload_success_timestamp_seconds');
  t.equal(value(await metrics(relay), 'tocsin_config_last_reload_successful'), 1, 'the relay shows it too');

  // A good change, by SIGHUP: the collector turned off disappears.
  await sleep(1100); // so the success timestamp can move
  writeConfig(false);
  tocsin.child.kill('SIGHUP');
  await until('node_load1 gone after SIGHUP', 15_000, async () => !(await metrics(exporter)).samples.some((s) => s.name === 'node_load1'));
  m = await metrics(exporter);
  t.equal(value(m, 'tocsin_config_last_reload_successful'), 1);
  t.ok(value(m, 'tocsin_config_last_reload_success_timestamp_seconds') > startedAt, 'the success timestamp moved');
  t.ok(m.samples.some((s) => s.name === 'node_cpu_seconds_total'), 'the other collectors still run');
  t.equal(tocsin.child.exitCode, null, 'SIGHUP did not stop the process');

  // A bad file, by SIGHUP: still running, the path of the field is logged, gauges say 0.
  writeFileSync(configFile, 'exporter:\n  collectors:\n    cpu: {enabled: maybe}\n');
  tocsin.child.kill('SIGHUP');
  const failure = await until('the reload failure in the log', 15_000, () =>
    tocsin.stderr().split('\n').find((l) => l.includes('reload failed')),
  );
  t.match(failure, 'exporter.collectors.cpu.enabled');
  t.match(JSON.parse(failure), { level: 'error' });
  m = await metrics(exporter);
  t.equal(value(m, 'tocsin_config_last_reload_successful'), 0);
  t.equal(value(await metrics(relay), 'tocsin_config_last_reload_successful'), 0, 'on the relay too');
  t.ok(m.samples.some((s) => s.name === 'node_cpu_seconds_total'), 'the running configuration stays');
  t.notOk(m.samples.some((s) => s.name === 'node_load1'));

  // The same bad file through POST /-/reload: 500 with the message.
  const bad = await fetch(`${exporter}/-/reload`, { method: 'POST' });
  t.equal(bad.status, 500);
  const body = (await bad.json()) as { message: string };
  t.match(body.message, 'exporter.collectors.cpu.enabled');
  t.match(body.message, configFile);

  // Fixed, through the relay's /-/reload (one reload applies to the whole process).
  writeConfig(true);
  const ok = await fetch(`${relay}/-/reload`, { method: 'POST' });
  t.equal(ok.status, 200);
  m = await metrics(exporter);
  t.equal(value(m, 'tocsin_config_last_reload_successful'), 1);
  t.ok(m.samples.some((s) => s.name === 'node_load1'), 'loadavg is back');
  t.equal(value(m, 'tocsin_config_restart_required'), 0);

  // A listen address cannot change without a restart: said in the log and the gauge.
  writeConfig(true, '', '127.0.0.1:1');
  t.equal((await fetch(`${exporter}/-/reload`, { method: 'POST' })).status, 200);
  t.equal(value(await metrics(relay), 'tocsin_config_restart_required'), 1);
  const warning = await until('the needs-a-restart warning', 10_000, () => tocsin.stderr().split('\n').find((l) => l.includes('need a restart')));
  t.match(warning, 'relay.listen_address');
  t.equal(tocsin.child.exitCode, null);
});

t.test('signals other than TERM and INT do not stop Tocsin', async (t) => {
  writeConfig(false);
  const tocsin = await startTocsin(['exporter', `--config.file=${configFile}`]);
  t.teardown(() => tocsin.stop());
  for (const signal of ['SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGVTALRM', 'SIGQUIT', 'SIGHUP'] as const) {
    tocsin.child.kill(signal);
    await sleep(300);
    t.equal(tocsin.child.exitCode, null, `alive after ${signal}`);
    t.equal(tocsin.child.signalCode, null);
    t.equal((await fetch(`${tocsin.url}/-/healthy`)).status, 200, `serving after ${signal}`);
  }
  await tocsin.stop();
  t.equal(tocsin.child.exitCode, 0, 'SIGTERM stops it cleanly');
});
