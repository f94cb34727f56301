// node_exporter's pressure collector: Linux pressure stall information (PSI) from
// /proc/pressure/{cpu,io,memory}, as the seconds tasks spent waiting (some) or stalled
// (full). Memory pressure is the early warning before OOM kills: HostMemoryPressure
// watches node_pressure_memory_waiting_seconds_total.
import type { Collector, CollectorDeps } from '../collector.js';
import { counter } from '../collector.js';
import type { CollectorsConfig } from '../../config/schema.js';
import { num, readProcFile } from '../procfs.js';

export interface Pressure {
  /** Seconds during which at least one task waited. */
  readonly some: number;
  /** Seconds during which all non-idle tasks stalled (absent for cpu on older kernels). */
  readonly full: number | undefined;
}

/** Parses "some avg10=... total=<µs>" and "full ..." lines. */
export function parsePressure(text: string): Pressure {
  const total = (kind: 'some' | 'full') => {
    const m = new RegExp(`^${kind} .*\\btotal=(\\d+)`, 'm').exec(text);
    // µs to s in two steps, as node_exporter does, so the float64 values are bit-identical.
    return m ? num(m[1], `${kind} total`) / 1000 / 1000 : undefined;
  };
  const some = total('some');
  if (some === undefined) throw new Error(`unexpected pressure file content: ${JSON.stringify(text)}`);
  return { some, full: total('full') };
}

const RESOURCES = ['cpu', 'io', 'memory'] as const;

export function createPressureCollector(_config: CollectorsConfig['pressure'], deps: CollectorDeps): Collector {
  return {
    name: 'pressure',
    async collect({ registry, signal }) {
      let read: string[];
      try {
        read = await Promise.all(RESOURCES.map((r) => readProcFile(deps.paths.procfs, `pressure/${r}`, signal)));
      } catch (err) {
        // Kernels without PSI (before 4.20, or booted with psi=0) have no /proc/pressure:
        // nothing to report is not a failure, or TocsinCollectorFailing would page forever.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EOPNOTSUPP') return;
        throw err;
      }
      const p = Object.fromEntries(RESOURCES.map((r, i) => [r, parsePressure(read[i]!)])) as Record<(typeof RESOURCES)[number], Pressure>;
      counter(registry, 'node_pressure_cpu_waiting_seconds_total', 'Total time in seconds that processes have waited for CPU time').inc(p.cpu.some);
      counter(registry, 'node_pressure_io_waiting_seconds_total', 'Total time in seconds that processes have waited due to IO congestion').inc(p.io.some);
      counter(registry, 'node_pressure_io_stalled_seconds_total', 'Total time in seconds no process could make progress due to IO congestion').inc(p.io.full ?? 0);
      counter(registry, 'node_pressure_memory_waiting_seconds_total', 'Total time in seconds that processes have waited for memory').inc(p.memory.some);
      counter(registry, 'node_pressure_memory_stalled_seconds_total', 'Total time in seconds no process could make progress due to memory congestion').inc(p.memory.full ?? 0);
    },
  };
}
