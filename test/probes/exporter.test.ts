// The exporter with probe targets from tocsin.yml, over real HTTP: probe series on /metrics
// (clean for promtool), a reload that adds, changes and removes targets without a restart,
// and /probe served next to them.
import t from 'tap';
import { parseConfig } from '../../src/config/load.js';
import { startExporter } from '../../src/exporter/server.js';
import { silentLogger } from '../helpers/collect.js';
import { parseExposition, select, value } from '../helpers/exposition.js';
import { freePort } from '../helpers/net.js';
import { promtoolCheckMetrics } from '../helpers/promtool.js';
import { tmpDir } from '../helpers/tmp.js';
import { httpServer } from './servers.js';
import { scrapeUntil } from './scrape.js';

// The config's directory: the default data_dir (targets, status history) lands under it, not in the checkout.
const CONFIG_DIR = tmpDir(t, 'tocsin-probes-config-');

function config(port: number, targets: string) {
  return parseConfig(
    `exporter:
  listen_address: 127.0.0.1:${port}
  collectors: {cpu: {enabled: false}, meminfo: {enabled: false}, loadavg: {enabled: false}, stat: {enabled: false}, vmstat: {enabled: false}, pressure: {enabled: false}, filesystem: {enabled: false}, netdev: {enabled: false}, diskstats: {enabled: false}, process: {enabled: false}}
  probes:
    targets:
${targets}`,
    'tocsin.yml',
    CONFIG_DIR,
  );
}


t.test('targets from the config, reloaded in place', async (t) => {
  const server = await httpServer(t);
  const port = await freePort();
  const healthy = `http://127.0.0.1:${server}/healthy`;
  const exporter = await startExporter(
    config(port, `      - {name: web, type: http, address: "${healthy}", environment: LIVE, interval: 1s, timeout: 500ms}
      - {name: old, type: http, address: "${healthy}", interval: 1s, timeout: 500ms}
`),
    silentLogger,
  );
  t.teardown(() => exporter.close());
  const url = exporter.url.replace('0.0.0.0', '127.0.0.1');
  const first = await scrapeUntil(url, (e) => select(e, 'probe_success').length === 2);
  t.equal(value(first, 'probe_success', { target: 'web', environment: 'LIVE', type: 'http' }), 1);
  t.equal(value(first, 'tocsin_collector_success', { collector: 'probes' }), 1);
  const lint = promtoolCheckMetrics(await (await fetch(`${url}/metrics`)).text());
  t.same(lint.unexpected, [], 'promtool check metrics is clean');
  // How late the checks started: a histogram counting every check so far, each in +Inf and
  // in no bucket below its lateness.
  const checks = value(first, 'tocsin_probe_schedule_lateness_seconds_count');
  t.ok(checks >= 2, `${checks} checks in the lateness histogram`);
  t.equal(value(first, 'tocsin_probe_schedule_lateness_seconds_bucket', { le: '+Inf' }), checks, 'every check in +Inf');
  const buckets = select(first, 'tocsin_probe_schedule_lateness_seconds_bucket').map((s) => s.value);
  t.same(buckets, [...buckets].sort((a, b) => a - b), 'buckets are cumulative');
  t.ok(value(first, 'tocsin_probe_schedule_lateness_seconds_bucket', { le: '1' }) >= 1, 'checks on an idle exporter start within a second of their slot');

  // Reload: `old` removed, `web` now failing, `new` added; no restart.
  await exporter.reconfigure!(
    config(port, `      - {name: web, type: http, address: "http://127.0.0.1:${server}/error", environment: LIVE, interval: 1s, timeout: 500ms}
      - {name: new, type: tcp, address: "127.0.0.1:${server}", interval: 1s, timeout: 500ms, notify: false}
`),
  );
  const after = await scrapeUntil(url, (e) => select(e, 'probe_success', { target: 'new' }).length === 1 && select(e, 'tocsin_probe_failure_info', { target: 'web' }).length === 1);
  t.same(after.samples.filter((s) => s.labels.target === 'old'), [], 'the removed target has no series left');
  t.equal(value(after, 'tocsin_probe_failure_info', { target: 'web', reason: 'http_status' }), 1);
  t.equal(value(after, 'probe_success', { target: 'new', type: 'tcp', notify: 'false' }), 1);

  const probe = await fetch(`${url}/probe?target=${encodeURIComponent(healthy)}&module=http_2xx`);
  t.equal(probe.status, 200);
  const once = parseExposition(await probe.text());
  t.equal(value(once, 'probe_success'), 1, '/probe serves only that check, unlabelled');
  t.same(select(once, 'tocsin_collector_success'), [], 'and nothing of /metrics');
});

t.test('a reload that moves probes.data_dir says it needs a restart', async (t) => {
  const port = await freePort();
  const dirs = [tmpDir(t, 'probes-a'), tmpDir(t, 'probes-b')];
  const withDir = (dir: string) =>
    parseConfig(`exporter:\n  listen_address: 127.0.0.1:${port}\n  collectors: {process: {enabled: false}}\n  probes:\n    data_dir: ${dir}\n`, 'tocsin.yml', CONFIG_DIR);
  const exporter = await startExporter(withDir(dirs[0]!), silentLogger);
  t.teardown(() => exporter.close());
  t.same(await exporter.reconfigure!(withDir(dirs[0]!)), [], 'the same directory: nothing to restart');
  t.same(await exporter.reconfigure!(withDir(dirs[1]!)), ['exporter.probes.data_dir']);
});
