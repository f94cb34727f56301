import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configSchema } from '../../../src/config/schema.js';
import { createLoadavgCollector, parseLoadavg } from '../../../src/collectors/host/loadavg.js';
import { collect, silentLogger } from '../../helpers/collect.js';
import { value } from '../../helpers/exposition.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/proc', import.meta.url));
const config = configSchema.parse({}).exporter.collectors.loadavg;
const deps = (procfs: string) => ({ logger: silentLogger, paths: { procfs, sysfs: '/sys', rootfs: '/' } });

t.test('parseLoadavg reads the three averages', async (t) => {
  t.same(parseLoadavg(readFileSync(`${FIXTURE}/loadavg`, 'utf8')), [0.62, 0.28, 0.11]);
  t.throws(() => parseLoadavg('0.1 0.2\n'), /unexpected \/proc\/loadavg/);
  t.throws(() => parseLoadavg('a b c 1/2 3\n'), /invalid load1/);
});

t.test('the collector on a fixture', async (t) => {
  const exp = await collect([createLoadavgCollector(config, deps(FIXTURE))]);
  t.equal(value(exp, 'tocsin_collector_success', { collector: 'loadavg' }), 1);
  t.equal(value(exp, 'node_load1'), 0.62);
  t.equal(value(exp, 'node_load5'), 0.28);
  t.equal(value(exp, 'node_load15'), 0.11);
  t.equal(exp.types.get('node_load1'), 'gauge');
  t.equal(exp.helps.get('node_load15'), '15m load average.');
});

t.test('the collector on this machine', async (t) => {
  const exp = await collect([createLoadavgCollector(config, deps('/proc'))]);
  t.equal(value(exp, 'tocsin_collector_success', { collector: 'loadavg' }), 1);
  for (const name of ['node_load1', 'node_load5', 'node_load15']) {
    const v = value(exp, name);
    t.ok(Number.isFinite(v) && v >= 0, `${name} = ${v}`);
  }
});

t.test('a missing procfs makes the collector fail, not the scrape', async (t) => {
  const exp = await collect([createLoadavgCollector(config, deps('/nonexistent'))]);
  t.equal(value(exp, 'tocsin_collector_success', { collector: 'loadavg' }), 0);
});
