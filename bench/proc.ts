// What a process has cost so far, read from /proc: CPU seconds and resident memory.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

// Clock ticks per second for /proc/<pid>/stat's utime and stime.
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK; // fields 14 and 15, counted after the name
}

/** Peak (VmHWM) and current (VmRSS) resident set size, in bytes. */
export function memory(pid: number): { peak: number; now: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) * 1024;
  return { peak: kb('VmHWM'), now: kb('VmRSS') };
}

export const peakRssMb = (pid: number) => memory(pid).peak / 2 ** 20;
