// End to end through the real chain: `vigil stack` starts the exporter and the relay and
// runs the real Prometheus (with the shipped rules) and Alertmanager (with the shipped
// config); the fake Slack records what would reach the channels. The rules' `for:` windows
// and Alertmanager's waits are shortened in copies (the windows themselves are covered by
// the promtool tests in test/rules/).
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { load, dump } from 'js-yaml';
import { requireBinary } from '../helpers/bin.js';
import { FakeSlack, type RecordedRequest } from '../helpers/fake-slack.js';
import { startVigil } from '../helpers/vigil-process.js';

const ROOT = new URL('../../', import.meta.url).pathname;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Copies rules/*.yml with every `for:` shortened; the thresholds file stays as shipped. */
function shortRules(dir: string): string {
  const out = join(dir, 'rules');
  mkdirSync(out);
  for (const f of readdirSync(join(ROOT, 'rules')).filter((n) => n.endsWith('.yml'))) {
    const text = readFileSync(join(ROOT, 'rules', f), 'utf8').replace(/^(\s+)for: \S+/gm, '$1for: 2s');
    writeFileSync(join(out, f), text);
  }
  return out;
}

/** The shipped alertmanager.yml with waits of a second, so a notification comes in seconds. */
function quickAlertmanager(dir: string): string {
  const config = load(readFileSync(join(ROOT, 'alertmanager', 'alertmanager.yml'), 'utf8')) as {
    route: { group_wait?: string; group_interval?: string; routes?: { group_wait?: string; group_interval?: string }[] };
  };
  for (const r of [config.route, ...(config.route.routes ?? [])]) {
    r.group_wait = '1s';
    r.group_interval = '1s';
  }
  const file = join(dir, 'alertmanager.yml');
  writeFileSync(file, dump(config));
  return file;
}

function workers(tag: string, n: number): ChildProcess[] {
  return Array.from({ length: n }, () =>
    spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', tag], { stdio: 'ignore' }),
  );
}

async function query(prometheus: string, expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`);
  return ((await res.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } }).data.result;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(250);
  }
}

const texts = (reqs: readonly RecordedRequest[]) => reqs.map((r) => JSON.stringify(r.body));

t.test('process group down fires in the critical channel and resolves, through Prometheus and Alertmanager', async (t) => {
  requireBinary('prometheus', 'prometheus');
  requireBinary('prometheus-alertmanager', 'prometheus-alertmanager');
  const dir = mkdtempSync(join(tmpdir(), 'vigil-e2e-'));
  const slack = await FakeSlack.start();
  t.teardown(() => slack.close());
  const tag = `vigil-e2e-worker-${process.pid}`;
  const [promPort, amPort] = [await freePort(), await freePort()];
  const configFile = join(dir, 'vigil.yml');
  writeFileSync(
    configFile,
    `exporter:
  listen_address: 127.0.0.1:0
  collectors:
    process:
      groups:
        - name: e2e-worker
          cmdline: ['${tag}']
relay:
  listen_address: 127.0.0.1:0
  data_dir: ${dir}/relay
  time_zone: Asia/Seoul
  delivery: {min_interval: 50ms}
  destinations:
    - {name: critical, webhook_url: "\${E2E_CRITICAL}"}
    - {name: warning, webhook_url: "\${E2E_WARNING}"}
    - {name: info, webhook_url: "\${E2E_INFO}"}
  routes:
    - {matchers: ['severity="critical"'], destinations: [critical], mention: '<!here>'}
    - {matchers: ['severity="warning"'], destinations: [warning]}
    - {matchers: ['severity="info"'], destinations: [info]}
stack:
  data_dir: ${dir}/stack
  prometheus_listen_address: 127.0.0.1:${promPort}
  alertmanager_listen_address: 127.0.0.1:${amPort}
  scrape_interval: 1s
  evaluation_interval: 1s
  rules: ${shortRules(dir)}
  alertmanager_config: ${quickAlertmanager(dir)}
`,
  );

  let running = workers(tag, 3);
  const killWorkers = () => running.forEach((c) => c.kill('SIGKILL'));
  t.teardown(killWorkers);

  const vigil = await startVigil(['stack', `--config.file=${configFile}`], {
    timeoutMs: 60_000,
    readyMessage: 'stack running: Ctrl-C stops everything',
    env: { ...process.env, E2E_CRITICAL: slack.url('/critical'), E2E_WARNING: slack.url('/warning'), E2E_INFO: slack.url('/info') },
  });
  t.teardown(() => vigil.stop());
  const prometheus = `http://127.0.0.1:${promPort}`;

  await until('Prometheus to see the workers', 30_000, async () => {
    const r = await query(prometheus, 'namedprocess_namegroup_num_procs{groupname="e2e-worker"}');
    return r[0] && Number(r[0].value[1]) === 3 ? true : undefined;
  });
  t.pass('Prometheus scrapes the exporter and sees 3 workers');

  const downs = () => slack.requestsTo('/critical').filter((r) => JSON.stringify(r.body).includes('ProcessGroupDown'));
  killWorkers();
  await until('the ProcessGroupDown notification', 60_000, () => (downs().length > 0 ? true : undefined));
  const firing = JSON.stringify(downs()[0]!.body);
  t.match(firing, /FIRING/, 'firing message');
  t.match(firing, /e2e-worker/, 'names the group');
  t.match(firing, /<!here>/, 'critical mention');
  t.match(firing, /Asia\/Seoul/, 'times in the configured zone');
  t.notOk(texts(slack.requestsTo('/warning')).some((x) => x.includes('ProcessGroupDown')), 'not in the warning channel');

  running = workers(tag, 2);
  await until('the resolved notice', 60_000, () =>
    downs().some((r) => JSON.stringify(r.body).includes('RESOLVED')) ? true : undefined,
  );
  const all = downs().map((r) => JSON.stringify(r.body));
  t.equal(all.filter((x) => x.includes('RESOLVED')).length, 1, 'one resolved notice');
  t.equal(all.filter((x) => !x.includes('RESOLVED')).length, 1, 'the firing notification arrived once');
  t.comment(`critical channel got ${slack.requestsTo('/critical').length} messages in all`);
});
