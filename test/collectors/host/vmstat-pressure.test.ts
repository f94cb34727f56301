import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configSchema } from '../../../src/config/schema.js';
import { createPressureCollector, parsePressure } from '../../../src/collectors/host/pressure.js';
import { createVmstatCollector, parseVmstat } from '../../../src/collectors/host/vmstat.js';
import { collect, silentLogger } from '../../helpers/collect.js';
import { value } from '../../helpers/exposition.js';
import { tmpDir } from '../../helpers/tmp.js';

const defaults = configSchema.parse({}).exporter.collectors;

t.test('parseVmstat keeps the fields the pattern selects', async (t) => {
  const text = 'nr_free_pages 1000\npgpgin 5\npgfault 70\npgmajfault 3\noom_kill 2\nnr_dirty 9\n';
  t.same([...parseVmstat(text, new RegExp(defaults.vmstat.fields))], [
    ['pgpgin', 5],
    ['pgfault', 70],
    ['pgmajfault', 3],
    ['oom_kill', 2],
  ]);
  t.throws(() => parseVmstat('oom_kill x\n', /oom/), /invalid/);
});

t.test('parsePressure reads the some/full totals in seconds', async (t) => {
  const p = parsePressure('some avg10=0.00 avg60=0.00 avg300=0.00 total=618631\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=127033\n');
  t.equal(p.some, 618631 / 1000 / 1000);
  t.equal(p.full, 127033 / 1000 / 1000);
  t.equal(parsePressure('some avg10=1.00 avg60=0.00 avg300=0.00 total=5\n').full, undefined, 'cpu has no full line on older kernels');
  t.throws(() => parsePressure('garbage'));
});

t.test('collectors on a fixture tree, and a kernel without PSI', async (t) => {
  const procfs = tmpDir(t, 'tocsin-proc-');
  writeFileSync(join(procfs, 'vmstat'), 'oom_kill 7\npswpin 1\n');
  const deps = { logger: silentLogger, paths: { procfs, sysfs: '/sys', rootfs: '/' } };
  let exp = await collect([createVmstatCollector(defaults.vmstat, deps), createPressureCollector(defaults.pressure, deps)]);
  t.equal(value(exp, 'node_vmstat_oom_kill'), 7);
  t.equal(value(exp, 'tocsin_collector_success', { collector: 'pressure' }), 1, 'no /proc/pressure is no data, not a failure');
  t.equal(exp.samples.filter((s) => s.name.startsWith('node_pressure_')).length, 0);

  mkdirSync(join(procfs, 'pressure'));
  for (const r of ['cpu', 'io', 'memory']) writeFileSync(join(procfs, 'pressure', r), 'some avg10=0.00 avg60=0.00 avg300=0.00 total=2000000\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=1000000\n');
  exp = await collect([createPressureCollector(defaults.pressure, deps)]);
  t.equal(value(exp, 'node_pressure_memory_waiting_seconds_total'), 2);
  t.equal(value(exp, 'node_pressure_io_stalled_seconds_total'), 1);
});
