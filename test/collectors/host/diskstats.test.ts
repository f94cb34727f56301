import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_DISKSTATS_DEVICE_EXCLUDE, configSchema } from '../../../src/config/schema.js';
import { DISKSTATS_FAMILIES, createDiskstatsCollector, parseDiskstats } from '../../../src/collectors/host/diskstats.js';
import { collect, silentLogger } from '../../helpers/collect.js';
import { select, value } from '../../helpers/exposition.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/proc', import.meta.url));
const defaults = configSchema.parse({}).exporter.collectors.diskstats;
const deps = (procfs: string) => ({ logger: silentLogger, paths: { procfs, sysfs: '/sys', rootfs: '/' } });
const devices = (exp: Awaited<ReturnType<typeof collect>>, name: string) =>
  select(exp, name).map((s) => s.labels.device).sort();

t.test('parseDiskstats', async (t) => {
  const disks = parseDiskstats(readFileSync(`${FIXTURE}/diskstats`, 'utf8'));
  t.same(disks.map((d) => d.device), ['loop0', 'sda', 'sda1', 'vda', 'nvme0n1', 'nvme0n1p1', 'zram0']);
  const sda = disks.find((d) => d.device === 'sda')!;
  t.same([sda.major, sda.minor, sda.stats.length], [8, 0, 11], 'a pre-4.18 line has 11 columns');
  t.equal(disks.find((d) => d.device === 'vda')!.stats.length, 15, 'a 4.18-5.4 line adds the discard columns');
  t.equal(disks.find((d) => d.device === 'nvme0n1')!.stats.length, 17, 'a 5.5+ line adds the flush columns');
  t.same(parseDiskstats('   8 1 sda1 250 2000 0 0\n'), [], '2.6-era four-column partition lines are skipped');
  t.throws(() => parseDiskstats(' 8 0 sda 1 2 3 4 5 6 7 8 9 10 x\n'), /sda diskstats column 11/);
});

t.test('the collector on a fixture, with the default device_exclude', async (t) => {
  t.equal(defaults.device_exclude, DEFAULT_DISKSTATS_DEVICE_EXCLUDE);
  const exp = await collect([createDiskstatsCollector(defaults, deps(FIXTURE))]);
  t.equal(value(exp, 'tocsin_collector_success', { collector: 'diskstats' }), 1);
  t.same(devices(exp, 'node_disk_reads_completed_total'), ['nvme0n1', 'sda', 'vda', 'zram0'], 'loop, partitions excluded');
  t.same(devices(exp, 'node_disk_discards_completed_total'), ['nvme0n1', 'vda', 'zram0'], 'discards only where the kernel has them');
  t.same(devices(exp, 'node_disk_flush_requests_total'), ['nvme0n1', 'zram0']);

  t.equal(value(exp, 'node_disk_reads_completed_total', { device: 'sda' }), 25354637);
  t.equal(value(exp, 'node_disk_reads_merged_total', { device: 'sda' }), 34367663);
  t.equal(value(exp, 'node_disk_read_bytes_total', { device: 'sda' }), 1003346126 * 512, '512-byte sectors');
  t.equal(value(exp, 'node_disk_read_time_seconds_total', { device: 'sda' }), 18492372 * 0.001);
  t.equal(value(exp, 'node_disk_writes_completed_total', { device: 'sda' }), 28444756);
  t.equal(value(exp, 'node_disk_writes_merged_total', { device: 'sda' }), 11134226);
  t.equal(value(exp, 'node_disk_written_bytes_total', { device: 'sda' }), 505697032 * 512);
  t.equal(value(exp, 'node_disk_write_time_seconds_total', { device: 'sda' }), 63877960 * 0.001);
  t.equal(value(exp, 'node_disk_io_now', { device: 'vda' }), 2);
  t.equal(value(exp, 'node_disk_io_time_seconds_total', { device: 'sda' }), 9653880 * 0.001);
  t.equal(value(exp, 'node_disk_io_time_weighted_seconds_total', { device: 'sda' }), 82621804 * 0.001);
  t.equal(value(exp, 'node_disk_discards_completed_total', { device: 'vda' }), 3539);
  t.equal(value(exp, 'node_disk_discards_merged_total', { device: 'vda' }), 48);
  t.equal(value(exp, 'node_disk_discarded_sectors_total', { device: 'vda' }), 79624, 'kept in sectors, as the name says');
  t.equal(value(exp, 'node_disk_discard_time_seconds_total', { device: 'vda' }), 195 * 0.001);
  t.equal(value(exp, 'node_disk_flush_requests_total', { device: 'nvme0n1' }), 21340);
  t.equal(value(exp, 'node_disk_flush_requests_time_seconds_total', { device: 'nvme0n1' }), 3512 * 0.001);

  for (const f of DISKSTATS_FAMILIES) {
    t.equal(exp.types.get(`node_disk_${f.name}`), f.name === 'io_now' ? 'gauge' : 'counter', f.name);
  }
  t.equal(exp.helps.get('node_disk_flush_requests_total'), 'The total number of flush requests completed successfully');
});

t.test('device_exclude from config', async (t) => {
  const config = configSchema.parse({ exporter: { collectors: { diskstats: { device_exclude: '^(loop|zram)\\d+$' } } } }).exporter.collectors.diskstats;
  const exp = await collect([createDiskstatsCollector(config, deps(FIXTURE))]);
  t.same(devices(exp, 'node_disk_reads_completed_total'), ['nvme0n1', 'nvme0n1p1', 'sda', 'sda1', 'vda']);
});

t.test('the collector on this machine', async (t) => {
  const exp = await collect([createDiskstatsCollector(defaults, deps('/proc'))]);
  t.equal(value(exp, 'tocsin_collector_success', { collector: 'diskstats' }), 1);
  const exclude = new RegExp(DEFAULT_DISKSTATS_DEVICE_EXCLUDE);
  const expected = parseDiskstats(readFileSync('/proc/diskstats', 'utf8'))
    .map((d) => d.device)
    .filter((d) => !exclude.test(d))
    .sort();
  t.same(devices(exp, 'node_disk_reads_completed_total'), expected);
});
