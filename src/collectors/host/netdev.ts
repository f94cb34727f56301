// node_exporter's netdev collector in its /proc/net/dev mode: one counter per column,
// labelled by device, with node_exporter's (legacy, default) metric names.
import type { Collector, CollectorDeps } from '../collector.js';
import { counter } from '../collector.js';
import type { CollectorsConfig } from '../../config/schema.js';
import { excluder, fields, num, readProcFile } from './procfs.js';

/**
 * The sixteen columns of /proc/net/dev, in the kernel's order, under the names
 * node_exporter gives them (node_network_<name>_total).
 */
export const NETDEV_FIELDS = [
  'receive_bytes',
  'receive_packets',
  'receive_errs',
  'receive_drop',
  'receive_fifo',
  'receive_frame',
  'receive_compressed',
  'receive_multicast',
  'transmit_bytes',
  'transmit_packets',
  'transmit_errs',
  'transmit_drop',
  'transmit_fifo',
  'transmit_colls',
  'transmit_carrier',
  'transmit_compressed',
] as const;

export type NetdevField = (typeof NETDEV_FIELDS)[number];

/** Device -> column -> value, from the text of /proc/net/dev (two header lines, then one line per device). */
export function parseNetDev(text: string): Map<string, Record<NetdevField, number>> {
  const out = new Map<string, Record<NetdevField, number>>();
  for (const line of text.split('\n').slice(2)) {
    if (line.trim() === '') continue;
    // "  eth0: 123 ..." and, with wide counters, "eth0:123 ..." (no space): split at the
    // colon, not on whitespace.
    const colon = line.lastIndexOf(':');
    if (colon < 0) throw new Error(`unexpected /proc/net/dev line: ${line}`);
    const device = line.slice(0, colon).trim();
    const values = fields(line.slice(colon + 1));
    if (values.length < NETDEV_FIELDS.length) throw new Error(`unexpected /proc/net/dev line: ${line}`);
    const stats = {} as Record<NetdevField, number>;
    NETDEV_FIELDS.forEach((field, i) => {
      stats[field] = num(values[i], `${device} ${field}`);
    });
    out.set(device, stats);
  }
  return out;
}

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
