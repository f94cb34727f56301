// A scrape with more collectors than Node's default of 10 listeners per AbortSignal: every
// collector waits on the scrape's one deadline signal, and with 11 (the default collectors and
// the probes) Node printed "MaxListenersExceededWarning: Possible EventTarget memory leak" on
// every scrape, a false alarm in the exporter's log.
import t from 'tap';
import type { Collector } from '../../src/collectors/collector.js';
import { gauge } from '../../src/collectors/collector.js';
import { Scraper } from '../../src/exporter/scrape.js';
import { silentLogger } from '../helpers/collect.js';

t.test('twenty collectors in one scrape: no listener-leak warning', async (t) => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
  process.on('warning', onWarning);
  t.teardown(() => void process.off('warning', onWarning));
  const collectors: Collector[] = Array.from({ length: 20 }, (_, i) => ({
    name: `c${i}`,
    async collect({ registry }) {
      // Still running when the others register: every one of them listens at once.
      await new Promise((resolve) => setTimeout(resolve, 20));
      gauge(registry, `demo_${i}`, 'A demo value.').set(i);
    },
  }));
  const scraper = new Scraper({ collectors, logger: silentLogger });
  for (let i = 0; i < 3; i++) {
    const body = await scraper.scrape(10);
    t.ok(body.includes('demo_19 19'), `scrape ${i + 1} has every collector's series`);
  }
  // Warnings are emitted on the next tick.
  await new Promise((resolve) => setImmediate(resolve));
  t.same(warnings.filter((w) => w.includes('MaxListeners')), [], 'no MaxListenersExceededWarning');
});
