import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configSchema } from '../../../src/config/schema.js';
import { createCpuCollector, keepMonotonic, parseCpuStat, type CpuTimes } from '../../../src/collectors/host/cpu.js';
import { collect, silentLogger } from '../../helpers/collect.js';
import { select, value } from '../../helpers/exposition.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/proc', import.meta.url));
const config = configSchema.parse({}).exporter.collectors.cpu;
const deps = (procfs: string) => ({ logger: silentLogger, paths: { procfs, sysfs: '/sys', rootfs: '/' } });
const MODES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'];

function times(partial: Partial<CpuTimes>): CpuTimes {
  return { user: 0, nice: 0, system: 0, idle: 0, iowait: 0, irq: 0, softirq: 0, steal: 0, guest: 0, guestNice: 0, ...partial };
}

t.test('parseCpuStat reads per-CPU lines in seconds (USER_HZ 100)', async (t) => {
  const stat = parseCpuStat(readFileSync(`${FIXTURE}/stat`, 'utf8'));
  t.same([...stat.keys()], ['0', '1', '3'], 'the aggregate line is left out; an offline CPU leaves a gap');
  t.same(stat.get('0'), times({ user: 20.46, nice: 0.02, system: 8.79, idle: 266.6, iowait: 0.11, irq: 0.01, softirq: 0.13, steal: 0.04, guest: 0.05, guestNice: 0.01 }));
  t.equal(stat.get('3')!.idle, 89.1);
  t.same(parseCpuStat('cpu0 100 0 50 1000\n').get('0'), times({ user: 1, system: 0.5, idle: 10 }), 'old kernels: missing columns are 0');
  t.throws(() => parseCpuStat('intr 1\n'), /no per-CPU lines/);
  t.throws(() => parseCpuStat('cpu0 1 x 3 4\n'), /invalid cpu0 nice/);
});

t.test('keepMonotonic holds counters that go backwards, like node_exporter', async (t) => {
  const before = new Map([['0', times({ idle: 100, iowait: 5, user: 10 })]]);
  const held = keepMonotonic(before, new Map([['0', times({ idle: 101, iowait: 4.5, user: 11 })]]));
  t.same(held.get('0'), times({ idle: 101, iowait: 5, user: 11 }), 'iowait dropping is held at its high');
  const small = keepMonotonic(before, new Map([['0', times({ idle: 98, user: 12 })]]));
  t.equal(small.get('0')!.idle, 100, 'idle dropping by less than 3 s is held');
  const hotplug = keepMonotonic(before, new Map([['0', times({ idle: 20, user: 1 })]]));
  t.same(hotplug.get('0'), times({ idle: 20, user: 1 }), 'idle dropping by 3 s or more: a hotplug, start over');
  const changed = keepMonotonic(before, new Map([['1', times({ idle: 1 })]]));
  t.same(changed.get('1'), times({ idle: 1 }), 'a different set of CPUs starts over');
  t.same(keepMonotonic(undefined, before), before);
});

t.test('the collector on a fixture', async (t) => {
  const exp = await collect([createCpuCollector(config, deps(FIXTURE))]);
  t.equal(value(exp, 'tocsin_collector_success', { collector: 'cpu' }), 1);
  t.equal(exp.types.get('node_cpu_seconds_total'), 'counter');
  t.equal(exp.types.get('node_cpu_guest_seconds_total'), 'counter');
  t.equal(exp.helps.get('node_cpu_seconds_total'), 'Seconds the CPUs spent in each mode.');
  for (const cpu of ['0', '1', '3']) {
    t.same(select(exp, 'node_cpu_seconds_total', { cpu }).map((s) => s.labels.mode).sort(), [...MODES].sort(), `cpu ${cpu} has every mode`);
    t.same(select(exp, 'node_cpu_guest_seconds_total', { cpu }).map((s) => s.labels.mode).sort(), ['nice', 'user']);
  }
  t.equal(select(exp, 'node_cpu_seconds_total', { cpu: '2' }).length, 0, 'no series for the offline CPU');
  t.equal(value(exp, 'node_cpu_seconds_total', { cpu: '1', mode: 'iowait' }), 2.17);
  t.equal(value(exp, 'node_cpu_seconds_total', { cpu: '1', mode: 'steal' }), 0.06);
  t.equal(value(exp, 'node_cpu_guest_seconds_total', { cpu: '0', mode: 'user' }), 0.05);
  t.equal(value(exp, 'node_cpu_guest_seconds_total', { cpu: '1', mode: 'nice' }), 0.01);
  t.equal(value(exp, 'tocsin_host_cpus'), 3);
});

t.test('the collector keeps a backwards iowait at its high across scrapes', async (t) => {
  const dir = t.testdir({ stat: 'cpu0 100 0 100 1000 50 0 0 0 0 0\n' });
  const collector = createCpuCollector(config, deps(dir));
  t.equal(value(await collect([collector]), 'node_cpu_seconds_total', { cpu: '0', mode: 'iowait' }), 0.5);
  writeFileSync(join(dir, 'stat'), 'cpu0 100 0 100 1010 40 0 0 0 0 0\n');
  const exp = await collect([collector]);
  t.equal(value(exp, 'node_cpu_seconds_total', { cpu: '0', mode: 'iowait' }), 0.5);
  t.equal(value(exp, 'node_cpu_seconds_total', { cpu: '0', mode: 'idle' }), 10.1);
});

t.test('the collector on this machine', async (t) => {
  const exp = await collect([createCpuCollector(config, deps('/proc'))]);
  t.equal(value(exp, 'tocsin_collector_success', { collector: 'cpu' }), 1);
  t.equal(value(exp, 'tocsin_host_cpus'), cpus().length);
  t.equal(select(exp, 'node_cpu_seconds_total').length, cpus().length * MODES.length);
  t.ok(value(exp, 'node_cpu_seconds_total', { cpu: '0', mode: 'idle' }) > 0);
});
