// Small pieces shared by the benchmarks: child processes that are always cleaned up,
// free loopback ports, latency percentiles and RSS read from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { stopChild } from '../src/stack/child.js';

export { freePort } from '../test/helpers/net.js';

const children = new Set<ChildProcess>();
function killAll() {
  for (const c of children) c.kill('SIGKILL');
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));

export function start(cmd: string, args: readonly string[]): ChildProcess {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

/** Stops a benchmark child: SIGTERM, SIGKILL after 5 s. */
export const stop = (child: ChildProcess): Promise<void> => stopChild(child);

/** Polls `url` until it answers 200, for at most `timeoutMs`. */
export async function waitFor(url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await sleep(100);
  }
  throw new Error(`${url} did not come up within ${timeoutMs} ms`);
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

export interface Latency {
  readonly p50: number;
  readonly p99: number;
  readonly count: number;
}

/** Scrapes `url` sequentially `count` times; milliseconds per scrape, whole body read. */
export async function scrapeLatency(url: string, count: number, headers: Record<string, string> = {}): Promise<Latency> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const res = await fetch(url, { headers });
    await res.text();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), count };
}

export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

/**
 * Progress of a long phase on stderr ("  probes 1,000 @ 10 s: 12 / 30 s"), at most every
 * `everyMs` so a reader sees movement without a flood; the last step always prints.
 */
export function progressTicker(label: string, total: number, unit = '', everyMs = 5_000): (done: number) => void {
  let last = 0;
  return (done) => {
    const now = Date.now();
    if (done < total && now - last < everyMs) return;
    last = now;
    console.error(`  ${label}: ${Math.min(done, total).toLocaleString('en')} / ${total.toLocaleString('en')}${unit}`);
  };
}
