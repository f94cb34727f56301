// node_exporter's meminfo collector: one node_memory_* gauge per /proc/meminfo field.
//
// The names are node_exporter's, camelCase and all ("MemTotal" -> node_memory_MemTotal_bytes,
// "Active(anon)" -> node_memory_Active_anon_bytes, "HugePages_Total" -> node_memory_HugePages_Total,
// a count, so no _bytes). promtool's lint dislikes the camelCase, but every dashboard and
// alert written for node_exporter depends on exactly these names.
import type { Collector, CollectorDeps } from '../collector.js';
import { counter, gauge } from '../collector.js';
import type { CollectorsConfig } from '../../config/schema.js';
import { fields, num, readProcFile } from '../procfs.js';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/**
 * /proc/meminfo as node_exporter names it: field name (without the node_memory_ prefix)
 * -> value in base units. Fields with a unit are kB and become bytes with a `_bytes` suffix.
 */
export function parseMeminfo(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const parts = fields(line);
    // Some kernels (CentOS 6 era) emit blank lines; node_exporter skips them too.
    if (parts.length === 0) continue;
    let key = parts[0]!.replace(/:$/, '').replace(/\((.*)\)/, '_$1');
    let value = num(parts[1], `meminfo value of ${parts[0]}`);
    if (parts.length === 3) {
      // The only unit the kernel has ever printed here is kB (KiB).
      value *= 1024;
      key += '_bytes';
    } else if (parts.length !== 2) {
      throw new Error(`invalid line in meminfo: ${line}`);
    }
    out.set(key, value);
  }
  return out;
}

export function createMeminfoCollector(_config: CollectorsConfig['meminfo'], deps: CollectorDeps): Collector {
  return {
    name: 'meminfo',
    async collect({ registry, signal }) {
      const info = parseMeminfo(await readProcFile(deps.paths.procfs, 'meminfo', signal));
      for (const [key, value] of info) {
        const name = `node_memory_${key}`;
        // A field a future kernel spells with characters Prometheus forbids is skipped
        // rather than failing the other fifty.
        if (!METRIC_NAME.test(name)) {
          deps.logger.debug({ field: key }, 'skipping meminfo field with an invalid metric name');
          continue;
        }
        const help = `Memory information field ${key}.`;
        // node_exporter's rule: a *_total field is a counter, everything else a gauge.
        if (key.endsWith('_total')) counter(registry, name, help).inc(value);
        else gauge(registry, name, help).set(value);
      }
    },
  };
}
