// The explicit list of collectors, as in node_exporter's registry: which exist, and how
// each is built from its config section. Whether one runs is its `enabled` flag
// (all default to on; see src/config/schema.ts).
import { lazyCollector, type Collector, type CollectorDeps } from './collector.js';
import type { CollectorsConfig } from '../config/schema.js';
import { createCpuCollector } from './host/cpu.js';
import { createMeminfoCollector } from './host/meminfo.js';
import { createLoadavgCollector } from './host/loadavg.js';
import { createStatCollector } from './host/stat.js';
import { createVmstatCollector } from './host/vmstat.js';
import { createPressureCollector } from './host/pressure.js';
import { createFilesystemCollector } from './host/filesystem.js';
import { createNetdevCollector } from './host/netdev.js';
import { createDiskstatsCollector } from './host/diskstats.js';
import { createProcessCollector } from './process/collector.js';
import { createNginxCollector } from './services/nginx.js';

type Factories = { [K in keyof CollectorsConfig]: (config: CollectorsConfig[K], deps: CollectorDeps) => Collector };

export const COLLECTORS: Factories = {
  cpu: createCpuCollector,
  meminfo: createMeminfoCollector,
  loadavg: createLoadavgCollector,
  stat: createStatCollector,
  vmstat: createVmstatCollector,
  pressure: createPressureCollector,
  filesystem: createFilesystemCollector,
  netdev: createNetdevCollector,
  diskstats: createDiskstatsCollector,
  process: createProcessCollector,
  // Loaded on first use: see lazyCollector.
  containers: lazyCollector('containers', async () => (await import('./containers/collector.js')).createContainersCollector),
  nginx: createNginxCollector,
  // mysql2 costs memory to import; only a Tocsin that watches MySQL pays it.
  mysql: lazyCollector('mysql', async () => (await import('./services/mysql.js')).createMysqlCollector),
};

export function createCollectors(config: CollectorsConfig, deps: CollectorDeps): Collector[] {
  const out: Collector[] = [];
  for (const name of Object.keys(COLLECTORS) as (keyof CollectorsConfig)[]) {
    const section = config[name];
    if (!section.enabled) continue;
    const factory = COLLECTORS[name] as (c: typeof section, d: CollectorDeps) => Collector;
    out.push(factory(section, { ...deps, logger: deps.logger.child({ collector: name }) }));
  }
  return out;
}
