// What Tocsin serves, for tests that check that dashboards (test/grafana) and alerting rules
// (test/rules) read only real series:
// - the exporter's host and process collectors (test/helpers/host-collectors.ts), run once on
//   the fixture /proc tree (test/fixtures/proc) through the real scrape engine, plus the scrape's own
//   tocsin_collector_success / tocsin_collector_duration_seconds;
// - the long-lived self registry both servers expose (process_*, nodejs_*, tocsin_build_info);
// - the relay's series, from a RelayMetrics registry with one destination initialised;
// - the container collector's family names, read from its source (running it needs a Docker
//   engine): src/collectors/containers/families.ts;
// - the service collectors (src/collectors/services/): nginx on a stub_status page served from
//   test/fixtures/services on loopback, MySQL's families built from SHOW outputs a real MariaDB
//   10.11 replica gave (test/fixtures/services/mariadb-*);
// - the probe collector (src/probes/), serving the recorded results of an HTTPS target that
//   answered (in a maintenance window), a WebSocket target that failed and a push target whose
//   job reported a failure (checking real servers is test/probes/'s part).
import { existsSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { configSchema } from '../../src/config/schema.js';
import { createSelfRegistry } from '../../src/telemetry/self-metrics.js';
import { RelayMetrics } from '../../src/relay/metrics.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { collect, silentLogger } from './collect.js';
import { freePort } from './net.js';
import type { Sample } from './exposition.js';
import { buildCollectors, HOST_COLLECTORS } from './host-collectors.js';
import { createNginxCollector } from '../../src/collectors/services/nginx.js';
import { buildMysqlFamilies, digestRow, writeMysqlMetrics } from '../../src/collectors/services/mysql-families.js';
import { probesSchema } from '../../src/config/probes.js';
import { createProbeCollector } from '../../src/probes/collector.js';
import { Connectivity } from '../../src/probes/connectivity.js';
import { Discovery } from '../../src/probes/discovery.js';
import { LatenessHistogram } from '../../src/probes/lateness.js';
import { MaintenanceCalendar } from '../../src/probes/maintenance.js';
import type { ProbeScheduler } from '../../src/probes/scheduler.js';
import { TargetStatus } from '../../src/probes/state.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const FIXTURE_PROC = join(ROOT, 'test/fixtures/proc');

export interface Served {
  /** Every sample (exporter on the fixtures, self registry, relay). */
  readonly samples: readonly Sample[];
  /** Sample names (histograms as _bucket/_sum/_count) plus the container family names. */
  readonly names: ReadonlySet<string>;
  /** The container family names alone (no samples: they need a Docker engine). */
  readonly containerFamilies: ReadonlySet<string>;
}

/** Family names of a registry, whether or not they have samples yet (histograms as _bucket, _sum, _count). */
async function registryNames(registry: Registry): Promise<string[]> {
  return (await registry.getMetricsAsJSON()).flatMap((m) =>
    String(m.type) === 'histogram' ? ['_bucket', '_sum', '_count'].map((suffix) => m.name + suffix) : [m.name],
  );
}

async function registrySamples(registry: Registry): Promise<Sample[]> {
  return (await registry.getMetricsAsJSON()).flatMap((m) =>
    m.values.map((v) => ({
      name: (v as { metricName?: string }).metricName ?? m.name,
      labels: Object.fromEntries(Object.entries(v.labels).map(([k, x]) => [k, String(x)])),
      value: v.value,
    })),
  );
}

/** Runs the host collectors and the process collector (one process group) with their default settings on the fixture tree. */
async function exporterSamples(): Promise<Sample[]> {
  const config = configSchema.parse({
    exporter: { collectors: { process: { groups: [{ name: 'mysqld', comm: ['^mysqld$'] }] } } },
  }).exporter.collectors;
  return [...(await collect(buildCollectors([...HOST_COLLECTORS, 'process'], FIXTURE_PROC, config))).samples];
}

const SERVICE_FIXTURES = join(ROOT, 'test/fixtures/services');

/** The nginx collector, one scrape of a stub_status page from the fixtures served on loopback. */
async function nginxSamples(): Promise<Sample[]> {
  const page = readFileSync(join(SERVICE_FIXTURES, 'nginx-stub-status.txt'));
  const server = createServer((_req, res) => res.end(page)).listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/nginx_status`;
    // Two endpoints, so the series have their `endpoint` label as on a host with several.
    const endpoints = [{ url, name: 'shop' }, { url, name: 'blog' }];
    const config = configSchema.parse({ exporter: { collectors: { nginx: { enabled: true, endpoints } } } }).exporter.collectors;
    return [...(await collect([createNginxCollector(config.nginx, { logger: silentLogger, paths: { procfs: '/proc', sysfs: '/sys', rootfs: '/' } })])).samples];
  } finally {
    server.close();
  }
}

/** The MySQL collector's families from a real MariaDB replica's SHOW outputs (fixtures). */
async function mysqlSamples(): Promise<Sample[]> {
  const tsv = (file: string) =>
    readFileSync(join(SERVICE_FIXTURES, file), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [name = '', ...rest] = line.split('\t');
        return { name, value: rest.join('\t') };
      });
  const json = (file: string) => JSON.parse(readFileSync(join(SERVICE_FIXTURES, file), 'utf8')) as Record<string, unknown>[];
  const digests = json('mariadb-statement-digests.json').map(digestRow);
  const registry = new Registry();
  writeMysqlMetrics(
    registry,
    buildMysqlFamilies({
      status: tsv('mariadb-global-status.tsv'),
      variables: tsv('mariadb-global-variables.tsv'),
      replicas: json('mariadb-all-slaves-status.json'),
      digests,
    }),
  );
  return registrySamples(registry);
}

/** The probe collector serving an HTTPS target that answered (in maintenance), a WebSocket target that failed and a failed push target. */
async function probeSamples(): Promise<Sample[]> {
  const hour = 3600_000;
  const window = { start: new Date(Date.now() - hour).toISOString(), end: new Date(Date.now() + hour).toISOString() };
  const [shop, chat, backup] = probesSchema
    .parse({
      targets: [
        { name: 'shop', type: 'https', address: 'https://shop.example/health', environment: 'LIVE', maintenance: [window] },
        { name: 'chat', type: 'websocket', address: 'wss://chat.example/ws', environment: 'STAGE', notify: false },
        { name: 'backup', type: 'push', address: '', interval: '1h', push: { token_sha256: '0'.repeat(64) } },
      ],
    })
    .targets.map((c) => new TargetStatus(c));
  const now = Date.now() / 1000;
  const phases = { resolve: 0.001, connect: 0.002, tls: 0.01, processing: 0.05, transfer: 0.001 };
  const tls = { earliestExpiry: now + 30 * 86400, version: 'TLS 1.3', subject: 'CN=shop.example', issuer: 'CN=Example CA' };
  shop!.record({ success: true, durationSeconds: 0.064, phases, ipProtocol: 4, httpStatus: 200, httpVersion: 1.1, contentLength: 2, redirects: 0, bodyBytes: 2, httpSsl: true, tls }, now);
  chat!.record({ success: false, reason: 'connection_refused', message: 'connect ECONNREFUSED', durationSeconds: 0.001, phases: { resolve: 0, connect: 0.001 } }, now);
  backup!.record({ success: false, reason: 'push_failure', message: 'disk full', durationSeconds: 0, phases: {} }, now);
  // Only what the collector reads of the scheduler.
  const latenessHistogram = new LatenessHistogram();
  latenessHistogram.observe(12);
  const scheduler = { statuses: () => [shop!, chat!, backup!].values(), load: () => ({ running: 0, waiting: 0 }), latenessHistogram } as unknown as ProbeScheduler;
  // A discovery source on a port nobody listens on (polled once, failing), and a
  // connectivity check whose one target fails: their series as a failing setup serves them.
  const parsed = probesSchema.parse({
    discovery: [{ name: 'cmdb', url: `http://127.0.0.1:${await freePort()}/targets` }],
    connectivity: { targets: [{ name: 'gateway', type: 'tcp', address: '127.0.0.1:1', timeout: '1s' }] },
  });
  const discovery = new Discovery(parsed.discovery, { logger: silentLogger, onChange: () => undefined });
  const connectivity = new Connectivity(parsed.connectivity, silentLogger, async () => ({ success: false, reason: 'connection_refused', durationSeconds: 0, phases: {} }));
  try {
    await connectivity.okSince(Date.now());
    const polled = async () => (await collect([{ name: 'discovery', collect: async ({ registry }) => discovery.collect(registry) }])).samples.some((x) => x.name === 'tocsin_probe_discovery_up');
    for (let i = 0; i < 50 && !(await polled()); i++) await sleep(100);
    return [...(await collect([createProbeCollector(scheduler, new MaintenanceCalendar(), (registry) => {
      discovery.collect(registry);
      connectivity.collect(registry);
    })])).samples];
  } finally {
    discovery.close();
    connectivity.close();
  }
}

/** Container family names: every quoted `container_*` / `tocsin_container*` name in the collector's families source. */
export function containerFamilies(): Set<string> {
  const file = join(ROOT, 'src/collectors/containers/families.ts');
  const names = new Set<string>();
  if (!existsSync(file)) return names;
  for (const m of readFileSync(file, 'utf8').matchAll(/['"`]((?:container_|tocsin_container)[a-z0-9_]*[a-z0-9])['"`]/g)) names.add(m[1]!);
  return names;
}

export async function servedByTocsin(): Promise<Served> {
  const relayRegistry = new Registry();
  const relay = new RelayMetrics(relayRegistry);
  // Some samples for the series that only appear once something happened (their label values
  // are examples: receivers and destinations come from the configuration).
  relay.initDestination('alerts-critical');
  relay.received.inc({ receiver: 'slack-critical', status: 'firing' });
  relay.rejected.inc({ reason: 'unauthorized' });
  relay.suppressed.inc({ reason: 'label' });
  relay.duplicates.inc();
  relay.deadLettered.inc({ destination: 'alerts-critical', reason: 'clientError' });
  relay.deliveryLatency.observe({ destination: 'alerts-critical' }, 1);
  relay.watchQueues({ queueStates: () => [{ destination: 'alerts-critical', state: 'disabled', pending: 1 }] });
  const selfRegistry = createSelfRegistry();
  const samples = [
    ...(await exporterSamples()),
    ...(await nginxSamples()),
    ...(await mysqlSamples()),
    ...(await probeSamples()),
    ...(await registrySamples(selfRegistry)),
    ...(await registrySamples(relayRegistry)),
  ];
  const containers = containerFamilies();
  const names = new Set([...samples.map((s) => s.name), ...(await registryNames(selfRegistry)), ...(await registryNames(relayRegistry)), ...containers]);
  return { samples, names, containerFamilies: containers };
}
