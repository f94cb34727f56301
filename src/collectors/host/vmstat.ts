// node_exporter's vmstat collector: selected /proc/vmstat counters as node_vmstat_<field>,
// above all oom_kill (the kernel's count of OOM kills, what HostOomKillDetected watches).
// node_exporter serves them untyped; prom-client has no untyped type, and a counter
// without the _total suffix is a promtool error, so they are gauges here. PromQL's rate()
// and increase() do not look at the type, so rules written for node_exporter work as they are.
import type { Collector, CollectorDeps } from '../collector.js';
import { gauge } from '../collector.js';
import type { CollectorsConfig } from '../../config/schema.js';
import { fields, num, readProcFile } from '../procfs.js';

/** Every "name value" pair of /proc/vmstat whose name matches `include`. */
export function parseVmstat(text: string, include: RegExp): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [name, value] = fields(line);
    if (name === undefined || !include.test(name)) continue;
    out.set(name, num(value, `/proc/vmstat ${name}`));
  }
  return out;
}

export function createVmstatCollector(config: CollectorsConfig['vmstat'], deps: CollectorDeps): Collector {
  const include = new RegExp(config.fields);
  return {
    name: 'vmstat',
    async collect({ registry, signal }) {
      const values = parseVmstat(await readProcFile(deps.paths.procfs, 'vmstat', signal), include);
      for (const [name, value] of values) {
        gauge(registry, `node_vmstat_${name}`, `/proc/vmstat information field ${name}.`).set(value);
      }
    },
  };
}
