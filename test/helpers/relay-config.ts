// End-to-end relay tests: write a tocsin.yml for the relay into a temp directory and run the real
// CLI (`tocsin relay`, through tsx) as a child process with its own environment, so `${ENV}`
// webhook URLs resolve in the child only. Unlike startTocsin() (tocsin-process.ts) the child can be
// SIGKILLed (a crash) and its stderr is kept whole for failure messages.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { tocsinArgs } from './tocsin-process.js';

/** A temp directory removed by the returned cleanup (best effort). */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `tocsin-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes `{relay: relaySection}` as YAML to dir/tocsin.yml; returns the path. */
export function writeRelayConfig(dir: string, relaySection: Record<string, unknown>, logLevel = 'info'): string {
  const file = join(dir, 'tocsin.yml');
  writeFileSync(file, dump({ log: { level: logLevel }, relay: relaySection }, { lineWidth: -1 }));
  return file;
}

export interface RelayProcess {
  readonly child: ChildProcess;
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly stderr: () => string;
  /** SIGTERM, then SIGKILL after 5 s; resolves when the process is gone. */
  stop(): Promise<void>;
  /** SIGKILL (a crash); resolves when the process is gone. */
  kill(): Promise<void>;
}

export interface StartRelayOptions {
  readonly configFile: string;
  /** Added to (and overriding) the test process's environment. */
  readonly env?: Readonly<Record<string, string>>;
  readonly listenAddress?: string;
  readonly timeoutMs?: number;
  /**
   * A file-size limit for the child (`ulimit -f`, in the shell's 512-byte blocks): writes past it
   * fail with EFBIG, a real write failure like a full disk, for this process only. Node ignores
   * SIGXFSZ, so the write fails and the process lives; tap's child-process hooks (NODE_OPTIONS,
   * which tap puts back into every child's environment) would install a handler for it that
   * kills the process instead, so the shell removes them.
   */
  readonly fileSizeLimitBlocks?: number;
}

/** Starts `tocsin relay` and waits for its "relay listening" log line. */
export async function startRelayProcess(o: StartRelayOptions): Promise<RelayProcess> {
  const timeoutMs = o.timeoutMs ?? 20_000;
  const env: NodeJS.ProcessEnv = { ...process.env, ...(o.env ?? {}) };
  // Flags given here must win; a stray TOCSIN_* variable in the test environment must not.
  for (const k of Object.keys(env)) if (k.startsWith('TOCSIN_') && !(o.env && k in o.env)) delete env[k];
  const args = tocsinArgs(['relay', `--config.file=${o.configFile}`, `--relay.listen-address=${o.listenAddress ?? '127.0.0.1:0'}`]);
  const child =
    o.fileSizeLimitBlocks === undefined
      ? spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env })
      : spawn('/bin/sh', ['-c', `unset NODE_OPTIONS; ulimit -f ${o.fileSizeLimitBlocks} && exec "$0" "$@"`, process.execPath, ...args], {
          stdio: ['ignore', 'ignore', 'pipe'],
          env,
        });
  let stderr = '';
  let scanned = 0;
  const gone = once(child, 'exit').then(
    () => undefined,
    () => undefined,
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tocsin relay did not start within ${timeoutMs} ms:\n${stderr}`));
    }, timeoutMs);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      // Only complete lines, each once.
      const end = stderr.lastIndexOf('\n');
      if (end < scanned) return;
      const lines = stderr.slice(scanned, end).split('\n');
      scanned = end + 1;
      for (const line of lines) {
        if (!line.includes('relay listening')) continue;
        try {
          const address = (JSON.parse(line) as { address?: string }).address;
          if (address) {
            clearTimeout(timer);
            resolve(address.replace('[::]', '127.0.0.1').replace('0.0.0.0', '127.0.0.1'));
          }
        } catch {
          // not a JSON log line
        }
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`tocsin relay exited (${signal ?? code}) before listening:\n${stderr}`));
    });
  });
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  return {
    child,
    url,
    stderr: () => stderr,
    async stop() {
      if (exited()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await gone;
      clearTimeout(timer);
    },
    async kill() {
      if (exited()) return;
      child.kill('SIGKILL');
      await gone;
    },
  };
}

/** Polls `check` every `intervalMs` until it returns true; throws `describe()` after timeoutMs. */
export async function pollUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  describe: () => string,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() >= deadline) throw new Error(`not within ${timeoutMs} ms: ${describe()}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
