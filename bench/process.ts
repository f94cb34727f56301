// What a process-collector scrape costs with many processes on the machine, against the
// floor of just reading every /proc/<pid>/stat. Run: node --import tsx bench/process.ts [extra=1000]
//
// Starts `extra` idle `sleep` processes that belong to no group (the common case: a few
// groups on a busy host), then reports milliseconds per collection, their ratio to reading
// every /proc/<pid>/stat (measured alternately, so both see the same machine load) and the
// longest the event loop was held. Prints only; nothing is asserted.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { createProcessCollector, RECHECK_YOUNGER_THAN_SECONDS } from '../src/collectors/process/collector.js';
import { listPids, readProcFileSync } from '../src/collectors/procfs.js';
import type { ProcessGroupConfig } from '../src/config/schema.js';
import { collectText, silentLogger } from '../test/helpers/collect.js';

const extra = Number(process.argv[2] ?? 1000);
const children: ChildProcess[] = [];
const killAll = () => children.forEach((c) => c.kill('SIGKILL'));
process.on('exit', killAll);
process.on('SIGINT', () => process.exit(130));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function time(runs: number, f: () => unknown): Promise<{ median: number; max: number; first: number }> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await f();
    times.push(performance.now() - t0);
  }
  return { median: median(times.slice(1)), max: Math.max(...times.slice(1)), first: times[0]! };
}

function readAllStats(read: (path: string) => string): number {
  let n = 0;
  for (const pid of listPids('/proc')) {
    try {
      n += read(`/proc/${pid}/stat`).length;
    } catch {
      // exited
    }
  }
  return n;
}

/** Longest gap between turns of the event loop until the returned function is called. */
function probeLoop(): () => number {
  let last = performance.now();
  let longest = 0;
  let on = true;
  const tick = () => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    if (on) setImmediate(tick);
  };
  setImmediate(tick);
  return () => {
    on = false;
    return longest;
  };
}

async function benchCollector(label: string, groups: ProcessGroupConfig[], runs = 21): Promise<void> {
  const collector = createProcessCollector(
    { enabled: true, groups },
    { logger: silentLogger, paths: { procfs: '/proc', sysfs: '/sys', rootfs: '/' } },
  );
  const ctx = () => ({ registry: new Registry(), signal: new AbortController().signal });
  const first = await time(1, () => collector.collect(ctx()));
  // Alternating with the stat-only floor, so both see the same machine load.
  const ratios: number[] = [];
  const times: number[] = [];
  let longest = 0;
  for (let i = 0; i < runs; i++) {
    const floor = await time(2, () => readAllStats(readProcFileSync));
    const stopProbe = probeLoop();
    const r = await time(2, () => collector.collect(ctx()));
    longest = Math.max(longest, stopProbe());
    times.push(r.median);
    ratios.push(r.median / floor.median);
  }
  // Through the scrape engine too (registry merge and rendering included).
  const scrape = await time(Math.min(runs, 11), () => collectText([collector]));
  console.log(
    `${label}: first ${first.first.toFixed(1)} ms, then median ${median(times).toFixed(1)} ms ` +
      `= ${median(ratios).toFixed(2)}x the stat-only floor measured alongside; full scrape median ${scrape.median.toFixed(1)} ms; ` +
      `event loop held at most ${longest.toFixed(1)} ms at a time`,
  );
}

async function readAllStatsAsync(): Promise<number> {
  const sizes = await Promise.all(
    listPids('/proc').map((pid) => readFile(`/proc/${pid}/stat`, 'utf8').then((s) => s.length, () => 0)),
  );
  return sizes.reduce((a, b) => a + b, 0);
}

const TYPICAL: ProcessGroupConfig[] = [
  { name: 'mysqld', comm: ['mysqld'] },
  { name: 'node', exe: ['node'] },
  { name: '{matches.job}', cmdline: ['tocsin-bench-(?<job>\\w+)'] },
];

async function main(): Promise<void> {
  for (let i = 0; i < extra; i++) children.push(spawn('sleep', ['3600'], { stdio: 'ignore' }));
  await sleep(300);
  // While they are younger than RECHECK_YOUNGER_THAN_SECONDS, every scrape re-matches them.
  await benchCollector(`${extra} processes just started (re-matched while young)`, TYPICAL, 5);
  await sleep((RECHECK_YOUNGER_THAN_SECONDS + 1) * 1000);
  const total = listPids('/proc').length;
  console.log(`${total} processes (${extra} extra idle sleep processes)`);

  const floor = await time(21, () => readAllStats(readProcFileSync));
  const floorRfs = await time(21, () => readAllStats((p) => readFileSync(p, 'utf8')));
  const floorAsync = await time(11, () => readAllStatsAsync());
  console.log(
    `read every /proc/<pid>/stat: median ${floor.median.toFixed(1)} ms ` +
      `(readFileSync ${floorRfs.median.toFixed(1)} ms, fs.promises.readFile ${floorAsync.median.toFixed(1)} ms)`,
  );

  await benchCollector('3 groups (comm, exe, cmdline), none matching the sleepers', TYPICAL);
  await benchCollector(`1 group holding all ${extra} sleepers (worst case)`, [{ name: 'sleepers', comm: ['sleep'] }]);
  killAll();
}

await main();
