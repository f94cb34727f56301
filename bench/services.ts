// Service collectors' benchmark: Tocsin's nginx and mysql collectors next to Debian's
// prometheus-nginx-exporter and prometheus-mysqld-exporter on the same real nginx and MariaDB
// (started here, in temp directories, as the tests do), scraped the same way round by round;
// and Tocsin's RSS with everything on but containers (host, process groups, a probe, nginx,
// MySQL) against the sum of the five exporters it replaces (cAdvisor is not in Debian). Every figure is measured in this run.
//
//   node --import tsx bench/services.ts
//
// Needs nginx, mariadb-server, prometheus-nginx-exporter, prometheus-mysqld-exporter,
// prometheus-node-exporter and prometheus-process-exporter.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createMonitoringUser, startMariaDb } from '../test/helpers/mariadb-server.js';
import { loadNginx, startNginx } from '../test/helpers/nginx-server.js';
import { fmt, freePort, start, stop } from './lib.js';
import { scrapeSideBySide, type Row, type Target } from './scrape.js';

const ROUNDS = 60;
const HOST_COLLECTORS = ['cpu', 'meminfo', 'loadavg', 'stat', 'vmstat', 'pressure', 'filesystem', 'netdev', 'diskstats', 'process'];

function need(bin: string, pkg: string): string {
  const found = spawnSync('sh', ['-c', `PATH=/usr/sbin:/usr/bin:$PATH command -v ${bin}`], { encoding: 'utf8' }).stdout.trim();
  if (!found) throw new Error(`${bin} not found: apt-get install -y ${pkg}`);
  return found;
}

export interface ServicesResult {
  readonly rounds: number;
  /** nginxOnly, nginxExporter, mysqlOnly, mysqldExporter, all, node, pe, blackbox. */
  readonly rows: Row[];
  readonly ratios: { readonly nginx: Ratio; readonly mysql: Ratio; readonly allRssToFive: number };
  /** tocsin_collector_duration_seconds inside the full Tocsin, at the last scrape (ms). */
  readonly collectorMs: { readonly nginx: number; readonly mysql: number };
}

export interface Ratio {
  readonly p50: number;
  readonly p99: number;
  readonly cpuPerScrape: number;
  readonly peakRss: number;
}

/** Tocsin's nginx and MySQL collectors next to their Debian exporters, on a real nginx and MariaDB. */
export async function measureServices(rounds = ROUNDS, onPhase: (what: string) => void = () => {}): Promise<ServicesResult> {
  const bins = {
    nginxExporter: need('prometheus-nginx-exporter', 'prometheus-nginx-exporter'),
    mysqldExporter: need('prometheus-mysqld-exporter', 'prometheus-mysqld-exporter'),
    nodeExporter: need('prometheus-node-exporter', 'prometheus-node-exporter'),
    processExporter: need('prometheus-process-exporter', 'prometheus-process-exporter'),
    blackbox: need('prometheus-blackbox-exporter', 'prometheus-blackbox-exporter'),
  };
  const tocsinBin = fileURLToPath(new URL('../bin/tocsin.js', import.meta.url));
  const teardowns: (() => unknown)[] = [];
  const t = { teardown: (f: () => unknown) => void teardowns.unshift(f) };
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-bench-services-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  try {
    onPhase('starting nginx and MariaDB');
    const nginx = await startNginx(t);
    const db = await startMariaDb(t);
    const password = 'bench-password';
    await createMonitoringUser(db, 'tocsin', password, ['SLAVE MONITOR']);
    await db.sql('CREATE DATABASE app', 'CREATE TABLE app.t (id INT PRIMARY KEY)');
    const app = await db.admin('app');
    for (let i = 0; i < 20; i++) await app.query(`SELECT ${i} + id FROM t WHERE id > ${i}`);
    await app.end();
    await loadNginx(nginx.base, 200);
    writeFileSync(join(dir, 'mysql-password'), password);
    writeFileSync(join(dir, 'my.cnf'), `[client]\nuser=tocsin\npassword=${password}\nhost=127.0.0.1\nport=${db.port}\n`, { mode: 0o600 });
    writeFileSync(join(dir, 'blackbox.yml'), 'modules:\n  http_2xx:\n    prober: http\n');
    writeFileSync(join(dir, 'process-exporter.yml'), "process_names:\n  - name: nginx\n    comm: [nginx]\n  - name: mysqld\n    comm: [mariadbd]\n");

    const nginxSection = `    nginx: {enabled: true, endpoints: [{url: '${nginx.statusUrl}'}]}\n`;
    const mysqlSection = `    mysql: {enabled: true, port: ${db.port}, user: tocsin, password_file: '${join(dir, 'mysql-password')}', top_statements: {limit: 10}}\n`;
    const hostOff = HOST_COLLECTORS.map((c) => `    ${c}: {enabled: false}\n`).join('');
    const groups = "    process: {groups: [{name: nginx, comm: [nginx]}, {name: mysqld, comm: ['mariadbd|mysqld']}]}\n";
    const configs = {
      nginxOnly: `exporter:\n  collectors:\n${hostOff}${nginxSection}`,
      mysqlOnly: `exporter:\n  collectors:\n${hostOff}${mysqlSection}`,
      // Probes on too (one HTTP check of nginx every 10 s), so this is every collector but containers.
      all: `exporter:\n  collectors:\n${groups}${nginxSection}${mysqlSection}  probes:\n    targets: [{name: nginx, type: http, address: '${nginx.base}/', interval: 10s, timeout: 2s}]\n`,
    };
    const port = () => freePort();
    const url = async () => {
      const p = await port();
      return { p, url: `http://127.0.0.1:${p}/metrics` };
    };
    const tocsin = async (key: keyof typeof configs, label: string): Promise<Target> => {
      const file = join(dir, `${key}.yml`);
      writeFileSync(file, configs[key]);
      const { p, url: u } = await url();
      return { key, label, url: u, child: start(tocsinBin, ['exporter', `--config.file=${file}`, `--web.listen-address=127.0.0.1:${p}`, '--log.level=warn']) };
    };
    const exporter = async (key: string, label: string, args: (listen: string) => string[], bin: string): Promise<Target> => {
      const { p, url: u } = await url();
      return { key, label, url: u, child: start(bin, args(`127.0.0.1:${p}`)) };
    };
    const targets: Target[] = [
      await tocsin('nginxOnly', 'tocsin, nginx collector only'),
      await exporter('nginxExporter', 'prometheus-nginx-exporter', (l) => [`-nginx.scrape-uri=${nginx.statusUrl}`, `-web.listen-address=${l}`], bins.nginxExporter),
      await tocsin('mysqlOnly', 'tocsin, mysql collector only'),
      await exporter(
        'mysqldExporter',
        'prometheus-mysqld-exporter',
        (l) => [
          `--web.listen-address=${l}`,
          `--config.my-cnf=${join(dir, 'my.cnf')}`,
          '--collect.global_status',
          '--collect.global_variables',
          '--collect.slave_status',
          '--collect.perf_schema.eventsstatements',
          '--collect.perf_schema.eventsstatements.limit=10',
          '--no-collect.info_schema.innodb_cmp',
          '--no-collect.info_schema.innodb_cmpmem',
          '--no-collect.info_schema.query_response_time',
        ],
        bins.mysqldExporter,
      ),
      await tocsin('all', 'tocsin, everything but containers (host, process groups, probes, nginx, mysql)'),
      await exporter('node', 'prometheus-node-exporter', (l) => [`--web.listen-address=${l}`], bins.nodeExporter),
      await exporter('pe', 'prometheus-process-exporter (nginx, mysqld groups)', (l) => ['-web.listen-address', l, '-config.path', join(dir, 'process-exporter.yml'), '-children=false'], bins.processExporter),
      await exporter('blackbox', 'prometheus-blackbox-exporter (own /metrics)', (l) => [`--web.listen-address=${l}`, `--config.file=${join(dir, 'blackbox.yml')}`], bins.blackbox),
    ];
    for (const c of targets) t.teardown(() => stop(c.child));
    onPhase(`${targets.length} servers, ${rounds} interleaved scrapes`);
    const rows = await scrapeSideBySide(targets, rounds, 'services');
    const allBody = await (await fetch(targets.find((x) => x.key === 'all')!.url)).text();
    const collectorMs = (c: string) => Number(new RegExp(`^tocsin_collector_duration_seconds\\{collector="${c}"\\} (\\S+)$`, 'm').exec(allBody)?.[1] ?? NaN) * 1000;
    const by = Object.fromEntries(rows.map((r) => [r.key, r])) as Record<string, Row>;
    const ratio = (a: Row, b: Row): Ratio => ({ p50: a.p50Ms / b.p50Ms, p99: a.p99Ms / b.p99Ms, cpuPerScrape: a.cpuSecondsPerScrape / b.cpuSecondsPerScrape, peakRss: a.peakRssMb / b.peakRssMb });
    const five = by.node!.peakRssMb + by.pe!.peakRssMb + by.nginxExporter!.peakRssMb + by.mysqldExporter!.peakRssMb + by.blackbox!.peakRssMb;
    return {
      rounds,
      rows,
      ratios: { nginx: ratio(by.nginxOnly!, by.nginxExporter!), mysql: ratio(by.mysqlOnly!, by.mysqldExporter!), allRssToFive: by.all!.peakRssMb / five },
      collectorMs: { nginx: collectorMs('nginx'), mysql: collectorMs('mysql') },
    };
  } finally {
    for (const f of teardowns) await f();
  }
}

export function printServices(r: ServicesResult): void {
  console.log(`| exporter | scrape p50 ms | scrape p99 ms | CPU ms / scrape | peak RSS MB |`);
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const x of r.rows) console.log(`| ${x.label} | ${fmt(x.p50Ms, 2)} | ${fmt(x.p99Ms, 2)} | ${fmt(x.cpuSecondsPerScrape * 1000, 2)} | ${fmt(x.peakRssMb)} |`);
  const line = (name: string, q: Ratio) => `| ${name} | ${fmt(q.p50, 2)}x | ${fmt(q.p99, 2)}x | ${fmt(q.cpuPerScrape, 2)}x | ${fmt(q.peakRss, 2)}x |`;
  console.log('\n| ratio | p50 | p99 | CPU / scrape | peak RSS |\n| --- | ---: | ---: | ---: | ---: |');
  console.log(line('tocsin nginx only / nginx-prometheus-exporter', r.ratios.nginx));
  console.log(line('tocsin mysql only / mysqld_exporter', r.ratios.mysql));
  console.log(
    `\nPeak RSS, tocsin with everything but containers / (node_exporter + process-exporter + nginx-prometheus-exporter + mysqld_exporter + blackbox_exporter): ${fmt(r.ratios.allRssToFive, 2)}x. ` +
      `Collector time inside the full Tocsin: nginx ${fmt(r.collectorMs.nginx)} ms, mysql ${fmt(r.collectorMs.mysql)} ms.`,
  );
}

export async function runServicesBench(): Promise<void> {
  const r = await measureServices(ROUNDS, (w) => console.error(`services: ${w} …`));
  console.log(`# Service collectors: ${r.rounds} scrapes each, interleaved\n`);
  printServices(r);
}
