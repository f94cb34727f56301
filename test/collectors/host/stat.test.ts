import t from 'tap';
import { readFileSync } from 'node:fs';
import { uptime } from 'node:os';
import { fileURLToPath } from 'node:url';
import { configSchema } from '../../../src/config/schema.js';
import { countPids, createStatCollector, parseKernelStats, parseUptime } from '../../../src/collectors/host/stat.js';
import { collect, silentLogger } from '../../helpers/collect.js';
import { value } from '../../helpers/exposition.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/proc', import.meta.url));
const config = configSchema.parse({}).exporter.collectors.stat;
const deps = (procfs: string) => ({ logger: silentLogger, paths: { procfs, sysfs: '/sys', rootfs: '/' } });

t.test('parseKernelStats', async (t) => {
  t.same(parseKernelStats(readFileSync(`${FIXTURE}/stat`, 'utf8')), {
    bootTime: 1795272780,
    contextSwitches: 628884,
    forks: 4343,
    interrupts: 249203,
    procsRunning: 4,
    procsBlocked: 1,
  });
  t.throws(() => parseKernelStats('cpu0 1 2 3 4\nctxt 1\n'), /no "btime" line/);
  t.throws(() => parseKernelStats('btime x\n'), /invalid \/proc\/stat btime/);
});

t.test('parseUptime and countPids', async (t) => {
  t.equal(parseUptime('297.95 510.98\n'), 297.95);
  t.throws(() => parseUptime(''), /invalid \/proc\/uptime/);
  t.equal(countPids(['1', '42', 'self', 'net', '4242', 'thread-self', '1a']), 3);
});

t.test('the collector on a fixture', async (t) => {
  const exp = await collect([createStatCollector(config, deps(FIXTURE))]);
  t.equal(value(exp, 'tocsin_collector_success', { collector: 'stat' }), 1);
  t.equal(value(exp, 'node_boot_time_seconds'), 1795272780);
  t.equal(value(exp, 'node_context_switches_total'), 628884);
  t.equal(value(exp, 'node_forks_total'), 4343);
  t.equal(value(exp, 'node_intr_total'), 249203);
  t.equal(value(exp, 'node_procs_running'), 4);
  t.equal(value(exp, 'node_procs_blocked'), 1);
  t.equal(value(exp, 'node_processes_pids'), 3, 'the fixture has /proc/1, /proc/42 and /proc/4242');
  t.equal(value(exp, 'tocsin_host_uptime_seconds'), 297.95);
  t.equal(exp.types.get('node_boot_time_seconds'), 'gauge');
  t.equal(exp.types.get('node_forks_total'), 'counter');
  t.equal(exp.types.get('node_processes_pids'), 'gauge');
  t.equal(exp.helps.get('node_intr_total'), 'Total number of interrupts serviced.');
});

t.test('the collector on this machine', async (t) => {
  const exp = await collect([createStatCollector(config, deps('/proc'))]);
  t.equal(value(exp, 'tocsin_collector_success', { collector: 'stat' }), 1);
  const bootFromUptime = Date.now() / 1000 - uptime();
  t.ok(Math.abs(value(exp, 'node_boot_time_seconds') - bootFromUptime) <= 2, 'boot time agrees with os.uptime()');
  t.ok(Math.abs(value(exp, 'tocsin_host_uptime_seconds') - uptime()) <= 2, 'uptime agrees with os.uptime()');
  t.ok(value(exp, 'node_processes_pids') >= 2, 'at least init and this test');
  t.ok(value(exp, 'node_procs_running') >= 1, 'this test is running');
  t.ok(value(exp, 'node_forks_total') > 0);
});
