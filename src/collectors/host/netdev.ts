// node_exporter's netdev collector in its /proc/net/dev mode: one counter per column,
// labelled by device, with node_exporter's (legacy, default) metric names.
import type { Collector, CollectorDeps } from '../collector.js';
import { counter } from '../collector.js';
import type { CollectorsConfig } from '../../config/schema.js';
import { NETDEV_FIELDS, excluder, parseNetDev, readProcFile } from '../procfs.js';

export function createNetdevCollector(config: CollectorsConfig['netdev'], deps: CollectorDeps): Collector {
  const excluded = excluder(config.device_exclude);
  return {
    name: 'netdev',
    async collect({ registry, signal }) {
      const devices = [...parseNetDev(await readProcFile(deps.paths.procfs, 'net/dev', signal))].filter(
        ([device]) => !excluded(device),
      );
      if (devices.length === 0) return;
      for (const field of NETDEV_FIELDS) {
        const family = counter(registry, `node_network_${field}_total`, `Network device statistic ${field}.`, ['device'] as const);
        for (const [device, stats] of devices) family.inc({ device }, stats[field]);
      }
    },
  };
}
