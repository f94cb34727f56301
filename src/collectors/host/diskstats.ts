// node_exporter's diskstats collector: the I/O counters of /proc/diskstats per block device.
import type { Collector, CollectorDeps } from '../collector.js';
import { counter, gauge } from '../collector.js';
import type { CollectorsConfig } from '../../config/schema.js';
import { excluder, fields, num, readProcFile } from '../procfs.js';

/**
 * /proc/diskstats counts sectors of 512 bytes whatever the device's logical block size
 * (Documentation/admin-guide/iostats.rst); node_exporter briefly used the block size and
 * went back to 512.
 */
export const SECTOR_BYTES = 512;
const MS = 0.001;

interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge';
  /** Turns the kernel's unit (sectors, milliseconds) into the base unit. */
  readonly scale: number;
}

// In the column order after "major minor device". Kernels before 4.18 print the first 11,
// before 5.5 the first 15 (no flush columns); a family is only emitted when its column exists.
export const DISKSTATS_FAMILIES: readonly Family[] = [
  { name: 'reads_completed_total', help: 'The total number of reads completed successfully.', type: 'counter', scale: 1 },
  { name: 'reads_merged_total', help: 'The total number of reads merged.', type: 'counter', scale: 1 },
  { name: 'read_bytes_total', help: 'The total number of bytes read successfully.', type: 'counter', scale: SECTOR_BYTES },
  { name: 'read_time_seconds_total', help: 'The total number of seconds spent by all reads.', type: 'counter', scale: MS },
  { name: 'writes_completed_total', help: 'The total number of writes completed successfully.', type: 'counter', scale: 1 },
  { name: 'writes_merged_total', help: 'The number of writes merged.', type: 'counter', scale: 1 },
  { name: 'written_bytes_total', help: 'The total number of bytes written successfully.', type: 'counter', scale: SECTOR_BYTES },
  { name: 'write_time_seconds_total', help: 'This is the total number of seconds spent by all writes.', type: 'counter', scale: MS },
  { name: 'io_now', help: 'The number of I/Os currently in progress.', type: 'gauge', scale: 1 },
  { name: 'io_time_seconds_total', help: 'Total seconds spent doing I/Os.', type: 'counter', scale: MS },
  { name: 'io_time_weighted_seconds_total', help: 'The weighted # of seconds spent doing I/Os.', type: 'counter', scale: MS },
  { name: 'discards_completed_total', help: 'The total number of discards completed successfully.', type: 'counter', scale: 1 },
  { name: 'discards_merged_total', help: 'The total number of discards merged.', type: 'counter', scale: 1 },
  // node_exporter keeps this one in sectors (hence the name), not bytes.
  { name: 'discarded_sectors_total', help: 'The total number of sectors discarded successfully.', type: 'counter', scale: 1 },
  { name: 'discard_time_seconds_total', help: 'This is the total number of seconds spent by all discards.', type: 'counter', scale: MS },
  { name: 'flush_requests_total', help: 'The total number of flush requests completed successfully', type: 'counter', scale: 1 },
  {
    name: 'flush_requests_time_seconds_total',
    help: 'This is the total number of seconds spent by all flush requests.',
    type: 'counter',
    scale: MS,
  },
];

export interface DiskStats {
  readonly major: number;
  readonly minor: number;
  readonly device: string;
  /** The raw columns after the device name, in the kernel's units. */
  readonly stats: readonly number[];
}

/** One entry per /proc/diskstats line that has at least the eleven classic columns. */
export function parseDiskstats(text: string): DiskStats[] {
  const out: DiskStats[] = [];
  for (const line of text.split('\n')) {
    const parts = fields(line);
    if (parts.length === 0) continue;
    // 2.6-era partition lines have only four columns with other meanings; skip them
    // rather than report reads as merges.
    if (parts.length < 14) continue;
    out.push({
      major: num(parts[0], 'diskstats major'),
      minor: num(parts[1], 'diskstats minor'),
      device: parts[2]!,
      stats: parts.slice(3).map((v, i) => num(v, `${parts[2]} diskstats column ${i + 1}`)),
    });
  }
  return out;
}

export function createDiskstatsCollector(config: CollectorsConfig['diskstats'], deps: CollectorDeps): Collector {
  const excluded = excluder(config.device_exclude);
  return {
    name: 'diskstats',
    async collect({ registry, signal }) {
      const disks = parseDiskstats(await readProcFile(deps.paths.procfs, 'diskstats', signal)).filter(
        (d) => !excluded(d.device),
      );
      DISKSTATS_FAMILIES.forEach((family, i) => {
        const present = disks.filter((d) => d.stats[i] !== undefined);
        if (present.length === 0) return;
        const name = `node_disk_${family.name}`;
        if (family.type === 'gauge') {
          const g = gauge(registry, name, family.help, ['device'] as const);
          for (const d of present) g.set({ device: d.device }, d.stats[i]! * family.scale);
        } else {
          const c = counter(registry, name, family.help, ['device'] as const);
          for (const d of present) c.inc({ device: d.device }, d.stats[i]! * family.scale);
        }
      });
    },
  };
}
