// Tocsin's MySQL collector against Debian's prometheus-mysqld-exporter (0.14) on the same real
// MariaDB, logged in as the same least-privilege user: every family both serve has the same
// name, HELP, label names and label sets, the same type (mysqld_exporter's untyped served as
// gauge), and values between the exporter's reading just before and just after Tocsin's
// (counters move with the readers' own queries; a few gauges get an allowance, listed below).
import tap from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMysqlCollector } from '../../src/collectors/services/mysql.js';
import { configSchema } from '../../src/config/schema.js';
import { collect, silentLogger } from '../helpers/collect.js';
import { byLabels, findExporter, labelNamesOf, scrape, startExporter } from '../helpers/exporter-binary.js';
import { labelKey, select, type Exposition } from '../helpers/exposition.js';
import { createMonitoringUser, startMariaDb } from '../helpers/mariadb-server.js';

const MISSING = 'prometheus-mysqld-exporter not found: apt-get install -y prometheus-mysqld-exporter';
const PASSWORD = 'compat-password';
const DIGESTS = 10;

// Families only mysqld_exporter serves: its own scrape bookkeeping and build info (Tocsin has
// tocsin_collector_*), which are not MySQL's.
const EXPORTER_ONLY = /^(mysql_exporter_|mysqld_exporter_)/;

/** How far outside the exporter's two readings Tocsin's value may lie, for values that are not counters. */
function tolerance(family: string, reference: number): number {
  const rel = (share: number, floor: number) => Math.max(floor, share * Math.abs(reference));
  // Memory and open-file figures move with every reader's queries and connections.
  if (/memory_used|_bytes_|open_|opened_|_tmp_|threads_|max_used|innodb_(buffer_pool_bytes|data_|os_log|log_)|_pages?$|uptime/.test(family)) return rel(0.05, 64);
  return rel(0.01, 2);
}

tap.test('Tocsin MySQL collector agrees with prometheus-mysqld-exporter', async (t) => {
  const bin = findExporter('prometheus-mysqld-exporter');
  if (bin === undefined) {
    t.fail(MISSING);
    return;
  }
  const server = await startMariaDb(t);
  // SLAVE MONITOR: so that both read the (empty) replica status instead of both failing it.
  await createMonitoringUser(server, 'tocsin', PASSWORD, ['SLAVE MONITOR']);
  await server.sql('CREATE DATABASE app', 'CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(20))');
  const app = await server.admin('app');
  for (let i = 0; i < 2; i++) await app.query('SELECT SLEEP(0.25)');
  await app.query("INSERT INTO t VALUES (1, 'a'), (2, 'b')");
  await app.query('SELECT * FROM t WHERE v = ?', ['a']);
  await app.end();

  const dir = mkdtempSync(join(tmpdir(), 'tocsin-mysqld-exporter-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const myCnf = join(dir, 'my.cnf');
  writeFileSync(myCnf, `[client]\nuser=tocsin\npassword=${PASSWORD}\nhost=127.0.0.1\nport=${server.port}\n`, { mode: 0o600 });
  const exporter = await startExporter(t, 'mysqld_exporter', bin, (port) => [
    `--web.listen-address=127.0.0.1:${port}`,
    `--config.my-cnf=${myCnf}`,
    '--collect.global_status',
    '--collect.global_variables',
    '--collect.slave_status',
    '--collect.perf_schema.eventsstatements',
    `--collect.perf_schema.eventsstatements.limit=${DIGESTS}`,
    '--collect.perf_schema.eventsstatements.digest_text_limit=120',
    // Default collectors Tocsin has no counterpart for.
    '--no-collect.info_schema.innodb_cmp',
    '--no-collect.info_schema.innodb_cmpmem',
    '--no-collect.info_schema.query_response_time',
  ]);
  process.env.TOCSIN_COMPAT_MYSQL_PASSWORD = PASSWORD;
  const config = configSchema.parse({
    exporter: {
      collectors: {
        mysql: {
          enabled: true,
          port: server.port,
          user: 'tocsin',
          password: '${TOCSIN_COMPAT_MYSQL_PASSWORD}',
          top_statements: { limit: DIGESTS, digest_text_max_length: 120 },
        },
      },
    },
  }).exporter.collectors.mysql;
  const collector = createMysqlCollector(config, { logger: silentLogger, paths: { procfs: '/proc', sysfs: '/sys', rootfs: '/' } });
  t.teardown(() => collector.close?.());
  // Warm up: both have their connection open and their first queries counted.
  await scrape(exporter.url);
  await collect([collector]);

  const before = await scrape(exporter.url);
  const tocsin = await collect([collector]);
  const after = await scrape(exporter.url);

  const families = (e: Exposition) => [...e.types.keys()].filter((f) => f.startsWith('mysql_') && !EXPORTER_ONLY.test(f) && e.samples.some((s) => s.name === f));
  const theirs = families(before).sort();
  const mine = families(tocsin).sort();
  t.same(mine.filter((f) => !theirs.includes(f)), [], 'Tocsin serves no mysql_* family the exporter does not');
  t.same(theirs.filter((f) => !mine.includes(f)), [], 'the exporter serves no mysql_* family Tocsin does not');
  t.ok(theirs.length > 700, `${theirs.length} families compared`);
  t.ok(select(tocsin, 'mysql_perf_schema_events_statements_total').length >= 3, 'statement digests are among them');

  const mismatches: string[] = [];
  for (const family of theirs.filter((f) => mine.includes(f))) {
    const theirType = before.types.get(family) === 'untyped' ? 'gauge' : before.types.get(family);
    if (tocsin.types.get(family) !== theirType) mismatches.push(`${family}: TYPE ${tocsin.types.get(family)} vs ${before.types.get(family)}`);
    if (tocsin.helps.get(family) !== before.helps.get(family)) mismatches.push(`${family}: HELP ${tocsin.helps.get(family)} vs ${before.helps.get(family)}`);
    const m = select(tocsin, family);
    const first = select(before, family);
    if (JSON.stringify(labelNamesOf(m)) !== JSON.stringify(labelNamesOf(first))) mismatches.push(`${family}: label names ${labelNamesOf(m)} vs ${labelNamesOf(first)}`);
    const a = byLabels(first);
    const b = byLabels(select(after, family));
    const sets = (xs: Map<string, number>) => [...xs.keys()].sort().join(' | ');
    if (sets(byLabels(m)) !== sets(a) && sets(byLabels(m)) !== sets(b)) mismatches.push(`${family}: label sets {${sets(byLabels(m))}} vs {${sets(a)}}`);
    for (const s of m) {
      const key = labelKey(s.labels);
      const x = a.get(key);
      const y = b.get(key);
      if (x === undefined || y === undefined) continue; // reported with the label sets
      const tol = theirType === 'counter' ? 0 : tolerance(family, Math.max(x, y));
      if (s.value < Math.min(x, y) - tol || s.value > Math.max(x, y) + tol) {
        mismatches.push(`${family}{${key}}: Tocsin ${s.value}, exporter ${x} then ${y} (allowance ${tol})`);
      }
    }
  }
  t.same(mismatches, [], 'same TYPE, HELP, label names, label sets and values within drift for every family both serve');
});
