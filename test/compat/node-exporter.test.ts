// Tocsin's host collectors against the real node_exporter 1.5 on the same machine: for every
// node_* family Tocsin serves, the same TYPE, HELP, label names and label sets, and values
// that agree. node_exporter is scraped just before and just after Tocsin collects, so a
// counter must lie between its two readings, and a gauge near them.
import tap from 'tap';
import { cpus } from 'node:os';
import { DEFAULT_DISKSTATS_DEVICE_EXCLUDE, DEFAULT_FS_TYPES_EXCLUDE, DEFAULT_MOUNT_POINTS_EXCLUDE } from '../../src/config/schema.js';
import { collect } from '../helpers/collect.js';
import { byLabels, findExporter, labelNamesOf, scrape, startExporter } from '../helpers/exporter-binary.js';
import { labelKey, type Exposition, type Sample } from '../helpers/exposition.js';
import { HOST_COLLECTORS, hostCollectors } from '../helpers/host-collectors.js';

const MISSING = 'prometheus-node-exporter not found: apt-get install -y prometheus-node-exporter';
const MiB = 1024 * 1024;

// node_exporter families from the enabled collectors that Tocsin does not serve: udev-based
// disk info, the per-state part of the processes collector (it reads every /proc/<pid>/stat),
// thermal throttle counters (sysfs, physical hardware only), and node_exporter's own scrape
// and build series.
const NODE_EXPORTER_ONLY = new Set([
  'node_disk_info',
  'node_processes_max_processes',
  'node_processes_max_threads',
  'node_processes_state',
  'node_processes_threads',
  'node_processes_threads_state',
  'node_cpu_core_throttles_total',
  'node_cpu_package_throttles_total',
  'node_scrape_collector_duration_seconds',
  'node_scrape_collector_success',
  'node_exporter_build_info',
]);

/** node_exporter configured like Tocsin's defaults (see each flag). */
function nodeExporterArgs(port: number): string[] {
  return [
    `--web.listen-address=127.0.0.1:${port}`,
    '--path.procfs=/proc',
    '--path.sysfs=/sys',
    '--path.rootfs=/',
    '--collector.disable-defaults',
    // Each of Tocsin's host collectors is named like its node_exporter counterpart (one with no
    // counterpart would stop node_exporter starting: an unknown flag).
    ...HOST_COLLECTORS.map((name) => `--collector.${name}`),
    '--collector.cpu.guest',
    // node_processes_pids comes from here.
    '--collector.processes',
    // Debian's build changes the upstream default (it adds /run, /mnt, /media); Tocsin keeps upstream's.
    `--collector.filesystem.mount-points-exclude=${DEFAULT_MOUNT_POINTS_EXCLUDE}`,
    `--collector.filesystem.fs-types-exclude=${DEFAULT_FS_TYPES_EXCLUDE}`,
    `--collector.diskstats.device-exclude=${DEFAULT_DISKSTATS_DEVICE_EXCLUDE}`,
    // Debian's build excludes lo by default; upstream and Tocsin exclude nothing.
    '--collector.netdev.device-exclude=',
    // 1.5 reads interface statistics over netlink by default (which adds
    // node_network_receive_nohandler_total); Tocsin reads /proc/net/dev, node_exporter's other mode.
    '--no-collector.netdev.netlink',
  ];
}

/** How far outside node_exporter's two readings Tocsin's value may lie. */
function tolerance(family: string, reference: number): number {
  const n = cpus().length;
  const rel = (share: number, floor: number) => Math.max(floor, share * Math.abs(reference));
  // Per-CPU idle and iowait can step backwards; each exporter holds them at its own high.
  if (family.startsWith('node_cpu_')) return 0.1;
  if (family.startsWith('node_memory_')) return family.endsWith('_bytes') ? rel(0.02, 16 * MiB) : rel(0.02, 2);
  if (family.startsWith('node_load')) return 0.05;
  if (family === 'node_boot_time_seconds') return 1;
  if (family === 'node_filesystem_free_bytes' || family === 'node_filesystem_avail_bytes') return 64 * MiB;
  if (family === 'node_filesystem_files_free') return 5_000;
  if (family === 'node_procs_running') return 2 * n + 8;
  if (family === 'node_procs_blocked') return 8;
  if (family === 'node_processes_pids') return rel(0.05, 20);
  if (family === 'node_disk_io_now') return 32;
  // Counters read between node_exporter's two reads, and fixed figures (sizes, flags): exact.
  return 0;
}

const labelSetsOf = (samples: readonly Sample[]) => samples.map((s) => labelKey(s.labels)).sort();
const samplesOf = (exp: Exposition, family: string) => exp.samples.filter((s) => s.name === family);

tap.test('Tocsin host collectors agree with prometheus-node-exporter 1.5', async (t) => {
  const bin = findExporter('prometheus-node-exporter');
  if (bin === undefined) {
    t.fail(MISSING);
    return;
  }
  const ne = await startExporter(t, 'node_exporter', bin, nodeExporterArgs);

  const collectors = hostCollectors();
  const before = await scrape(ne.url);
  const tocsin = await collect(collectors);
  const after = await scrape(ne.url);

  for (const name of HOST_COLLECTORS) {
    const ok = tocsin.samples.find((s) => s.name === 'tocsin_collector_success' && s.labels.collector === name)?.value;
    t.equal(ok, 1, `Tocsin's ${name} collector succeeded`);
  }

  const families = [...tocsin.types.keys()].filter((f) => f.startsWith('node_')).sort();
  t.ok(families.length >= 60, `Tocsin serves ${families.length} node_* families`);

  for (const family of families) {
    t.test(family, async (t) => {
      // node_exporter serves vmstat untyped; prom-client has no untyped type (see vmstat.ts).
      const theirType = before.types.get(family) === 'untyped' && family.startsWith('node_vmstat_') ? 'gauge' : before.types.get(family);
      t.equal(tocsin.types.get(family), theirType, 'same TYPE (untyped vmstat served as gauge)');
      t.equal(tocsin.helps.get(family), before.helps.get(family), 'same HELP');
      const mine = samplesOf(tocsin, family);
      const first = samplesOf(before, family);
      const second = samplesOf(after, family);
      t.same(labelNamesOf(mine), labelNamesOf(first), 'same label names');
      const sets = labelSetsOf(mine);
      const sameSets = JSON.stringify(sets) === JSON.stringify(labelSetsOf(first)) || JSON.stringify(sets) === JSON.stringify(labelSetsOf(second));
      if (!sameSets) t.same(sets, labelSetsOf(first), 'same label sets (as in either node_exporter scrape)');
      else t.pass('same label sets');

      const a = byLabels(first);
      const b = byLabels(second);
      for (const s of mine) {
        const key = labelKey(s.labels);
        const x = a.get(key);
        const y = b.get(key);
        if (x === undefined || y === undefined) continue; // a device that came or went; reported above
        const lo = Math.min(x, y);
        const hi = Math.max(x, y);
        const tol = tolerance(family, hi);
        t.ok(
          s.value >= lo - tol && s.value <= hi + tol,
          `${family}{${key}}: Tocsin ${s.value}, node_exporter ${x} then ${y} (allowance ${tol})`,
        );
      }
    });
  }

  t.test('node_exporter serves no other node_* family from these collectors', async (t) => {
    const theirs = [...before.types.keys()].filter((f) => f.startsWith('node_'));
    const missing = theirs.filter((f) => !tocsin.types.has(f) && !NODE_EXPORTER_ONLY.has(f)).sort();
    t.same(missing, [], 'every other family node_exporter serves, Tocsin serves too');
  });
});
