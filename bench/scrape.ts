// Scraping several servers the same way, interleaved round by round so machine noise falls on
// all alike, with each one's CPU per scrape (from /proc) and peak RSS.
import type { ChildProcess } from 'node:child_process';
import { cpuSeconds, memory } from './proc.js';
import { percentile, progressTicker, waitFor } from './lib.js';

export interface Target {
  readonly key: string;
  readonly label: string;
  readonly url: string;
  readonly child: ChildProcess;
}

export interface Row {
  readonly key: string;
  readonly label: string;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly cpuSecondsPerScrape: number;
  readonly peakRssMb: number;
  readonly rssMb: number;
}

/** Warms every target up, then scrapes them `rounds` times, interleaved, measuring each one's CPU. */
export async function scrapeSideBySide(targets: readonly Target[], rounds: number, label = 'scrapes'): Promise<Row[]> {
  await Promise.all(targets.map((t) => waitFor(t.url)));
  for (const t of targets) for (let i = 0; i < 3; i++) await (await fetch(t.url)).text();
  const times = new Map<string, number[]>(targets.map((t) => [t.key, []]));
  const cpu0 = new Map(targets.map((t) => [t.key, cpuSeconds(t.child.pid!)]));
  const tick = progressTicker(label, rounds, ' rounds');
  for (let i = 0; i < rounds; i++) {
    tick(i);
    for (const t of targets) {
      const t0 = performance.now();
      await (await fetch(t.url)).text();
      times.get(t.key)!.push(performance.now() - t0);
    }
  }
  tick(rounds);
  return targets.map((t) => {
    const s = times.get(t.key)!.sort((a, b) => a - b);
    const mem = memory(t.child.pid!);
    return {
      key: t.key,
      label: t.label,
      p50Ms: percentile(s, 50),
      p99Ms: percentile(s, 99),
      cpuSecondsPerScrape: (cpuSeconds(t.child.pid!) - cpu0.get(t.key)!) / rounds,
      peakRssMb: mem.peak / 2 ** 20,
      rssMb: mem.now / 2 ** 20,
    };
  });
}

