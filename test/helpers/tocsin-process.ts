// Starts the real `tocsin` CLI as a child process (through tsx, so no build is needed)
// and waits for its "listening" log line to learn the bound address.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stopChild } from './child.js';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
// Resolved here, not by the child: a child started in another working directory would not find tsx.
const TSX = import.meta.resolve('tsx');

export interface TocsinProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly stderr: () => string;
  readonly stdout: () => string;
  stop(): Promise<void>;
}

export function tocsinArgs(args: readonly string[]): string[] {
  return ['--import', TSX, MAIN, ...args];
}

export interface StartOptions {
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
  /** Working directory of the child (default: the test's). */
  readonly cwd?: string;
  /** The log message that means "up" (default: the first ... listening line). */
  readonly readyMessage?: string;
  /** Run as this user and group (the test runs as root): an unprivileged Tocsin. */
  readonly uid?: number;
  readonly gid?: number;
}

export async function startTocsin(args: readonly string[], options: StartOptions = {}): Promise<TocsinProcess> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const child = spawn(process.execPath, tocsinArgs(args), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
    cwd: options.cwd,
    ...(options.uid !== undefined ? { uid: options.uid, gid: options.gid ?? options.uid } : {}),
  });
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tocsin did not start within ${timeoutMs} ms:\n${stderr}`)), timeoutMs);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      for (const line of stderr.split('\n')) {
        if (!line.includes(options.readyMessage ?? 'listening')) continue;
        try {
          const parsed = JSON.parse(line) as { address?: string; exporter?: string; msg?: string };
          if (options.readyMessage !== undefined && parsed.msg !== options.readyMessage) continue;
          const address = parsed.address ?? parsed.exporter;
          if (address) {
            clearTimeout(timer);
            resolve(address.replace('[::]', '127.0.0.1').replace('0.0.0.0', '127.0.0.1'));
          }
        } catch {
          // not a JSON log line
        }
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tocsin exited with ${code} before listening:\n${stderr}`));
    });
  });
  return {
    child,
    url,
    stderr: () => stderr,
    stdout: () => stdout,
    stop: () => stopChild(child, 10_000),
  };
}
