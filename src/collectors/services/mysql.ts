// MySQL and MariaDB under mysqld_exporter's names (see mysql-families.ts): mysql_up,
// mysql_global_status_*, mysql_global_variables_*, mysql_version_info, mysql_slave_status_*
// on a replica, and the statements with the most total time from performance_schema
// (mysql_perf_schema_events_statements_*), so "which query is slow" has an answer in Prometheus.
//
// One connection (mysql2), opened at the first scrape and reused; dropped on any error and
// reopened at the next scrape. Everything a scrape does is bounded by `timeout`: a server that
// is down, hung or refuses the login gives mysql_up 0 within it, with one log line per change
// of state, and the collector succeeds (the scrape is never failed or hung for MySQL's sake).
//
// Replica status: mysql_slave_status_* as mysqld_exporter (every version) names them, because
// its dashboards and the mysqld mixin's alerts use those names; on MySQL 8.0.22+ the new
// column names of SHOW REPLICA STATUS are mapped back to the old ones. MariaDB 10.5.9+ needs
// the SLAVE MONITOR privilege for it (REPLICATION CLIENT no longer covers it): without it the
// replica families are left out and logged once.
import type { Connection, FieldPacket, RowDataPacket } from 'mysql2/promise';
import type { Collector, CollectorDeps } from '../collector.js';
import type { CollectorsConfig } from '../../config/schema.js';
import { loadTls } from './tls-files.js';
import { buildMysqlFamilies, digestRow, writeMysqlMetrics, type MysqlRows } from './mysql-families.js';
import { StateLog } from './state-log.js';
import { seconds, waitBudgetMs } from './wait-budget.js';

type MysqlConfig = CollectorsConfig['mysql'];

/** mysqld_exporter's default for --collect.perf_schema.eventsstatements.timelimit: digests seen in the last day. */
const DIGEST_MAX_AGE_SECONDS = 86_400;

// As mysqld_exporter's query: system schemas and statements without a schema (SCHEMA_NAME
// NULL fails NOT IN) are left out; the most total time first.
const digestQuery = (textLength: number, limit: number) => `
  SELECT SCHEMA_NAME, DIGEST, LEFT(DIGEST_TEXT, ${textLength}) AS DIGEST_TEXT, COUNT_STAR, SUM_TIMER_WAIT,
         SUM_ERRORS, SUM_WARNINGS, SUM_ROWS_AFFECTED, SUM_ROWS_SENT, SUM_ROWS_EXAMINED,
         SUM_CREATED_TMP_DISK_TABLES, SUM_CREATED_TMP_TABLES, SUM_SORT_MERGE_PASSES, SUM_SORT_ROWS, SUM_NO_INDEX_USED
    FROM performance_schema.events_statements_summary_by_digest
   WHERE SCHEMA_NAME NOT IN ('mysql', 'performance_schema', 'information_schema')
     AND DIGEST IS NOT NULL
     AND LAST_SEEN > DATE_SUB(NOW(), INTERVAL ${DIGEST_MAX_AGE_SECONDS} SECOND)
   ORDER BY SUM_TIMER_WAIT DESC
   LIMIT ${limit}`;

export function createMysqlCollector(config: MysqlConfig, deps: CollectorDeps): Collector {
  const target = config.socket !== undefined ? `unix:${config.socket}` : `${config.host}:${config.port}`;
  const states = new StateLog(deps.logger);
  const parts = new StateLog(deps.logger, { down: 'part of the MySQL metrics cannot be read', up: 'part of the MySQL metrics readable again' });
  const tls = loadTls(config.tls);
  const timeoutMs = config.timeout * 1000;
  let conn: Connection | undefined;
  let isMariaDb = false;

  const connect = async (): Promise<Connection> => {
    // Imported here: the collector module is already loaded lazily (collectors/index.ts).
    const { createConnection } = await import('mysql2/promise');
    const c = await createConnection({
      ...(config.socket !== undefined ? { socketPath: config.socket } : { host: config.host, port: config.port }),
      user: config.user,
      password: config.password?.reveal(),
      ...(tls && { ssl: tls }),
      connectTimeout: timeoutMs,
      // Exact big counters (SUM_TIMER_WAIT is in picoseconds).
      supportBigNumbers: true,
      bigNumberStrings: true,
      dateStrings: true,
    });
    // A connection that dies between scrapes emits 'error'; without a listener that would
    // crash the process. The next scrape notices and reconnects.
    c.on('error', () => {
      if (conn === c) conn = undefined;
    });
    try {
      // As mysqld_exporter: never wait long for a metadata lock.
      await c.query('SET SESSION lock_wait_timeout = 2');
      const [rows] = await c.query<RowDataPacket[]>('SELECT VERSION() AS v');
      isMariaDb = /mariadb/i.test(String(rows[0]?.v ?? ''));
      return c;
    } catch (err) {
      c.destroy();
      throw err;
    }
  };

  // A connection still being opened when a scrape gave up belongs to an abandoned
  // generation: closed when it arrives, so a slow server never accumulates connections.
  let generation = 0;
  const connection = async (): Promise<Connection> => {
    if (conn) return conn;
    const mine = generation;
    const c = await connect();
    if (mine !== generation) {
      c.destroy();
      throw new Error('connection abandoned');
    }
    return (conn = c);
  };

  const drop = () => {
    generation++;
    conn?.destroy();
    conn = undefined;
  };

  /** Reads everything; throws when the server cannot be reached or read at all. */
  const read = async (): Promise<MysqlRows> => {
    const c = await connection();
    const [status] = await c.query<RowDataPacket[]>('SHOW GLOBAL STATUS');
    const [variables] = await c.query<RowDataPacket[]>('SHOW GLOBAL VARIABLES');
    const pairs = (rows: RowDataPacket[]) => rows.map((r) => ({ name: String(r.Variable_name), value: r.Value as string | null }));
    const rows: { -readonly [K in keyof MysqlRows]: MysqlRows[K] } = { status: pairs(status), variables: pairs(variables) };
    const performanceSchema = variables.find((r) => String(r.Variable_name).toLowerCase() === 'performance_schema');

    // Parts that may be denied or absent: each logged once when it fails, the rest still served.
    await optional('replica status', async () => {
      rows.replicas = (await replicaStatus(c, isMariaDb))[0];
    });
    if (config.top_statements.enabled && String(performanceSchema?.Value).toUpperCase() === 'ON') {
      await optional('statement digests', async () => {
        const [digests] = await c.query<RowDataPacket[]>(digestQuery(config.top_statements.digest_text_max_length, config.top_statements.limit));
        rows.digests = digests.map(digestRow);
      });
    }
    return rows;
  };

  const optional = async (part: string, run: () => Promise<void>) => {
    try {
      await run();
      parts.report(`${target} ${part}`, undefined);
    } catch (err) {
      if ((err as { fatal?: boolean }).fatal) throw err; // the connection died: the whole read failed
      parts.report(`${target} ${part}`, `cannot read ${part}: ${(err as Error).message}`);
    }
  };

  return {
    name: 'mysql',
    async collect({ registry, signal, deadline }) {
      const budget = waitBudgetMs(timeoutMs, deadline);
      let timer: NodeJS.Timeout | undefined;
      const bounded = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${seconds(budget)}`)), budget);
        signal.addEventListener('abort', () => reject(new Error('scrape deadline passed')), { once: true });
      });
      let rows: MysqlRows | undefined;
      let error: string | undefined;
      try {
        rows = await Promise.race([read(), bounded]);
      } catch (err) {
        error = describe(err);
        drop(); // whatever is pending on it fails; the next scrape reconnects
      } finally {
        clearTimeout(timer);
      }
      states.report(target, error);
      writeMysqlMetrics(registry, rows && buildMysqlFamilies(rows));
    },
    close() {
      const c = conn;
      conn = undefined;
      return c?.end().catch(() => c.destroy());
    },
  };
}

/** MariaDB lists every replication connection with SHOW ALL SLAVES STATUS; MySQL 8.4 knows only SHOW REPLICA STATUS. */
async function replicaStatus(c: Connection, isMariaDb: boolean): Promise<[RowDataPacket[], FieldPacket[]]> {
  if (isMariaDb) return c.query<RowDataPacket[]>('SHOW ALL SLAVES STATUS');
  try {
    return await c.query<RowDataPacket[]>('SHOW REPLICA STATUS');
  } catch (err) {
    // ER_PARSE_ERROR: MySQL before 8.0.22.
    if ((err as { errno?: number }).errno !== 1064) throw err;
    return c.query<RowDataPacket[]>('SHOW SLAVE STATUS');
  }
}

/** One line: mysql2's message (never the password: the server's "Access denied" names only the user). */
function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const message = e.message ?? String(err);
  return e.code && !message.startsWith(e.code) ? `${e.code}: ${message}` : message;
}
