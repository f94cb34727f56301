// A real MariaDB server (Debian's `mariadb-server`) started by a test: a fresh data directory
// from mariadb-install-db in a temp directory, mariadbd on a free loopback port and a socket in
// that directory, performance_schema and the slow query log on. Stopped at teardown.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import mysql, { type Connection } from 'mysql2/promise';
import type tap from 'tap';
import { findBinary } from '../../src/stack/binaries.js';
import { stopChild } from './child.js';
import { freePort } from './net.js';

const HINT = 'install it with `apt-get install -y --no-install-recommends mariadb-server`';
const STARTUP_MS = 60_000;

function binary(name: string): string {
  // /usr/sbin (mariadbd) is not on every user's PATH.
  const bin = findBinary([name], `/usr/sbin:/usr/bin:${process.env.PATH ?? ''}`);
  if (!bin) throw new Error(`${name} not found: ${HINT}`);
  return bin;
}

export interface MariaDbServer {
  readonly dir: string;
  readonly port: number;
  readonly socket: string;
  readonly child: ChildProcess;
  /** A new connection as root over the socket (close it when done). */
  admin(database?: string): Promise<Connection>;
  /** Runs statements as root, one connection. */
  sql(...statements: string[]): Promise<unknown[]>;
  stop(): Promise<void>;
  /** Starts mariadbd again on the same data directory, port and socket. */
  restart(): Promise<void>;
}

export interface MariaDbOptions {
  /** More mariadbd options (e.g. --server-id=2). */
  readonly args?: readonly string[];
}

// As root, mariadbd must be told to stay root (it refuses otherwise); the files are ours anyway.
const userArgs = () => (process.getuid?.() === 0 ? ['--user=root'] : []);

/** Creates a data directory and starts mariadbd on it. */
export async function startMariaDb(t: Pick<typeof tap, 'teardown'>, options: MariaDbOptions = {}): Promise<MariaDbServer> {
  const mariadbd = binary('mariadbd');
  const installDb = binary('mariadb-install-db');
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-mariadb-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await promisify(execFile)(
    installDb,
    ['--no-defaults', `--datadir=${join(dir, 'data')}`, '--auth-root-authentication-method=normal', '--skip-test-db', ...userArgs()],
    { timeout: STARTUP_MS },
  );
  const socket = join(dir, 'mysqld.sock');
  let port = await freePort();
  let child: ChildProcess | undefined;

  const start = async () => {
    const args = [
      '--no-defaults',
      `--datadir=${join(dir, 'data')}`,
      `--socket=${socket}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--pid-file=${join(dir, 'mysqld.pid')}`,
      `--log-error=${join(dir, 'error.log')}`,
      // Its own temporary files, away from other servers' (the default is the shared /tmp).
      `--tmpdir=${dir}`,
      // Users are matched by the address as given (127.0.0.1), without a DNS lookup.
      '--skip-name-resolve',
      '--performance-schema=ON',
      '--slow-query-log=ON',
      `--slow-query-log-file=${join(dir, 'slow.log')}`,
      '--long-query-time=0.2',
      '--innodb-buffer-pool-size=32M',
      ...userArgs(),
      ...(options.args ?? []),
    ];
    const c = spawn(mariadbd, args, { stdio: 'ignore' });
    t.teardown(() => stopChild(c, 20_000));
    child = c;
    const deadline = Date.now() + STARTUP_MS;
    while (Date.now() < deadline && c.exitCode === null && c.signalCode === null) {
      try {
        const conn = await mysql.createConnection({ socketPath: socket, user: 'root' });
        await conn.end();
        return;
      } catch {
        await sleep(200);
      }
    }
    await stopChild(c);
    let log = '';
    try {
      log = readFileSync(join(dir, 'error.log'), 'utf8').slice(-2000);
    } catch {
      // no log
    }
    throw new Error(`mariadbd did not accept connections on ${socket} within ${STARTUP_MS} ms:\n${log}`);
  };

  for (let attempt = 1; ; attempt++) {
    try {
      await start();
      break;
    } catch (err) {
      // Another process may have taken the port between freePort() and mariadbd's bind.
      if (attempt >= 3 || !/Address already in use|Can't start server/.test((err as Error).message)) throw err;
      port = await freePort();
    }
  }

  const admin = (database?: string) => mysql.createConnection({ socketPath: socket, user: 'root', ...(database && { database }) });
  return {
    dir,
    get port() {
      return port;
    },
    socket,
    get child() {
      return child!;
    },
    admin,
    async sql(...statements) {
      const conn = await admin();
      try {
        const out: unknown[] = [];
        for (const s of statements) out.push((await conn.query(s))[0]);
        return out;
      } finally {
        await conn.end();
      }
    },
    stop: () => stopChild(child!, 20_000),
    restart: start,
  };
}

/**
 * The least a monitoring user needs, as the README documents: PROCESS, REPLICATION CLIENT,
 * SELECT on performance_schema. `extra` adds grants (SLAVE MONITOR for replica status on MariaDB).
 */
export async function createMonitoringUser(server: MariaDbServer, user: string, password: string, extra: readonly string[] = []): Promise<void> {
  await server.sql(
    `CREATE USER '${user}'@'127.0.0.1' IDENTIFIED BY '${password}'`,
    `GRANT PROCESS, REPLICATION CLIENT ${extra.map((e) => `, ${e}`).join('')} ON *.* TO '${user}'@'127.0.0.1'`,
    `GRANT SELECT ON performance_schema.* TO '${user}'@'127.0.0.1'`,
  );
}
