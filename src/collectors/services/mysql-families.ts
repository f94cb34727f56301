// What MySQL's SHOW statements and performance_schema answer, turned into mysqld_exporter's
// (0.14, Debian's prometheus-mysqld-exporter) families: names, label names, HELP texts and
// value parsing as its collector/global_status.go, global_variables.go, slave_status.go and
// perf_schema_events_statements.go. Pure functions, so they are tested on rows alone.
//
// Types: mysqld_exporter serves the generic SHOW GLOBAL STATUS and SHOW SLAVE STATUS values
// untyped; prom-client has no untyped type, so they are gauges here (as node_vmstat_*).
// Counters keep their _total names and counter type.
import type { Registry } from 'prom-client';
import { gauge, plainFamily } from '../collector.js';

export interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter';
  readonly labelNames: readonly string[];
  readonly samples: { labels: Record<string, string>; value: number }[];
}

export class Families {
  readonly byName = new Map<string, Family>();

  add(name: string, help: string, type: Family['type'], labels: Record<string, string>, value: number): void {
    let f = this.byName.get(name);
    if (!f) {
      f = { name, help, type, labelNames: Object.keys(labels), samples: [] };
      this.byName.set(name, f);
    }
    f.samples.push({ labels, value });
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
// "Nov 30 05:42:58 2027 GMT" (SSL certificate dates) and "2026-11-30 05:42:58".
const CERT_DATE = /^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{2}) (\d{2}):(\d{2}):(\d{2}) (\d{4}) (GMT|UTC)$/;
const SQL_DATE = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/**
 * mysqld_exporter's parseStatus: ON/YES 1, OFF/NO/DISABLED 0, replication and Galera states,
 * dates as Unix seconds, numbers; anything else (names, paths, versions) is not a value.
 */
export function parseStatus(raw: string | null | undefined): number | undefined {
  if (raw === null || raw === undefined) return undefined;
  switch (raw.toLowerCase()) {
    case 'yes':
    case 'on':
    case 'primary':
      return 1;
    case 'no':
    case 'off':
    case 'disabled':
    case 'connecting': // Slave_IO_Running while it cannot reach the primary
    case 'non-primary':
    case 'disconnected':
      return 0;
  }
  let m = CERT_DATE.exec(raw);
  if (m) return Date.UTC(+m[6]!, MONTHS.indexOf(m[1]!), +m[2]!, +m[3]!, +m[4]!, +m[5]!) / 1000;
  m = SQL_DATE.exec(raw);
  if (m) return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) / 1000;
  return NUMBER.test(raw) ? Number(raw) : undefined;
}

/** A status or variable name as a metric name part (lower case; MySQL names are [A-Za-z0-9_]). */
const metricPart = (name: string) => name.toLowerCase().replace(/[^a-z0-9_]/g, '_');

const STATUS_GROUP = /^(com|handler|connection_errors|innodb_buffer_pool_pages|innodb_rows|performance_schema)_(.*)$/;

/** SHOW GLOBAL STATUS rows as mysql_global_status_* (grouped ones with a label, as mysqld_exporter). */
export function addGlobalStatus(out: Families, rows: readonly { name: string; value: string | null }[]): void {
  for (const row of rows) {
    const value = parseStatus(row.value);
    if (value === undefined) continue;
    const key = metricPart(row.name);
    const m = STATUS_GROUP.exec(key);
    if (!m) {
      out.add(`mysql_global_status_${key}`, 'Generic metric from SHOW GLOBAL STATUS.', 'gauge', {}, value);
      continue;
    }
    const [, group, rest] = m as unknown as [string, string, string];
    switch (group) {
      case 'com':
        out.add('mysql_global_status_commands_total', 'Total number of executed MySQL commands.', 'counter', { command: rest }, value);
        break;
      case 'handler':
        out.add('mysql_global_status_handlers_total', 'Total number of executed MySQL handlers.', 'counter', { handler: rest }, value);
        break;
      case 'connection_errors':
        out.add('mysql_global_status_connection_errors_total', 'Total number of MySQL connection errors.', 'counter', { error: rest }, value);
        break;
      case 'innodb_buffer_pool_pages':
        if (['data', 'free', 'misc', 'old'].includes(rest)) {
          out.add('mysql_global_status_buffer_pool_pages', 'Innodb buffer pool pages by state.', 'gauge', { state: rest }, value);
        } else if (rest === 'dirty') {
          out.add('mysql_global_status_buffer_pool_dirty_pages', 'Innodb buffer pool dirty pages.', 'gauge', {}, value);
        } else if (rest !== 'total') {
          out.add('mysql_global_status_buffer_pool_page_changes_total', 'Innodb buffer pool page state changes.', 'counter', { operation: rest }, value);
        }
        break;
      case 'innodb_rows':
        out.add('mysql_global_status_innodb_row_ops_total', 'Total number of MySQL InnoDB row operations.', 'counter', { operation: rest }, value);
        break;
      case 'performance_schema':
        out.add(
          'mysql_global_status_performance_schema_lost_total',
          'Total number of MySQL instrumentations that could not be loaded or created due to memory constraints.',
          'counter',
          { instrumentation: rest },
          value,
        );
        break;
    }
  }
}

/** SHOW GLOBAL VARIABLES rows as mysql_global_variables_*, mysql_version_info and friends. */
export function addGlobalVariables(out: Families, rows: readonly { name: string; value: string | null }[]): Map<string, string> {
  const text = new Map<string, string>();
  for (const row of rows) {
    const key = row.name.toLowerCase();
    text.set(key, row.value ?? '');
    const value = parseStatus(row.value);
    if (value !== undefined) {
      out.add(`mysql_global_variables_${metricPart(key)}`, 'Generic gauge metric from SHOW GLOBAL VARIABLES.', 'gauge', {}, value);
    }
  }
  out.add(
    'mysql_version_info',
    'MySQL version and distribution.',
    'gauge',
    { innodb_version: text.get('innodb_version') ?? '', version: text.get('version') ?? '', version_comment: text.get('version_comment') ?? '' },
    1,
  );
  // MySQL 8 calls it transaction_isolation; MariaDB and MySQL 5.7 tx_isolation.
  const level = text.get('transaction_isolation') || text.get('tx_isolation');
  if (level) out.add('mysql_transaction_isolation', 'MySQL transaction isolation.', 'gauge', { level }, 1);
  const cluster = text.get('wsrep_cluster_name');
  if (cluster) out.add('mysql_galera_variables_info', 'PXC/Galera variables information.', 'gauge', { wsrep_cluster_name: cluster }, 1);
  return text;
}

// MySQL 8.0.22 renamed the replica status columns (SHOW REPLICA STATUS: Replica_IO_Running,
// Seconds_Behind_Source, ...); 8.4 removed SHOW SLAVE STATUS. mysqld_exporter, its dashboards
// and the mysqld mixin's alerts know the old names (mysql_slave_status_slave_io_running,
// ..._seconds_behind_master), so new column names are mapped back to them.
function oldColumnName(column: string): string {
  return column
    .replace(/Replica/g, 'Slave')
    .replace(/replica/g, 'slave')
    .replace(/Source/g, 'Master')
    .replace(/source/g, 'master');
}

/** One row per replication channel of SHOW ALL SLAVES STATUS / SHOW REPLICA STATUS, as mysql_slave_status_*. */
export function addReplicaStatus(out: Families, rows: readonly Record<string, unknown>[]): void {
  for (const raw of rows) {
    const row: Record<string, string | null> = {};
    for (const [k, v] of Object.entries(raw)) row[oldColumnName(k)] = v === null || v === undefined ? null : String(v);
    const labels = {
      master_host: row.Master_Host ?? '',
      master_uuid: row.Master_UUID ?? '',
      channel_name: row.Channel_Name ?? '', // MySQL
      connection_name: row.Connection_name ?? '', // MariaDB
    };
    for (const [column, text] of Object.entries(row)) {
      const value = parseStatus(text);
      if (value === undefined) continue;
      out.add(`mysql_slave_status_${metricPart(column)}`, 'Generic metric from SHOW SLAVE STATUS.', 'gauge', labels, value);
    }
  }
}

export interface DigestRow {
  readonly schema: string;
  readonly digest: string;
  readonly digestText: string;
  readonly count: number;
  readonly picoseconds: number;
  readonly errors: number;
  readonly warnings: number;
  readonly rowsAffected: number;
  readonly rowsSent: number;
  readonly rowsExamined: number;
  readonly tmpDiskTables: number;
  readonly tmpTables: number;
  readonly sortMergePasses: number;
  readonly sortRows: number;
  readonly noIndexUsed: number;
}

/** A row of the digest query (performance_schema column names) as a DigestRow. */
export function digestRow(r: Record<string, unknown>): DigestRow {
  const n = (v: unknown) => Number(v ?? 0);
  return {
    schema: String(r.SCHEMA_NAME ?? 'NONE'),
    digest: String(r.DIGEST),
    digestText: String(r.DIGEST_TEXT ?? ''),
    count: n(r.COUNT_STAR),
    picoseconds: n(r.SUM_TIMER_WAIT),
    errors: n(r.SUM_ERRORS),
    warnings: n(r.SUM_WARNINGS),
    rowsAffected: n(r.SUM_ROWS_AFFECTED),
    rowsSent: n(r.SUM_ROWS_SENT),
    rowsExamined: n(r.SUM_ROWS_EXAMINED),
    tmpDiskTables: n(r.SUM_CREATED_TMP_DISK_TABLES),
    tmpTables: n(r.SUM_CREATED_TMP_TABLES),
    sortMergePasses: n(r.SUM_SORT_MERGE_PASSES),
    sortRows: n(r.SUM_SORT_ROWS),
    noIndexUsed: n(r.SUM_NO_INDEX_USED),
  };
}

const P = 'mysql_perf_schema_events_statements';

/** The top statement digests as mysqld_exporter's perf_schema.eventsstatements families. */
export function addStatementDigests(out: Families, rows: readonly DigestRow[]): void {
  for (const r of rows) {
    const l = { schema: r.schema, digest: r.digest, digest_text: r.digestText };
    out.add(`${P}_total`, 'The total count of events statements by digest.', 'counter', l, r.count);
    out.add(`${P}_seconds_total`, 'The total time of events statements by digest.', 'counter', l, r.picoseconds / 1e12);
    out.add(`${P}_errors_total`, 'The errors of events statements by digest.', 'counter', l, r.errors);
    out.add(`${P}_warnings_total`, 'The warnings of events statements by digest.', 'counter', l, r.warnings);
    out.add(`${P}_rows_affected_total`, 'The total rows affected of events statements by digest.', 'counter', l, r.rowsAffected);
    out.add(`${P}_rows_sent_total`, 'The total rows sent of events statements by digest.', 'counter', l, r.rowsSent);
    out.add(`${P}_rows_examined_total`, 'The total rows examined of events statements by digest.', 'counter', l, r.rowsExamined);
    out.add(`${P}_tmp_tables_total`, 'The total tmp tables of events statements by digest.', 'counter', l, r.tmpTables);
    out.add(`${P}_tmp_disk_tables_total`, 'The total tmp disk tables of events statements by digest.', 'counter', l, r.tmpDiskTables);
    out.add(`${P}_sort_merge_passes_total`, 'The total number of merge passes by the sort algorithm performed by digest.', 'counter', l, r.sortMergePasses);
    out.add(`${P}_sort_rows_total`, 'The total number of sorted rows by digest.', 'counter', l, r.sortRows);
    out.add(`${P}_no_index_used_total`, 'The total number of statements that used full table scans by digest.', 'counter', l, r.noIndexUsed);
  }
}

/** What one scrape read from the server: SHOW rows as they come (the parts that could be read). */
export interface MysqlRows {
  readonly status: readonly { name: string; value: string | null }[];
  readonly variables: readonly { name: string; value: string | null }[];
  readonly replicas?: readonly Record<string, unknown>[] | undefined;
  readonly digests?: readonly DigestRow[] | undefined;
}

export function buildMysqlFamilies(rows: MysqlRows): Families {
  const out = new Families();
  addGlobalStatus(out, rows.status);
  addGlobalVariables(out, rows.variables);
  if (rows.replicas) addReplicaStatus(out, rows.replicas);
  if (rows.digests) addStatementDigests(out, rows.digests);
  return out;
}

/**
 * mysql_up, and when the server answered, every family read. A server has some 1,000
 * families of a few samples each: they are registered as plain values (what prom-client's
 * registry reads from a metric: name, help, type and values, as the scrape engine's own
 * snapshot does) instead of a Gauge or Counter each with its label bookkeeping: a Tocsin with
 * only this collector went from 121 to 104 MB of RSS in bench/services.ts.
 */
export function writeMysqlMetrics(registry: Registry, families: Families | undefined): void {
  gauge(registry, 'mysql_up', 'Whether the MySQL server is up.').set(families ? 1 : 0);
  for (const f of families?.byName.values() ?? []) {
    plainFamily(registry, f.name, f.help, f.type, f.samples.map((s) => ({ labels: s.labels, value: s.value })));
  }
}
