// A real nginx (Debian's `nginx` package) started by a test: its own prefix, pid, logs and
// temp directories in a fresh temp directory, `worker_processes 2`, listening on a free
// loopback port, as the current user, with a stub_status location. Stopped at teardown.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type tap from 'tap';
import { findBinary } from '../../src/stack/binaries.js';
import { stopChild } from './child.js';
import { freePort } from './net.js';

const STARTUP_MS = 15_000;

export interface NginxServer {
  readonly dir: string;
  readonly port: number;
  /** http://127.0.0.1:PORT */
  readonly base: string;
  /** The stub_status location: http://127.0.0.1:PORT/nginx_status */
  readonly statusUrl: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

export interface NginxOptions {
  /** More directives inside the server block (e.g. another location). */
  readonly server?: string;
  /** `listen` parameters after the address (e.g. "ssl"). */
  readonly listen?: string;
  /** A fixed port (to restart on the same address); a free one by default. */
  readonly port?: number;
}

export function nginxBinary(): string {
  // /usr/sbin is not on every user's PATH.
  const bin = findBinary(['nginx'], `/usr/sbin:/usr/bin:${process.env.PATH ?? ''}`);
  if (!bin) throw new Error('nginx not found: install it with `apt-get install -y --no-install-recommends nginx`');
  return bin;
}

function config(dir: string, port: number, options: NginxOptions): string {
  // As root nginx would switch its workers to `nobody`, who cannot write the temp dirs here.
  const user = process.getuid?.() === 0 ? 'user root;' : '';
  return `
worker_processes 2;
daemon off;
${user}
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  server {
    listen 127.0.0.1:${port} ${options.listen ?? ''};
    location = /nginx_status { stub_status; }
    location / { default_type text/plain; return 200 "hello\\n"; }
    ${options.server ?? ''}
  }
}
`;
}

/** Starts nginx and waits until its stub_status answers. */
export async function startNginx(t: Pick<typeof tap, 'teardown'>, options: NginxOptions = {}, dir?: string): Promise<NginxServer> {
  const bin = nginxBinary();
  const root = dir ?? mkdtempSync(join(tmpdir(), 'tocsin-nginx-'));
  if (dir === undefined) t.teardown(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'logs'), { recursive: true });
  mkdirSync(join(root, 'tmp'), { recursive: true });
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    writeFileSync(join(root, 'nginx.conf'), config(root, port, options));
    const child = spawn(bin, ['-p', root, '-c', join(root, 'nginx.conf'), '-e', join(root, 'logs', 'error.log')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    t.teardown(() => stopChild(child));
    const scheme = /\bssl\b/.test(options.listen ?? '') ? 'https' : 'http';
    const base = `${scheme}://127.0.0.1:${port}`;
    const server: NginxServer = { dir: root, port, base, statusUrl: `${base}/nginx_status`, child, stop: () => stopChild(child) };
    const deadline = Date.now() + STARTUP_MS;
    while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
      if (await answers(server)) return server;
      await sleep(100);
    }
    await stopChild(child);
    const log = (() => {
      try {
        return readFileSync(join(root, 'logs', 'error.log'), 'utf8');
      } catch {
        return '';
      }
    })();
    if (attempt >= 3 || options.port !== undefined || !/Address already in use/.test(stderr + log)) {
      throw new Error(`nginx did not answer on ${server.statusUrl} within ${STARTUP_MS} ms:\n${stderr}\n${log}`);
    }
  }
}

async function answers(server: NginxServer): Promise<boolean> {
  // A TLS nginx is up once its port accepts; the tests check the page themselves.
  if (server.base.startsWith('https')) {
    const { connect } = await import('node:net');
    return new Promise((resolve) => {
      const s = connect(server.port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
  }
  try {
    const res = await fetch(server.statusUrl, { signal: AbortSignal.timeout(2_000) });
    await res.text();
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * `count` GETs of `/`, each on a new connection (so nginx's accepted/handled counters move as
 * well as requests), `parallel` at a time. Bounded in count, and each request in time.
 */
export async function loadNginx(base: string, count: number, parallel = 4): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      const res = await fetch(`${base}/`, { headers: { connection: 'close' }, signal: AbortSignal.timeout(5_000) });
      await res.text();
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}
