// examples/prometheus-probe-sharding.yml, the README's hashmod setup for probing across several
// Tocsins: promtool accepts it as it is, and a real Prometheus running it (the Tocsin host
// names and the interval swapped for this machine's) scrapes every target through /probe of
// exactly one of three real Tocsins, spread over more than one, with each target's address as
// its `instance`.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseConfig } from '../../src/config/load.js';
import { startExporter } from '../../src/exporter/server.js';
import { startChild } from '../../src/stack/child.js';
import { requireBinary } from '../helpers/bin.js';
import { silentLogger } from '../helpers/collect.js';
import { freePort } from '../helpers/net.js';
import { tmpDir } from '../helpers/tmp.js';
import { httpServer } from './servers.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/prometheus-probe-sharding.yml', import.meta.url));
const OFF = '{cpu: {enabled: false}, meminfo: {enabled: false}, loadavg: {enabled: false}, stat: {enabled: false}, vmstat: {enabled: false}, pressure: {enabled: false}, filesystem: {enabled: false}, netdev: {enabled: false}, diskstats: {enabled: false}, process: {enabled: false}}';

t.test('promtool check config accepts the example', async (t) => {
  const promtool = requireBinary('promtool', 'prometheus');
  const check = spawnSync(promtool, ['check', 'config', EXAMPLE], { encoding: 'utf8', timeout: 20_000 });
  t.equal(check.status, 0, `${check.stdout}${check.stderr}`);
  t.match(check.stdout, /SUCCESS/);
});

interface ActiveTarget {
  readonly labels: Record<string, string>;
  readonly scrapeUrl: string;
  readonly health: string;
}

t.test('a real Prometheus shards the targets across three Tocsins', async (t) => {
  const prometheusBin = requireBinary('prometheus', 'prometheus');
  const dir = tmpDir(t, 'tocsin-sharding-');
  const http = await httpServer(t);
  const tocsins: string[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const exporter = await startExporter(parseConfig(`exporter:\n  listen_address: 127.0.0.1:${port}\n  collectors: ${OFF}\n`, 'tocsin.yml', dir), silentLogger);
    t.teardown(() => exporter.close());
    tocsins.push(`127.0.0.1:${port}`);
  }
  const addresses = Array.from({ length: 12 }, (_, i) => `http://127.0.0.1:${http}/healthy?n=${i}`);
  writeFileSync(join(dir, 'probe-targets.yml'), `- targets:\n${addresses.map((a) => `    - "${a}"`).join('\n')}\n`);
  let config = readFileSync(EXAMPLE, 'utf8').replace('scrape_interval: 30s', 'scrape_interval: 1s').replace('scrape_timeout: 10s', 'scrape_timeout: 1s');
  tocsins.forEach((address, i) => (config = config.replace(`tocsin-${i}.example.internal:9469`, address)));
  t.notMatch(config, /example\.internal/, 'every Tocsin placeholder replaced');
  writeFileSync(join(dir, 'prometheus.yml'), config);

  const promPort = await freePort();
  const prometheus = await startChild(
    'prometheus',
    prometheusBin,
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`],
    { logFile: join(dir, 'prometheus.log'), readyUrl: `http://127.0.0.1:${promPort}/-/ready` },
  );
  t.teardown(() => prometheus.stop());

  // Every target scraped successfully at least once (bounded: 60 tries, 30 s).
  let active: ActiveTarget[] = [];
  for (let i = 0; i < 60; i++) {
    const res = (await (await fetch(`http://127.0.0.1:${promPort}/api/v1/targets?state=active`)).json()) as { data: { activeTargets: ActiveTarget[] } };
    active = res.data.activeTargets;
    if (active.length === addresses.length && active.every((a) => a.health === 'up')) break;
    await sleep(500);
  }
  t.equal(active.length, addresses.length, 'one scrape target per address');
  t.ok(active.every((a) => a.health === 'up'), 'every /probe scrape succeeded', { active: active.map((a) => [a.scrapeUrl, a.health]) });
  t.same(active.map((a) => a.labels.instance).sort(), [...addresses].sort(), 'the instance label is the address checked');
  const used = new Map<string, number>();
  for (const a of active) {
    const url = new URL(a.scrapeUrl);
    t.ok(tocsins.includes(url.host), `${a.labels.instance} goes to one of the Tocsins (${url.host})`);
    t.equal(url.pathname, '/probe');
    t.equal(url.searchParams.get('target'), a.labels.instance);
    t.equal(url.searchParams.get('module'), 'http_2xx');
    used.set(url.host, (used.get(url.host) ?? 0) + 1);
  }
  t.ok(used.size > 1, `the targets are spread over more than one Tocsin (${JSON.stringify([...used])})`);

  // And the checks themselves report success through Prometheus (bounded: 20 tries, 10 s).
  let results: { metric: Record<string, string>; value: [number, string] }[] = [];
  for (let i = 0; i < 20; i++) {
    const q = (await (await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent('probe_success{job="probes"}')}`)).json()) as { data: { result: typeof results } };
    results = q.data.result;
    if (results.length === addresses.length) break;
    await sleep(500);
  }
  t.equal(results.length, addresses.length);
  t.ok(results.every((r) => r.value[1] === '1'), 'probe_success 1 for every target');
});
