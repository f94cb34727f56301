// A real Redis (Debian's `redis-server`) started by a test: on a free loopback port, with its
// working directory in a private temp directory, no persistence, and a password when asked.
// stop() ends it (SIGTERM) and start() brings it back on the same port, for tests of a Redis
// outage; pause()/resume() (SIGSTOP/SIGCONT) make it hang without closing connections.
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { requireBinary } from './bin.js';
import { stopChild } from './child.js';
import { freePort } from './net.js';
import { tmpDir } from './tmp.js';

const STARTUP_MS = 20_000;

export interface RedisServer {
  /** 127.0.0.1:PORT */
  readonly address: string;
  readonly port: number;
  /** A client for the test's own checks (closed at teardown). */
  client(): Redis;
  start(): Promise<void>;
  stop(): Promise<void>;
  pause(): void;
  resume(): void;
  readonly log: () => string;
}

export interface RedisServerOptions {
  readonly password?: string;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

export async function startRedis(t: Teardown, o: RedisServerOptions = {}): Promise<RedisServer> {
  const bin = requireBinary('redis-server', 'redis-server');
  const dir = tmpDir(t, 'tocsin-redis-');
  let port = await freePort();
  let child: ChildProcess | undefined;
  let log = '';
  const clients: Redis[] = [];
  t.teardown(async () => {
    for (const c of clients) c.disconnect(false);
    if (child) {
      child.kill('SIGCONT');
      await stopChild(child, 10_000);
    }
  });

  const once = async (): Promise<boolean> => {
    // The configuration on the command line: nothing read from /etc/redis, nothing saved.
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--protected-mode', 'yes', '--loglevel', 'notice', ...(o.password ? ['--requirepass', o.password] : [])];
    const c = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    c.stdout!.on('data', (b: Buffer) => (log += b.toString()));
    c.stderr!.on('data', (b: Buffer) => (log += b.toString()));
    const deadline = Date.now() + STARTUP_MS;
    while (Date.now() < deadline && c.exitCode === null && c.signalCode === null) {
      if (/Ready to accept connections/.test(log)) return true;
      await sleep(50);
    }
    await stopChild(c, 5_000);
    if (/Address already in use/.test(log)) return false;
    throw new Error(`redis-server did not start on 127.0.0.1:${port} within ${STARTUP_MS} ms:\n${log.slice(-2000)}`);
  };
  const start = async () => {
    log = '';
    for (let attempt = 1; ; attempt++) {
      if (await once()) return;
      // Another process took the port between freePort() and the bind; only before the first start.
      if (attempt >= 3) throw new Error(`redis-server: port ${port} in use:\n${log.slice(-2000)}`);
      port = await freePort();
    }
  };
  await start();

  return {
    get address() {
      return `127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    client() {
      const c = new Redis({ host: '127.0.0.1', port, ...(o.password ? { password: o.password } : {}), maxRetriesPerRequest: 1, lazyConnect: false });
      c.on('error', () => undefined);
      clients.push(c);
      return c;
    },
    start,
    async stop() {
      if (child) {
        child.kill('SIGCONT');
        await stopChild(child, 10_000);
      }
    },
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    log: () => log,
  };
}
