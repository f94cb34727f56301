// Replica status on a real MariaDB replica of a real primary: Tocsin's mysql_slave_status_*
// families (running threads, lag, the master_host/master_uuid/channel_name/connection_name
// labels) agree with Debian's prometheus-mysqld-exporter on the same replica, and a stopped
// primary shows as slave_io_running 0 (MariaDB says "Connecting"), what MySQLReplicaNotRunning
// watches.
import tap from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createMysqlCollector } from '../../src/collectors/services/mysql.js';
import { configSchema } from '../../src/config/schema.js';
import { collect, silentLogger } from '../helpers/collect.js';
import { byLabels, findExporter, scrape, startExporter } from '../helpers/exporter-binary.js';
import { labelKey, select, value, type Exposition } from '../helpers/exposition.js';
import { createMonitoringUser, startMariaDb, type MariaDbServer } from '../helpers/mariadb-server.js';

const MISSING = 'prometheus-mysqld-exporter not found: apt-get install -y prometheus-mysqld-exporter';
const PASSWORD = 'replica-compat-password';

/** Polls SHOW SLAVE STATUS until `done` holds (bounded). */
async function waitReplica(replica: MariaDbServer, done: (row: Record<string, unknown>) => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const [rows] = (await replica.sql('SHOW SLAVE STATUS')) as [Record<string, unknown>[]];
    if (rows[0] && done(rows[0])) return;
    await sleep(200);
  }
  throw new Error(`replica did not reach: ${what}`);
}

tap.test('replica status agrees with prometheus-mysqld-exporter, and a lost primary shows', async (t) => {
  const bin = findExporter('prometheus-mysqld-exporter');
  if (bin === undefined) {
    t.fail(MISSING);
    return;
  }
  // One after the other: two mariadb-install-db at once can collide on temporary table names.
  const primary = await startMariaDb(t, { args: ['--server-id=1', '--log-bin=mariadb-bin'] });
  const replica = await startMariaDb(t, { args: ['--server-id=2', '--read-only=ON'] });
  // Not written to the binary log: the replica creates its own users.
  await primary.sql('SET sql_log_bin = 0', "CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'repl-pw'", "GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1'");
  await createMonitoringUser(replica, 'tocsin', PASSWORD, ['SLAVE MONITOR']);
  await replica.sql(
    `CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${primary.port}, MASTER_USER='repl', MASTER_PASSWORD='repl-pw', MASTER_CONNECT_RETRY=1`,
    'START SLAVE',
  );
  await waitReplica(replica, (r) => r.Slave_IO_Running === 'Yes' && r.Slave_SQL_Running === 'Yes', 'both threads running');
  await primary.sql('CREATE DATABASE app', 'CREATE TABLE app.t (id INT PRIMARY KEY)', 'INSERT INTO app.t VALUES (1)');
  await waitReplica(replica, (r) => Number(r.Exec_Master_Log_Pos) === Number(r.Read_Master_Log_Pos), 'caught up');

  const dir = mkdtempSync(join(tmpdir(), 'tocsin-mysqld-exporter-replica-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'password'), PASSWORD);
  writeFileSync(join(dir, 'my.cnf'), `[client]\nuser=tocsin\npassword=${PASSWORD}\nhost=127.0.0.1\nport=${replica.port}\n`, { mode: 0o600 });
  const exporter = await startExporter(t, 'mysqld_exporter', bin, (port) => [
    `--web.listen-address=127.0.0.1:${port}`,
    `--config.my-cnf=${join(dir, 'my.cnf')}`,
    '--collect.slave_status',
    '--no-collect.global_status',
    '--no-collect.global_variables',
    '--no-collect.info_schema.innodb_cmp',
    '--no-collect.info_schema.innodb_cmpmem',
    '--no-collect.info_schema.query_response_time',
  ]);
  const config = configSchema.parse({
    exporter: { collectors: { mysql: { enabled: true, port: replica.port, user: 'tocsin', password_file: join(dir, 'password') } } },
  }).exporter.collectors.mysql;
  const collector = createMysqlCollector(config, { logger: silentLogger, paths: { procfs: '/proc', sysfs: '/sys', rootfs: '/' } });
  t.teardown(() => collector.close?.());

  const replicaFamilies = (e: Exposition) => [...e.types.keys()].filter((f) => f.startsWith('mysql_slave_status_') && e.samples.some((s) => s.name === f)).sort();
  const before = await scrape(exporter.url);
  const tocsin = await collect([collector]);
  const after = await scrape(exporter.url);
  t.same(replicaFamilies(tocsin), replicaFamilies(before), 'the same mysql_slave_status_* families');
  t.ok(replicaFamilies(tocsin).length >= 20, `${replicaFamilies(tocsin).length} of them`);
  const labels = { master_host: '127.0.0.1', master_uuid: '', channel_name: '', connection_name: '' };
  t.equal(value(tocsin, 'mysql_slave_status_slave_io_running', labels), 1, 'IO thread running, with the exporter\'s labels');
  t.equal(value(tocsin, 'mysql_slave_status_slave_sql_running', labels), 1, 'SQL thread running');
  t.equal(value(tocsin, 'mysql_slave_status_seconds_behind_master', labels), 0, 'no lag');
  const mismatches: string[] = [];
  for (const family of replicaFamilies(before)) {
    if (tocsin.helps.get(family) !== before.helps.get(family)) mismatches.push(`${family}: HELP`);
    const a = byLabels(select(before, family));
    const b = byLabels(select(after, family));
    for (const s of select(tocsin, family)) {
      const key = labelKey(s.labels);
      const [x, y] = [a.get(key), b.get(key)];
      if (x === undefined || y === undefined) mismatches.push(`${family}{${key}}: not served by the exporter`);
      else if (s.value < Math.min(x, y) || s.value > Math.max(x, y)) mismatches.push(`${family}{${key}}: Tocsin ${s.value}, exporter ${x} then ${y}`);
    }
  }
  t.same(mismatches, [], 'same HELP, labels and values');

  await primary.stop();
  await waitReplica(replica, (r) => r.Slave_IO_Running !== 'Yes', 'IO thread lost its primary');
  const lost = await collect([collector]);
  t.equal(value(lost, 'mysql_slave_status_slave_io_running', labels), 0, 'primary gone: slave_io_running 0');
  t.equal(value(lost, 'mysql_slave_status_slave_sql_running', labels), 1, 'the SQL thread still runs');
  t.equal(value(lost, 'mysql_up'), 1, 'the replica itself is up');
});
