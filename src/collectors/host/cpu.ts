// node_exporter's cpu collector (the /proc/stat part): node_cpu_seconds_total and
// node_cpu_guest_seconds_total per CPU, plus tocsin_host_cpus.
import type { Collector, CollectorDeps } from '../collector.js';
import { counter, gauge } from '../collector.js';
import type { CollectorsConfig } from '../../config/schema.js';
import { USER_HZ, fields, num, readProcFile } from '../procfs.js';

// The column order of a "cpuN" line in /proc/stat (proc(5)).
const COLUMNS = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal', 'guest', 'guestNice'] as const;

/** One CPU's times in seconds. */
export type CpuTimes = Readonly<Record<(typeof COLUMNS)[number], number>>;

const ZERO: CpuTimes = { user: 0, nice: 0, system: 0, idle: 0, iowait: 0, irq: 0, softirq: 0, steal: 0, guest: 0, guestNice: 0 };

function cpuTimes(value: (column: (typeof COLUMNS)[number], i: number) => number): CpuTimes {
  return Object.fromEntries(COLUMNS.map((column, i) => [column, value(column, i)])) as CpuTimes;
}

/** The same drop node_exporter treats as a CPU hotplug rather than counter noise. */
export const JUMP_BACK_SECONDS = 3;

/**
 * Per-CPU times in seconds from the text of /proc/stat, keyed by the kernel's CPU number
 * ("0", "1", ...). The aggregate "cpu" line is not included. Older kernels print fewer
 * columns; the missing ones are 0, as in procfs.
 */
export function parseCpuStat(text: string): Map<string, CpuTimes> {
  const out = new Map<string, CpuTimes>();
  for (const line of text.split('\n')) {
    const m = /^cpu(\d+)\s/.exec(line);
    if (!m) continue;
    const parts = fields(line).slice(1);
    if (parts.length < 4) throw new Error(`unexpected /proc/stat cpu line: ${line}`);
    out.set(
      m[1]!,
      cpuTimes((column, i) => (parts[i] === undefined ? 0 : num(parts[i], `cpu${m[1]} ${column}`) / USER_HZ)),
    );
  }
  if (out.size === 0) throw new Error('no per-CPU lines in /proc/stat');
  return out;
}

/**
 * node_exporter's guard against counters that go backwards. Linux's per-CPU iowait (and,
 * on some hypervisors, idle) can decrease, which Prometheus would read as a counter reset
 * and turn into a huge rate() spike. So each value is held at its highest reading, and a
 * CPU whose idle time drops by JUMP_BACK_SECONDS or more is taken to have been hot-plugged
 * and starts over. A changed set of CPUs starts everything over.
 */
export function keepMonotonic(
  previous: ReadonlyMap<string, CpuTimes> | undefined,
  next: ReadonlyMap<string, CpuTimes>,
): Map<string, CpuTimes> {
  const sameCpus = previous !== undefined && previous.size === next.size && [...next.keys()].every((id) => previous.has(id));
  const out = new Map<string, CpuTimes>();
  for (const [id, now] of next) {
    let before = sameCpus ? previous.get(id)! : ZERO;
    if (before.idle - now.idle >= JUMP_BACK_SECONDS) before = ZERO;
    out.set(id, cpuTimes((column) => Math.max(before[column], now[column])));
  }
  return out;
}

export function createCpuCollector(_config: CollectorsConfig['cpu'], deps: CollectorDeps): Collector {
  let last: Map<string, CpuTimes> | undefined;
  return {
    name: 'cpu',
    async collect({ registry, signal }) {
      const cpus = keepMonotonic(last, parseCpuStat(await readProcFile(deps.paths.procfs, 'stat', signal)));
      last = cpus;

      const seconds = counter(registry, 'node_cpu_seconds_total', 'Seconds the CPUs spent in each mode.', ['cpu', 'mode'] as const);
      const guest = counter(
        registry,
        'node_cpu_guest_seconds_total',
        'Seconds the CPUs spent in guests (VMs) for each mode.',
        ['cpu', 'mode'] as const,
      );
      for (const [cpu, t] of cpus) {
        seconds.inc({ cpu, mode: 'user' }, t.user);
        seconds.inc({ cpu, mode: 'nice' }, t.nice);
        seconds.inc({ cpu, mode: 'system' }, t.system);
        seconds.inc({ cpu, mode: 'idle' }, t.idle);
        seconds.inc({ cpu, mode: 'iowait' }, t.iowait);
        seconds.inc({ cpu, mode: 'irq' }, t.irq);
        seconds.inc({ cpu, mode: 'softirq' }, t.softirq);
        seconds.inc({ cpu, mode: 'steal' }, t.steal);
        // Guest time is already counted in user and nice; exposed apart so it can be subtracted.
        guest.inc({ cpu, mode: 'user' }, t.guest);
        guest.inc({ cpu, mode: 'nice' }, t.guestNice);
      }
      gauge(registry, 'tocsin_host_cpus', 'Number of online CPUs, as listed in /proc/stat.').set(cpus.size);
    },
  };
}
