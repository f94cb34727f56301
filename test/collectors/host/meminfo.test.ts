import t from 'tap';
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { configSchema } from '../../../src/config/schema.js';
import { createMeminfoCollector, parseMeminfo } from '../../../src/collectors/host/meminfo.js';
import { collect, silentLogger } from '../../helpers/collect.js';
import { value } from '../../helpers/exposition.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/proc', import.meta.url));
const config = configSchema.parse({}).exporter.collectors.meminfo;
const deps = (procfs: string) => ({ logger: silentLogger, paths: { procfs, sysfs: '/sys', rootfs: '/' } });

t.test('parseMeminfo names fields like node_exporter', async (t) => {
  const info = parseMeminfo(readFileSync(`${FIXTURE}/meminfo`, 'utf8'));
  t.equal(info.get('MemTotal_bytes'), 24684096 * 1024);
  t.equal(info.get('Active_anon_bytes'), 1524 * 1024, 'Active(anon) -> Active_anon');
  t.equal(info.get('Inactive_file_bytes'), 207748 * 1024);
  t.equal(info.get('HugePages_Total'), 64, 'a count: no unit, no _bytes');
  t.equal(info.get('HugePages_Rsvd'), 2);
  t.equal(info.get('Hugepagesize_bytes'), 2048 * 1024);
  t.equal(info.get('VmallocTotal_bytes'), 34359738367 * 1024);
  t.equal(info.size, 46, 'every line but the blank one');
  t.throws(() => parseMeminfo('MemTotal: 1 kB extra\n'), /invalid line in meminfo/);
  t.throws(() => parseMeminfo('MemTotal: many kB\n'), /invalid meminfo value/);
});

t.test('the collector on a fixture', async (t) => {
  const exp = await collect([createMeminfoCollector(config, deps(FIXTURE))]);
  t.equal(value(exp, 'tocsin_collector_success', { collector: 'meminfo' }), 1);
  t.equal(value(exp, 'node_memory_MemAvailable_bytes'), 24323384 * 1024);
  t.equal(value(exp, 'node_memory_Active_file_bytes'), 132980 * 1024);
  t.equal(value(exp, 'node_memory_HugePages_Free'), 60);
  t.equal(exp.types.get('node_memory_HugePages_Total'), 'gauge');
  t.equal(exp.helps.get('node_memory_MemTotal_bytes'), 'Memory information field MemTotal_bytes.');
  t.equal(exp.samples.filter((s) => s.name.startsWith('node_memory_')).length, 46);
});

t.test('a field whose name Prometheus forbids is skipped, the rest served', async (t) => {
  const dir = t.testdir({ meminfo: 'MemTotal:  100 kB\nWeird-Field:  5 kB\nFoo_total:  7\n' });
  const exp = await collect([createMeminfoCollector(config, deps(dir))]);
  t.equal(value(exp, 'tocsin_collector_success', { collector: 'meminfo' }), 1);
  t.equal(value(exp, 'node_memory_MemTotal_bytes'), 102400);
  t.equal(exp.samples.filter((s) => s.name.includes('Weird')).length, 0);
  t.equal(exp.types.get('node_memory_Foo_total'), 'counter', 'node_exporter: *_total fields are counters');
  t.equal(value(exp, 'node_memory_Foo_total'), 7);
});

t.test('the collector on this machine', async (t) => {
  const exp = await collect([createMeminfoCollector(config, deps('/proc'))]);
  t.equal(value(exp, 'tocsin_collector_success', { collector: 'meminfo' }), 1);
  t.equal(value(exp, 'node_memory_MemTotal_bytes'), totalmem(), 'MemTotal is what sysinfo(2) reports');
  t.ok(value(exp, 'node_memory_MemAvailable_bytes') > 0);
});
