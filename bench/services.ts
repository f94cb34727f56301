// Service collectors' benchmark: Tocsin's nginx and mysql collectors next to Debian's
// prometheus-nginx-exporter and prometheus-mysqld-exporter on the same real nginx and MariaDB
// (started here, in temp directories, as the tests do), scraped the same way round by round;
// and Tocsin's RSS with everything on (host, process groups, nginx, MySQL) against the sum of
// the four exporters it replaces. Every figure is measured in this run.
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
import { fmt, freePort, percentile, rssBytes, start, stop, waitFor } from './lib.js';

const ROUNDS = 60;
const HOST_COLLECTORS = ['cpu', 'meminfo', 'loadavg', 'stat', 'vmstat', 'pressure', 'filesystem', 'netdev', 'diskstats', 'process'];

function need(bin: string, pkg: string): string {
  const found = spawnSync('sh', ['-c', `PATH=/usr/sbin:/usr/bin:$PATH command -v ${bin}`], { encoding: 'utf8' }).stdout.trim();
  if (!found) throw new Error(`${bin} not found: apt-get install -y ${pkg}`);
  return found;
}

export async function runServicesBench(): Promise<void> {
  const bins = {
    nginxExporter: need('prometheus-nginx-exporter', 'prometheus-nginx-exporter'),
    mysqldExporter: need('prometheus-mysqld-exporter', 'prometheus-mysqld-exporter'),
    nodeExporter: need('prometheus-node-exporter', 'prometheus-node-exporter'),
    processExporter: need('prometheus-process-exporter', 'prometheus-process-exporter'),
  };
  const tocsinBin = fileURLToPath(new URL('../bin/tocsin.js', import.meta.url));
  const teardowns: (() => unknown)[] = [];
  const t = { teardown: (f: () => unknown) => void teardowns.unshift(f) };
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-bench-services-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  try {
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
    writeFileSync(join(dir, 'process-exporter.yml'), "process_names:\n  - name: nginx\n    comm: [nginx]\n  - name: mysqld\n    comm: [mariadbd]\n");

    const nginxSection = `    nginx: {enabled: true, endpoints: [{url: '${nginx.statusUrl}'}]}\n`;
    const mysqlSection = `    mysql: {enabled: true, port: ${db.port}, user: tocsin, password_file: '${join(dir, 'mysql-password')}', top_statements: {limit: 10}}\n`;
    const hostOff = HOST_COLLECTORS.map((c) => `    ${c}: {enabled: false}\n`).join('');
    const groups = "    process: {groups: [{name: nginx, comm: [nginx]}, {name: mysqld, comm: ['mariadbd|mysqld']}]}\n";
    const configs = {
      nginxOnly: `exporter:\n  collectors:\n${hostOff}${nginxSection}`,
      mysqlOnly: `exporter:\n  collectors:\n${hostOff}${mysqlSection}`,
      all: `exporter:\n  collectors:\n${groups}${nginxSection}${mysqlSection}`,
    };
    const ports = Object.fromEntries(await Promise.all(['nginxOnly', 'mysqlOnly', 'all', 'nginxExporter', 'mysqldExporter', 'node', 'pe'].map(async (k) => [k, await freePort()] as const)));
    const children = {
      nginxOnly: undefined as ReturnType<typeof start> | undefined,
      mysqlOnly: undefined as ReturnType<typeof start> | undefined,
      all: undefined as ReturnType<typeof start> | undefined,
    };
    for (const key of Object.keys(configs) as (keyof typeof configs)[]) {
      const file = join(dir, `${key}.yml`);
      writeFileSync(file, configs[key]);
      children[key] = start(tocsinBin, ['exporter', `--config.file=${file}`, `--web.listen-address=127.0.0.1:${ports[key]}`, '--log.level=warn']);
    }
    const nginxExporter = start(bins.nginxExporter, [`-nginx.scrape-uri=${nginx.statusUrl}`, `-web.listen-address=127.0.0.1:${ports.nginxExporter}`]);
    const mysqldExporter = start(bins.mysqldExporter, [
      `--web.listen-address=127.0.0.1:${ports.mysqldExporter}`,
      `--config.my-cnf=${join(dir, 'my.cnf')}`,
      '--collect.global_status',
      '--collect.global_variables',
      '--collect.slave_status',
      '--collect.perf_schema.eventsstatements',
      '--collect.perf_schema.eventsstatements.limit=10',
      '--no-collect.info_schema.innodb_cmp',
      '--no-collect.info_schema.innodb_cmpmem',
      '--no-collect.info_schema.query_response_time',
    ]);
    const node = start(bins.nodeExporter, [`--web.listen-address=127.0.0.1:${ports.node}`]);
    const pe = start(bins.processExporter, ['-web.listen-address', `127.0.0.1:${ports.pe}`, '-config.path', join(dir, 'process-exporter.yml'), '-children=false']);
    for (const c of [nginxExporter, mysqldExporter, node, pe, ...Object.values(children)]) t.teardown(() => stop(c!));
    const urls = Object.fromEntries(Object.entries(ports).map(([k, p]) => [k, `http://127.0.0.1:${p}/metrics`])) as Record<keyof typeof ports, string>;
    await Promise.all(Object.values(urls).map((u) => waitFor(u)));

    // Warm up, then interleave rounds so machine noise falls on all alike.
    const samples = Object.fromEntries(Object.keys(urls).map((k) => [k, [] as number[]])) as Record<string, number[]>;
    const collectorMs: Record<string, number[]> = { nginx: [], mysql: [] };
    for (let round = -5; round < ROUNDS; round++) {
      for (const [key, url] of Object.entries(urls)) {
        const t0 = performance.now();
        const body = await (await fetch(url)).text();
        if (round < 0) continue;
        samples[key]!.push(performance.now() - t0);
        if (key === 'all') {
          for (const c of ['nginx', 'mysql']) {
            const m = new RegExp(`^tocsin_collector_duration_seconds\\{collector="${c}"\\} (\\S+)$`, 'm').exec(body);
            if (m) collectorMs[c]!.push(Number(m[1]) * 1000);
          }
        }
      }
    }
    const p = (xs: number[], q: number) => percentile([...xs].sort((a, b) => a - b), q);
    const rss = (pid: number | undefined) => rssBytes(pid!);
    const mb = (b: number) => fmt(b / 2 ** 20);
    const row = (name: string, key: string, pid: number | undefined) => console.log(`| ${name} | ${fmt(p(samples[key]!, 50))} | ${fmt(p(samples[key]!, 99))} | ${mb(rss(pid))} |`);
    console.log(`# Service collectors: nginx ${nginx.statusUrl}, MariaDB on 127.0.0.1:${db.port}, ${ROUNDS} scrapes each`);
    console.log('| exporter | scrape p50 ms | scrape p99 ms | RSS MB |');
    console.log('|---|---|---|---|');
    row('tocsin, nginx collector only', 'nginxOnly', children.nginxOnly!.pid);
    row('prometheus-nginx-exporter', 'nginxExporter', nginxExporter.pid);
    row('tocsin, mysql collector only', 'mysqlOnly', children.mysqlOnly!.pid);
    row('prometheus-mysqld-exporter', 'mysqldExporter', mysqldExporter.pid);
    row('tocsin, everything (host, process groups, nginx, mysql)', 'all', children.all!.pid);
    row('prometheus-node-exporter', 'node', node.pid);
    row('prometheus-process-exporter', 'pe', pe.pid);
    console.log('');
    const ratio = (a: string, b: string) => `p50 ${fmt(p(samples[a]!, 50) / p(samples[b]!, 50), 2)}x, p99 ${fmt(p(samples[a]!, 99) / p(samples[b]!, 99), 2)}x`;
    console.log(`tocsin nginx / nginx-prometheus-exporter scrape: ${ratio('nginxOnly', 'nginxExporter')}`);
    console.log(`tocsin mysql / mysqld_exporter scrape: ${ratio('mysqlOnly', 'mysqldExporter')}`);
    console.log(`collector time inside the full Tocsin, p50: nginx ${fmt(p(collectorMs.nginx!, 50))} ms, mysql ${fmt(p(collectorMs.mysql!, 50))} ms`);
    const four = rss(node.pid) + rss(pe.pid) + rss(nginxExporter.pid) + rss(mysqldExporter.pid);
    console.log(
      `RSS: tocsin with everything ${mb(rss(children.all!.pid))} MB vs node_exporter + process-exporter + nginx-prometheus-exporter + mysqld_exporter ${mb(four)} MB: ${fmt(rss(children.all!.pid) / four, 2)}x`,
    );
  } finally {
    for (const f of teardowns) await f();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runServicesBench();
  process.exit(0);
}
