// The MySQL collector against a real MariaDB (Debian's `mariadb-server`) started by the test,
// logged in as a user with only PROCESS, REPLICATION CLIENT and SELECT on performance_schema:
// mysqld_exporter's families, one connection across scrapes, slow queries (SELECT SLEEP under
// long_query_time 0.2) moving the counter and topping the statement digests, bounded digests,
// and a server that refuses the login, is stopped or hangs giving mysql_up 0 within the
// timeout with one log line per change of state, never a failed or hung scrape.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProcessCollector } from '../../../src/collectors/process/collector.js';
import { createMysqlCollector } from '../../../src/collectors/services/mysql.js';
import { configSchema } from '../../../src/config/schema.js';
import { collect, silentLogger } from '../../helpers/collect.js';
import { select, value, type Exposition } from '../../helpers/exposition.js';
import { createMonitoringUser, startMariaDb } from '../../helpers/mariadb-server.js';
import { serviceScraper, type LogLine } from '../../helpers/service-scraper.js';


const PASSWORD = 'monitoring-password-never-shown';

function setup(t: { teardown(f: () => unknown): void }, section: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) {
  return serviceScraper(t, 'mysql', createMysqlCollector, section, env);
}

const success = (exp: Exposition) => value(exp, 'tocsin_collector_success', { collector: 'mysql' });
const down = (lines: readonly LogLine[]) => lines.filter((l) => l.msg === 'service not reachable');

t.test('MariaDB with a least-privilege user', async (t) => {
  const server = await startMariaDb(t);
  await createMonitoringUser(server, 'tocsin', PASSWORD);
  await server.sql('CREATE DATABASE app', 'CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(20))');
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-mysql-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const passwordFile = join(dir, 'password');
  writeFileSync(passwordFile, `${PASSWORD}\n`);
  const base = { host: '127.0.0.1', port: server.port, user: 'tocsin', password_file: passwordFile };

  t.test('mysqld_exporter families, one connection reused across scrapes', async (t) => {
    const { scrape, lines } = setup(t, base);
    const first = await scrape();
    t.equal(success(first), 1, 'collector succeeded');
    t.equal(value(first, 'mysql_up'), 1, 'mysql_up 1');
    const [[version]] = (await server.sql('SELECT VERSION() AS v, @@max_connections AS m')) as [[{ v: string; m: number }]];
    t.equal(select(first, 'mysql_version_info')[0]?.labels.version, version.v, 'mysql_version_info{version} is the server version');
    t.equal(value(first, 'mysql_global_variables_max_connections'), Number(version.m), 'max_connections');
    t.equal(value(first, 'mysql_global_variables_long_query_time'), 0.2, 'long_query_time');
    t.equal(value(first, 'mysql_global_variables_performance_schema'), 1, 'performance_schema ON -> 1');
    t.ok(value(first, 'mysql_global_status_threads_connected') >= 1, 'threads_connected');
    t.ok(value(first, 'mysql_global_status_commands_total', { command: 'select' }) >= 1, 'commands_total{command="select"}');
    t.ok(value(first, 'mysql_global_status_buffer_pool_pages', { state: 'data' }) > 0, 'buffer_pool_pages{state="data"}');
    t.equal(first.types.get('mysql_global_status_commands_total'), 'counter', 'commands_total is a counter');
    t.equal(first.types.get('mysql_global_status_questions'), 'gauge', 'generic status served as gauge (untyped there)');
    t.equal(select(first, 'mysql_slave_status_slave_io_running').length, 0, 'no replica families');

    const connections = () => server.sql("SHOW GLOBAL STATUS LIKE 'Connections'") as Promise<[{ Value: string }[]]>;
    const [[before]] = await connections();
    for (let i = 0; i < 3; i++) t.equal(value(await scrape(), 'mysql_up'), 1, `scrape ${i + 2} up`);
    const [[after]] = await connections();
    // Each of our two SHOW queries above opened one root connection; the collector none.
    t.equal(Number(after!.Value) - Number(before!.Value), 1, 'no new connection for three more scrapes');
    t.match(lines.filter((l) => l.msg === 'part of the MySQL metrics cannot be read').map((l) => l.err), [/cannot read replica status: .*SLAVE MONITOR/], 'replica status denied on MariaDB without SLAVE MONITOR: one line, rest served');
  });

  t.test('over the unix socket', async (t) => {
    // Socket logins come from 'localhost'.
    await server.sql(
      `CREATE USER 'tocsin'@'localhost' IDENTIFIED BY '${PASSWORD}'`,
      "GRANT PROCESS, REPLICATION CLIENT ON *.* TO 'tocsin'@'localhost'",
      "GRANT SELECT ON performance_schema.* TO 'tocsin'@'localhost'",
    );
    const { scrape } = setup(t, { socket: server.socket, user: 'tocsin', password_file: passwordFile });
    const exp = await scrape();
    t.equal(value(exp, 'mysql_up'), 1, 'mysql_up 1 over the socket');
    t.ok(value(exp, 'mysql_global_status_threads_connected') >= 1, 'status read');
  });

  t.test('slow queries move the counter and top the statement digests', async (t) => {
    const { scrape } = setup(t, { ...base, top_statements: { limit: 5 } });
    const before = await scrape();
    const app = await server.admin('app');
    for (let i = 0; i < 3; i++) await app.query('SELECT SLEEP(0.3)');
    await app.query('SELECT * FROM t WHERE id = 1');
    await app.end();
    const after = await scrape();
    const slow = value(after, 'mysql_global_status_slow_queries') - value(before, 'mysql_global_status_slow_queries');
    t.ok(slow >= 3, `slow_queries grew by ${slow} (>= 3)`);
    const time = select(after, 'mysql_perf_schema_events_statements_seconds_total');
    t.ok(time.length >= 2 && time.length <= 5, `${time.length} digests (limit 5)`);
    const top = time.reduce((a, b) => (b.value > a.value ? b : a));
    t.match(top.labels, { schema: 'app', digest_text: /SLEEP/ }, 'the SLEEP statement has the most total time');
    t.ok(top.value >= 0.85, `its total time ${top.value} s >= 0.85`);
    t.equal(value(after, 'mysql_perf_schema_events_statements_total', top.labels), 3, 'three executions');
    t.match(top.labels.digest, /^[0-9a-f]{32}$/, 'digest label is the digest hash');
  });

  t.test('digests are bounded: N and text length', async (t) => {
    const app = await server.admin('app');
    for (let i = 0; i < 4; i++) await app.query(`SELECT id, v, ${i} + 1 AS long_column_name_${i} FROM t WHERE v = 'x' OR id > ${i}`);
    await app.end();
    const { scrape } = setup(t, { ...base, top_statements: { limit: 2, digest_text_max_length: 16 } });
    const exp = await scrape();
    const digests = select(exp, 'mysql_perf_schema_events_statements_total');
    t.equal(digests.length, 2, 'two digests (limit 2)');
    for (const d of digests) t.ok(d.labels.digest_text!.length <= 16, `digest text cut to 16: ${JSON.stringify(d.labels.digest_text)}`);
    const off = setup(t, { ...base, top_statements: { enabled: false } });
    t.equal(select(await off.scrape(), 'mysql_perf_schema_events_statements_total').length, 0, 'none when disabled');
  });

  t.test('login refused: mysql_up 0, one log line without the password', async (t) => {
    const { scrape, lines, raw } = setup(t, { ...base, password_file: undefined, password: '${WRONG_MYSQL_PASSWORD}' }, { WRONG_MYSQL_PASSWORD: 'wrong-secret-value' });
    for (let i = 0; i < 3; i++) {
      const exp = await scrape();
      t.equal(value(exp, 'mysql_up'), 0, `scrape ${i + 1}: mysql_up 0`);
      t.equal(success(exp), 1, 'the collector still succeeds');
      t.equal(select(exp, 'mysql_global_status_uptime').length, 0, 'no other families');
    }
    t.equal(down(lines).length, 1, 'one log line for three scrapes');
    t.match(down(lines)[0]?.err, /Access denied for user 'tocsin'/, 'says access denied');
    t.notMatch(raw.join('\n'), /wrong-secret-value|monitoring-password/, 'no password in the log');
  });

  t.test("the example config's process group finds the server: comm 'mariadbd|mysqld'", async (t) => {
    const groups = [{ name: 'mysqld', comm: ['mariadbd|mysqld'] }];
    const only = [{ name: 'mysqld', comm: ['mysqld'] }];
    const num = async (g: typeof groups) => {
      const config = configSchema.parse({ exporter: { collectors: { process: { groups: g } } } }).exporter.collectors.process;
      const exp = await collect([createProcessCollector(config, { logger: silentLogger, paths: { procfs: '/proc', sysfs: '/sys', rootfs: '/' } })]);
      return value(exp, 'namedprocess_namegroup_num_procs', { groupname: 'mysqld' });
    };
    const both = await num(groups);
    const mysqldOnly = await num(only);
    t.ok(both >= 1, 'mariadbd is in the group');
    // (A real MySQL elsewhere on this machine would count in both.)
    t.ok(both > mysqldOnly, `comm 'mysqld' alone misses Debian's MariaDB (its process is mariadbd): ${mysqldOnly} < ${both}`);
  });

  t.test('server hung (SIGSTOP) then stopped then back: mysql_up 0 within the timeout, reconnects', async (t) => {
    const { scrape, lines } = setup(t, { ...base, timeout: '2s' });
    t.equal(value(await scrape(), 'mysql_up'), 1, 'up');
    server.child.kill('SIGSTOP');
    try {
      const started = Date.now();
      const hung = await scrape(10);
      const took = Date.now() - started;
      t.equal(value(hung, 'mysql_up'), 0, 'hung server -> mysql_up 0');
      t.equal(success(hung), 1, 'collector succeeds');
      t.ok(took >= 1_500 && took < 4_000, `bounded by the 2 s timeout, not the 10 s scrape deadline: ${took} ms`);
    } finally {
      server.child.kill('SIGCONT');
    }
    t.match(down(lines).map((l) => l.err), [/no answer within 2 s/], 'logged: no answer');

    // A scrape deadline (2 s) shorter than the collector's timeout (5 s): still mysql_up 0.
    const long = setup(t, { ...base, timeout: '5s' });
    t.equal(value(await long.scrape(), 'mysql_up'), 1, 'up (5 s timeout)');
    server.child.kill('SIGSTOP');
    try {
      const started = Date.now();
      const cut = await long.scrape(2);
      t.equal(value(cut, 'mysql_up'), 0, 'hung server, 2 s scrape deadline -> mysql_up 0');
      t.equal(success(cut), 1, 'collector succeeds');
      t.ok(Date.now() - started < 2_000, `within the scrape deadline: ${Date.now() - started} ms`);
    } finally {
      server.child.kill('SIGCONT');
    }

    await server.stop();
    const started = Date.now();
    const stopped = await scrape(10);
    t.equal(value(stopped, 'mysql_up'), 0, 'stopped server -> mysql_up 0');
    t.ok(Date.now() - started < 4_000, 'at once (connection refused)');
    t.match(down(lines).map((l) => l.err), [/no answer/, /ECONNREFUSED/], 'logged: refused (a new reason)');

    await server.restart();
    t.equal(value(await scrape(), 'mysql_up'), 1, 'back: reconnected by itself');
    t.equal(lines.filter((l) => l.msg === 'service reachable again' && l.target === `127.0.0.1:${server.port}`).length, 1, 'one line when it came back');
  });
});

t.test('config: the password never inline', async (t) => {
  const parse = (mysql: unknown) => configSchema.safeParse({ exporter: { collectors: { mysql } } });
  const messages = (r: ReturnType<typeof parse>) => (r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  const inline = messages(parse({ enabled: true, password: 'hunter2' }));
  t.match(inline, [/mysql.password: secrets must not be written into the config file/], 'inline password refused');
  t.notMatch(inline.join(), /hunter2/, 'and not echoed');
  t.match(messages(parse({ enabled: true, password_file: '/nonexistent/tocsin-mysql-password' })), [/mysql.password_file: cannot read secret file/], 'unreadable file named');
  t.match(messages(parse({ enabled: true, top_statements: { limit: 1000 } })), [/top_statements.limit/], 'N is bounded');
  const ok = parse({ enabled: true, socket: '/run/mysqld/mysqld.sock' });
  t.equal(ok.success, true, 'socket, no password (unix_socket authentication)');
});
