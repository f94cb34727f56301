import t from 'tap';
import type { Collector } from '../src/collectors/collector.js';
import { gauge } from '../src/collectors/collector.js';
import { collect } from './helpers/collect.js';
import { value } from './helpers/exposition.js';

const ok: Collector = {
  name: 'ok',
  async collect({ registry }) {
    gauge(registry, 'tocsin_test_value', 'A test value.').set(42);
  },
};
const throws: Collector = {
  name: 'throws',
  async collect({ registry }) {
    gauge(registry, 'tocsin_test_partial', 'Written before the failure.').set(1);
    throw new Error('boom');
  },
};

t.test('a throwing collector reports success 0 and the others are served', async (t) => {
  const exp = await collect([ok, throws]);
  t.equal(value(exp, 'tocsin_test_value'), 42);
  t.equal(value(exp, 'tocsin_collector_success', { collector: 'ok' }), 1);
  t.equal(value(exp, 'tocsin_collector_success', { collector: 'throws' }), 0);
  t.equal(exp.samples.filter((s) => s.name === 'tocsin_test_partial').length, 0, 'partial output is dropped');
});
