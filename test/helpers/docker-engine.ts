// A private Docker engine for the container tests: Debian's docker.io dockerd started as
//   dockerd --data-root DIR --exec-root DIR --pidfile FILE --host unix://SOCKET
//           --storage-driver vfs --iptables=false --bridge=none
// in a temporary directory of its own (so several test files can each run one, and the
// host's Docker, if any, is never touched), with a busybox image built once per engine from
// busybox-static (no registry is reachable): /bin/busybox copied into a directory with a few
// symlinks, then `tar -C DIR -c . | docker import - tocsin-busybox:test`.
//
// A missing binary or an engine that does not come up FAILS the test with an install hint;
// it never skips. Teardown removes the containers, stops the engine (and the containerd and
// shims it started, found by the unique directory on their command lines), unmounts what it
// left mounted there and deletes the directory, also when the test failed.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, copyFileSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const DOCKERD = '/usr/sbin/dockerd';
/** Debian's client, matching the engine (another, newer docker may come first on PATH). */
export const DOCKER = '/usr/bin/docker';
export const BUSYBOX = '/bin/busybox';
export const INSTALL_HINT = 'apt-get install -y docker.io busybox-static';
export const TEST_IMAGE = 'tocsin-busybox:test';
const TOOLS = ['sh', 'sleep', 'yes', 'cat'];
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const START_TIMEOUT_MS = 40_000;

export class EngineSetupError extends Error {
  override readonly name = 'EngineSetupError';
}

export interface DockerEngine {
  readonly dir: string;
  readonly socket: string;
  /** unix://<socket>, for docker_host. */
  readonly host: string;
  readonly image: string;
  /** The running dockerd's pid (undefined while stopped). */
  readonly pid: number | undefined;
  /** The docker CLI against this engine; resolves with its trimmed stdout, rejects with its stderr. */
  docker(...args: string[]): Promise<string>;
  /**
   * `docker run -d --network none --stop-timeout 1 <options> tocsin-busybox:test <command>`;
   * resolves with the full id.
   */
  run(options: readonly string[], command: readonly string[]): Promise<string>;
  /** `docker inspect` of one container, parsed. */
  inspect(id: string): Promise<Record<string, any>>;
  /** Stops dockerd (SIGTERM, then SIGKILL), keeping its directories. */
  stop(): Promise<void>;
  /** Starts dockerd again on the same directories. */
  start(): Promise<void>;
  /** SIGSTOP / SIGCONT dockerd: an engine that accepts connections and never answers. */
  /** Resolves once every thread of dockerd is stopped (a request that slips in before would still be answered). */
  freeze(): Promise<void>;
  thaw(): void;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

function requireExecutable(path: string): void {
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new EngineSetupError(`${path} not found: the container tests need a real Docker engine; install it with \`${INSTALL_HINT}\``);
  }
}

/** Resolves when GET /_ping on the socket answers 200. */
function ping(socketPath: string, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

class Engine implements DockerEngine {
  readonly socket: string;
  readonly host: string;
  readonly image = TEST_IMAGE;
  private child: ChildProcess | undefined;
  private readonly log: string;
  private readonly onExit = () => this.child?.kill('SIGKILL');

  constructor(readonly dir: string) {
    this.socket = join(dir, 'docker.sock');
    this.host = `unix://${this.socket}`;
    this.log = join(dir, 'dockerd.log');
    process.on('exit', this.onExit);
  }

  get pid(): number | undefined {
    return this.child && this.child.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  docker(...args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        DOCKER,
        ['-H', this.host, ...args],
        { env: { PATH, HOME: this.dir, DOCKER_CONFIG: join(this.dir, 'cli') }, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
        (err, stdout, stderr) => {
          if (err) reject(new Error(`docker ${args.join(' ')}: ${stderr.trim() || err.message}`));
          else resolve(stdout.trim());
        },
      );
    });
  }

  run(options: readonly string[], command: readonly string[]): Promise<string> {
    return this.docker('run', '-d', '--network', 'none', '--stop-timeout', '1', ...options, this.image, ...command);
  }

  async inspect(id: string): Promise<Record<string, any>> {
    return (JSON.parse(await this.docker('inspect', id)) as Record<string, any>[])[0]!;
  }

  async start(): Promise<void> {
    const fd = openSync(this.log, 'a');
    try {
      this.child = spawn(
        DOCKERD,
        [
          '--data-root', join(this.dir, 'data'),
          '--exec-root', join(this.dir, 'exec'),
          '--pidfile', join(this.dir, 'dockerd.pid'),
          '--host', this.host,
          '--storage-driver', 'vfs',
          '--iptables=false',
          '--bridge=none',
        ],
        { stdio: ['ignore', fd, fd], env: { PATH, HOME: this.dir } },
      );
    } finally {
      closeSync(fd);
    }
    const child = this.child;
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const failed = await Promise.race([spawnError, sleep(100).then(() => undefined)]);
      if (failed) throw new EngineSetupError(`dockerd could not be started (${failed.message}); install it with \`${INSTALL_HINT}\``);
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new EngineSetupError(`dockerd exited (${child.exitCode ?? child.signalCode}) while starting:\n${this.logTail()}\nIt needs root and \`${INSTALL_HINT}\`.`);
      }
      if (await ping(this.socket, 1_000)) return;
    }
    throw new EngineSetupError(`dockerd did not answer on ${this.socket} within ${START_TIMEOUT_MS} ms:\n${this.logTail()}`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    if (await Promise.race([exited.then(() => true), sleep(20_000).then(() => false)])) return;
    child.kill('SIGKILL');
    await Promise.race([exited, sleep(5_000)]);
  }

  async freeze(): Promise<void> {
    const pid = this.child?.pid;
    this.child?.kill('SIGSTOP');
    if (pid === undefined) return;
    // SIGSTOP reaches each of dockerd's threads when it next runs: wait until all are stopped.
    const stopped = () => {
      try {
        return readdirSync(`/proc/${pid}/task`).every((tid) => {
          const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
          return /^[tT]$/.test(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
        });
      } catch {
        return false;
      }
    };
    const deadline = Date.now() + 5_000;
    while (!stopped() && Date.now() < deadline) await sleep(20);
  }

  thaw(): void {
    this.child?.kill('SIGCONT');
  }

  /** The busybox image, from /bin/busybox and symlinks; once per engine. */
  async buildImage(): Promise<void> {
    const root = join(this.dir, 'image');
    mkdirSync(join(root, 'bin'), { recursive: true });
    copyFileSync(BUSYBOX, join(root, 'bin', 'busybox'));
    for (const tool of TOOLS) symlinkSync('busybox', join(root, 'bin', tool));
    await new Promise<void>((resolve, reject) => {
      const tar = spawn('tar', ['-C', root, '-c', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
      const docker = spawn(DOCKER, ['-H', this.host, 'import', '-', this.image], {
        stdio: ['pipe', 'ignore', 'pipe'],
        env: { PATH, HOME: this.dir, DOCKER_CONFIG: join(this.dir, 'cli') },
      });
      let stderr = '';
      tar.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      docker.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      tar.stdout.pipe(docker.stdin);
      const timer = setTimeout(() => {
        tar.kill('SIGKILL');
        docker.kill('SIGKILL');
      }, 60_000);
      docker.on('error', reject);
      tar.on('error', reject);
      docker.on('exit', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new EngineSetupError(`building ${this.image} failed (${code}): ${stderr.trim()}`));
      });
    });
  }

  async cleanup(): Promise<void> {
    process.off('exit', this.onExit);
    try {
      if (this.pid !== undefined) {
        this.thaw();
        const ids = (await this.docker('ps', '-aq').catch(() => '')).split('\n').filter(Boolean);
        if (ids.length > 0) await this.docker('rm', '-f', ...ids).catch(() => undefined);
      }
      await this.stop();
    } finally {
      killContainerProcesses(join(this.dir, 'data', 'containers'));
      killLeftovers(this.dir);
      unmountUnder(this.dir);
      try {
        rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
      } catch (err) {
        process.stderr.write(`docker-engine: could not remove ${this.dir}: ${(err as Error).message}\n`);
      }
    }
  }

  private logTail(): string {
    try {
      return readFileSync(this.log, 'utf8').trim().split('\n').slice(-20).join('\n');
    } catch {
      return '(no dockerd log)';
    }
  }
}

/** containerd and shims started by this engine outlive a killed dockerd: they name its directory. */
function killLeftovers(dir: string): void {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(dir)) process.kill(Number(entry), 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

/**
 * Processes of containers that outlived their engine (normally none: containers are removed
 * before the engine stops), found through the cgroups of the engine's container ids.
 */
function killContainerProcesses(containersDir: string): void {
  let ids: string[];
  try {
    ids = readdirSync(containersDir).filter((d) => /^[0-9a-f]{64}$/.test(d));
  } catch {
    return;
  }
  for (const id of ids) {
    for (const hierarchy of ['', 'pids', 'memory', 'cpu', 'cpuacct', 'unified', 'systemd']) {
      for (const rel of [`docker/${id}`, `system.slice/docker-${id}.scope`]) {
        const dir = join('/sys/fs/cgroup', hierarchy, rel);
        let procs: string;
        try {
          procs = readFileSync(join(dir, 'cgroup.procs'), 'utf8');
        } catch {
          continue;
        }
        for (const pid of procs.split('\n').filter(Boolean)) {
          try {
            process.kill(Number(pid), 'SIGKILL');
          } catch {
            // gone
          }
        }
      }
    }
  }
}

/** Mounts dockerd left under its directory (container shm, network namespaces). */
function unmountUnder(dir: string): void {
  let mountinfo: string;
  try {
    mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return;
  }
  const points = mountinfo
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => p !== undefined && (p === dir || p.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
  for (const p of points) spawnSync('umount', ['-l', p], { timeout: 10_000 });
}

/**
 * Starts a private engine for the test `t` and builds the test image; the engine is stopped
 * and its directory removed in t's teardown. Rejects (failing the test) when it cannot start.
 */
export async function startDockerEngine(t: Teardown): Promise<DockerEngine> {
  for (const bin of [DOCKERD, DOCKER, BUSYBOX]) requireExecutable(bin);
  if (process.getuid?.() !== 0) {
    throw new EngineSetupError('the container tests start a private dockerd, which needs root (CI runs as root)');
  }
  const engine = new Engine(mkdtempSync(join(tmpdir(), 'tocsin-dockerd-')));
  t.teardown(() => engine.cleanup());
  await engine.start();
  await engine.buildImage();
  return engine;
}

/** Polls `probe` until it returns a value other than undefined; rejects after `timeoutMs`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      throw new Error(`${what}: not reached within ${timeoutMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`);
    }
    await sleep(everyMs);
  }
}
