// node_exporter's stat collector (/proc/stat), plus node_processes_pids (from its
// processes collector, which is otherwise too costly to run by default: it reads every
// /proc/<pid>/stat) and tocsin_host_uptime_seconds.
import { readdir } from 'node:fs/promises';
import type { Collector, CollectorDeps } from '../collector.js';
import { counter, gauge } from '../collector.js';
import type { CollectorsConfig } from '../../config/schema.js';
import { fields, num, readProcFile } from '../procfs.js';

export interface KernelStats {
  readonly bootTime: number;
  readonly contextSwitches: number;
  readonly forks: number;
  readonly interrupts: number;
  readonly procsRunning: number;
  readonly procsBlocked: number;
}

const KEYS = {
  btime: 'bootTime',
  ctxt: 'contextSwitches',
  processes: 'forks',
  // The first number of the intr line is the total; the rest are per-IRQ counts.
  intr: 'interrupts',
  procs_running: 'procsRunning',
  procs_blocked: 'procsBlocked',
} as const satisfies Record<string, keyof KernelStats>;

/** The system-wide counters of /proc/stat. */
export function parseKernelStats(text: string): KernelStats {
  const found: Partial<Record<keyof KernelStats, number>> = {};
  for (const line of text.split('\n')) {
    const parts = fields(line);
    const key = KEYS[parts[0] as keyof typeof KEYS];
    if (key !== undefined) found[key] = num(parts[1], `/proc/stat ${parts[0]}`);
  }
  for (const [field, key] of Object.entries(KEYS)) {
    if (found[key] === undefined) throw new Error(`no "${field}" line in /proc/stat`);
  }
  return found as KernelStats;
}

/** Seconds since boot: the first number of /proc/uptime. */
export function parseUptime(text: string): number {
  return num(fields(text)[0], '/proc/uptime');
}

/**
 * How many of a /proc listing's entries are processes (numeric directory names).
 * node_exporter counts those whose stat file it then manages to read, which differs only
 * by processes that exit in between.
 */
export function countPids(entries: readonly string[]): number {
  let n = 0;
  for (const name of entries) if (/^\d+$/.test(name)) n++;
  return n;
}

export function createStatCollector(_config: CollectorsConfig['stat'], deps: CollectorDeps): Collector {
  const procfs = deps.paths.procfs;
  return {
    name: 'stat',
    async collect({ registry, signal }) {
      const [statText, uptimeText, entries] = await Promise.all([
        readProcFile(procfs, 'stat', signal),
        readProcFile(procfs, 'uptime', signal),
        readdir(procfs),
      ]);
      const s = parseKernelStats(statText);
      counter(registry, 'node_intr_total', 'Total number of interrupts serviced.').inc(s.interrupts);
      counter(registry, 'node_context_switches_total', 'Total number of context switches.').inc(s.contextSwitches);
      counter(registry, 'node_forks_total', 'Total number of forks.').inc(s.forks);
      gauge(registry, 'node_boot_time_seconds', 'Node boot time, in unixtime.').set(s.bootTime);
      gauge(registry, 'node_procs_running', 'Number of processes in runnable state.').set(s.procsRunning);
      gauge(registry, 'node_procs_blocked', 'Number of processes blocked waiting for I/O to complete.').set(s.procsBlocked);
      gauge(registry, 'node_processes_pids', 'Number of PIDs').set(countPids(entries));
      gauge(registry, 'tocsin_host_uptime_seconds', 'Seconds since the host booted, from /proc/uptime.').set(parseUptime(uptimeText));
    },
  };
}
