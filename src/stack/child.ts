// A program Tocsin runs as a child (Prometheus, Alertmanager): started with its output in a
// log file, considered up once its readiness URL answers, stopped with SIGTERM (SIGKILL
// after a grace period). Children die with Tocsin: they are killed on exit as well.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { openSync, closeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

/** SIGTERM, then SIGKILL if it has not exited after `killAfterMs`; resolves once it has exited. */
export async function stopChild(child: ChildProcess, killAfterMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  await exited;
  clearTimeout(timer);
}

export interface ChildService {
  readonly name: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

export async function startChild(
  name: string,
  command: string,
  args: readonly string[],
  options: { logFile: string; readyUrl: string; timeoutMs?: number },
): Promise<ChildService> {
  const log = openSync(options.logFile, 'a');
  const child = spawn(command, args, { stdio: ['ignore', log, log] });
  closeSync(log);
  running.add(child);
  let exited: string | undefined;
  child.on('exit', (code, signal) => {
    running.delete(child);
    exited = `${name} exited (${signal ?? code}); see ${options.logFile}`;
  });
  child.on('error', (err) => {
    exited = `${name} could not start: ${err.message}`;
  });

  const stop = () => stopChild(child);

  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (exited) throw new Error(exited);
    try {
      if ((await fetch(options.readyUrl)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${name} was not ready within ${(options.timeoutMs ?? 30_000) / 1000} s; see ${options.logFile}`);
    }
    await sleep(200);
  }
  return { name, child, stop };
}
