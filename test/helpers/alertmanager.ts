// A real Alertmanager (Debian's prometheus-alertmanager) for end-to-end tests: on a free loopback
// port, with a temp --storage.path and a generated configuration, clustering off
// (--cluster.listen-address=) unless `cluster` makes it a peer of others, ready once /-/ready answers 200. Alerts go in through its API v2.
// A missing binary fails the test (requireBinary) and says how to install it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { requireBinary } from './bin.js';

export const ALERTMANAGER_PACKAGE = 'prometheus-alertmanager';

export interface Alertmanager {
  readonly child: ChildProcess;
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly dir: string;
  readonly stderr: () => string;
  /** POST /api/v2/alerts; throws on a non-2xx answer. */
  postAlerts(alerts: readonly PostableAlert[]): Promise<void>;
  /** GET /metrics as text. */
  metrics(): Promise<string>;
  /** SIGTERM (SIGKILL after 5 s), then removes the temp directory. Safe to call twice. */
  stop(): Promise<void>;
}

/** Alertmanager API v2 postableAlert. */
export interface PostableAlert {
  readonly labels: Record<string, string>;
  readonly annotations?: Record<string, string>;
  /** RFC 3339. */
  readonly startsAt?: string;
  /** RFC 3339; in the past = resolved. */
  readonly endsAt?: string;
  readonly generatorURL?: string;
}

export interface StartAlertmanagerOptions {
  /** alertmanager.yml as an object (dumped as YAML) or as text. */
  readonly config: Record<string, unknown> | string;
  readonly timeoutMs?: number;
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** A peer of a cluster (high availability) on loopback instead of clustering off. */
  readonly cluster?: ClusterOptions;
}

export interface ClusterOptions {
  /** This peer's gossip port on 127.0.0.1 (freePort() from net.ts). */
  readonly port: number;
  /** Other peers' gossip addresses (127.0.0.1:PORT) to join. */
  readonly peers: readonly string[];
  /** How long the peer in position n waits (n times this) before sending; Alertmanager's default is 15s. */
  readonly peerTimeout?: string;
  /**
   * Between gossip messages (default 50ms: the notification log reaches the other peer at once).
   * A longer one leaves the peers unaware of each other's notifications for that long.
   */
  readonly gossipInterval?: string;
}

/** Gossip flags: fast on loopback, so the cluster settles (and notifications start) within seconds. */
function clusterArgs(c: ClusterOptions | undefined): string[] {
  if (c === undefined) return ['--cluster.listen-address='];
  return [
    `--cluster.listen-address=127.0.0.1:${c.port}`,
    `--cluster.advertise-address=127.0.0.1:${c.port}`,
    ...c.peers.map((p) => `--cluster.peer=${p}`),
    `--cluster.peer-timeout=${c.peerTimeout ?? '15s'}`,
    `--cluster.gossip-interval=${c.gossipInterval ?? '50ms'}`,
    '--cluster.settle-timeout=5s',
    '--cluster.reconnect-interval=1s',
  ];
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts Alertmanager. The config is checked with amtool first when amtool is installed, so a
 * broken generated config fails with amtool's message rather than a startup timeout.
 */
export async function startAlertmanager(o: StartAlertmanagerOptions): Promise<Alertmanager> {
  const bin = requireBinary('prometheus-alertmanager', ALERTMANAGER_PACKAGE);
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-am-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  const configFile = join(dir, 'alertmanager.yml');
  writeFileSync(configFile, typeof o.config === 'string' ? o.config : dump(o.config, { lineWidth: -1 }));

  const amtool = spawnSync('amtool', ['check-config', configFile], { encoding: 'utf8', timeout: 10_000 });
  if (!amtool.error && amtool.status !== 0) {
    removeDir();
    throw new Error(`generated Alertmanager config is invalid:\n${amtool.stdout}${amtool.stderr}`);
  }

  const timeoutMs = o.timeoutMs ?? 20_000;
  // The free port may be taken between freePort() and Alertmanager's bind: try a few times.
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(
      bin,
      [
        `--config.file=${configFile}`,
        `--storage.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        `--web.external-url=${url}`,
        ...clusterArgs(o.cluster),
        `--log.level=${o.logLevel ?? 'info'}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString();
      if (stderr.length > 1_000_000) stderr = stderr.slice(-500_000);
    });
    const gone = once(child, 'exit').then(
      () => undefined,
      () => undefined,
    );
    const exited = () => child.exitCode !== null || child.signalCode !== null;
    const stopChild = async () => {
      if (exited()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await gone;
      clearTimeout(timer);
    };

    const deadline = Date.now() + timeoutMs;
    let ready = false;
    while (Date.now() < deadline && !exited()) {
      try {
        const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) });
        await res.text();
        if (res.status === 200) {
          ready = true;
          break;
        }
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!ready) {
      await stopChild();
      lastError = new Error(`Alertmanager did not become ready within ${timeoutMs} ms (exit ${child.exitCode ?? child.signalCode}):\n${stderr}`);
      if (/address already in use/i.test(stderr)) continue;
      break;
    }

    let stopped = false;
    return {
      child,
      url,
      dir,
      stderr: () => stderr,
      async postAlerts(alerts) {
        const res = await fetch(`${url}/api/v2/alerts`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(alerts),
          signal: AbortSignal.timeout(5_000),
        });
        const text = await res.text();
        if (!res.ok) throw new Error(`Alertmanager refused the alerts: ${res.status} ${text}`);
      },
      async metrics() {
        const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) });
        return res.text();
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        await stopChild();
        removeDir();
      },
    };
  }
  removeDir();
  throw lastError ?? new Error('Alertmanager did not start');
}
