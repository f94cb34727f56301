// node_exporter's loadavg collector: node_load1/5/15 from /proc/loadavg.
import type { Collector, CollectorDeps } from '../collector.js';
import { gauge } from '../collector.js';
import type { CollectorsConfig } from '../../config/schema.js';
import { fields, num, readProcFile } from '../procfs.js';

/** The 1, 5 and 15 minute load averages from the text of /proc/loadavg. */
export function parseLoadavg(text: string): [number, number, number] {
  const parts = fields(text);
  if (parts.length < 3) throw new Error(`unexpected /proc/loadavg content: ${JSON.stringify(text)}`);
  return [num(parts[0], 'load1'), num(parts[1], 'load5'), num(parts[2], 'load15')];
}

export function createLoadavgCollector(_config: CollectorsConfig['loadavg'], deps: CollectorDeps): Collector {
  return {
    name: 'loadavg',
    async collect({ registry, signal }) {
      const [load1, load5, load15] = parseLoadavg(await readProcFile(deps.paths.procfs, 'loadavg', signal));
      gauge(registry, 'node_load1', '1m load average.').set(load1);
      gauge(registry, 'node_load5', '5m load average.').set(load5);
      gauge(registry, 'node_load15', '15m load average.').set(load15);
    },
  };
}
