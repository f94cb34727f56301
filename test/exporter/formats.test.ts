// Both exposition formats from one collection: Prometheus asks for OpenMetrics while
// curl, a federating Prometheus or an older scraper asks for the text format, often at
// the same moment. Neither format may cost the other its collectors or its names.
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { counter, gauge, type Collector } from '../../src/collectors/collector.js';
import { buildExporterApp } from '../../src/exporter/app.js';
import { OPENMETRICS, PROMETHEUS_TEXT, Scraper } from '../../src/exporter/scrape.js';
import { createSelfRegistry } from '../../src/telemetry/self-metrics.js';
import { parseExposition, select, value } from '../helpers/exposition.js';
import { silentLogger } from '../helpers/collect.js';
import { promtoolCheckMetrics } from '../helpers/promtool.js';

// The Accept header Prometheus 2.42 sends.
const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

/** A collector that takes `delayMs` and writes one gauge and one counter of its own. */
function slowCollector(name: string, delayMs: number): Collector & { calls: number } {
  const c = {
    name,
    calls: 0,
    async collect({ registry }: Parameters<Collector['collect']>[0]) {
      c.calls++;
      await sleep(delayMs);
      gauge(registry, `tocsin_test_${name}_value`, 'A test value.').set(7);
      counter(registry, `tocsin_test_${name}_events_total`, 'A test counter.').inc(3);
    },
  };
  return c;
}

function appWith(collectors: Collector[]) {
  const scraper = new Scraper({ collectors, logger: silentLogger, selfRegistry: createSelfRegistry() });
  return buildExporterApp({ scraper, logger: silentLogger, telemetryPath: '/metrics', defaultTimeout: 5 });
}

t.test('OpenMetrics and text scrapes at the same time: every collector in both', async (t) => {
  const collectors = [slowCollector('a', 30), slowCollector('b', 10), slowCollector('c', 0)];
  const app = appWith(collectors);
  t.teardown(() => app.close());
  const ROUNDS = 25;
  let scrapes = 0;
  for (let round = 0; round < ROUNDS; round++) {
    // Two of each format per round, started together; the order alternates between rounds.
    const accepts = round % 2 ? [PROMETHEUS_ACCEPT, 'text/plain', PROMETHEUS_ACCEPT, ''] : ['', PROMETHEUS_ACCEPT, 'text/plain', PROMETHEUS_ACCEPT];
    const responses = await Promise.all(accepts.map((accept) => app.inject({ url: '/metrics', headers: accept ? { accept } : {} })));
    for (const [i, res] of responses.entries()) {
      scrapes++;
      const openMetrics = accepts[i] === PROMETHEUS_ACCEPT;
      t.equal(res.headers['content-type'], openMetrics ? OPENMETRICS : PROMETHEUS_TEXT);
      const exp = parseExposition(res.body);
      for (const c of collectors) {
        const ok = select(exp, 'tocsin_collector_success', { collector: c.name })[0]?.value;
        if (ok !== 1) t.fail(`round ${round}, ${openMetrics ? 'OpenMetrics' : 'text'}: collector ${c.name} success ${ok}`);
        if (select(exp, `tocsin_test_${c.name}_value`).length !== 1) t.fail(`round ${round}: ${c.name}'s series missing`);
        if (select(exp, `tocsin_test_${c.name}_events_total`)[0]?.value !== 3) t.fail(`round ${round}: ${c.name}'s counter wrong`);
      }
    }
  }
  t.equal(scrapes, ROUNDS * 4);
  t.ok(collectors[0]!.calls <= ROUNDS * 2, `collections are shared across formats (${collectors[0]!.calls} for ${scrapes} scrapes)`);
});

t.test('one collection serves both formats', async (t) => {
  const c = slowCollector('shared', 100);
  const app = appWith([c]);
  t.teardown(() => app.close());
  const [text, om] = await Promise.all([
    app.inject('/metrics'),
    app.inject({ url: '/metrics', headers: { accept: PROMETHEUS_ACCEPT } }),
  ]);
  t.equal(c.calls, 1, 'collected once');
  t.equal(value(parseExposition(text.body), 'tocsin_collector_success', { collector: 'shared' }), 1);
  t.equal(value(parseExposition(om.body), 'tocsin_collector_success', { collector: 'shared' }), 1);
});

/** The TYPE line's family name and the sample names of a counter, as served. */
function counterNames(body: string, family: RegExp) {
  const exp = parseExposition(body);
  return {
    typed: [...exp.types].filter(([name, type]) => family.test(name) && type === 'counter').map(([name]) => name),
    samples: exp.samples.filter((s) => family.test(s.name)).map((s) => s.name),
  };
}

t.test('counters keep _total in the text format whatever was served before', async (t) => {
  const app = appWith([slowCollector('a', 20)]);
  t.teardown(() => app.close());
  const text = () => app.inject('/metrics');
  const om = () => app.inject({ url: '/metrics', headers: { accept: PROMETHEUS_ACCEPT } });
  const cpu = /^process_cpu_seconds/;
  const events = /^tocsin_test_a_events/;

  // Alternating formats, one at a time and concurrently (one collection rendered twice).
  const sequence: Array<Array<'text' | 'om'>> = [['text'], ['om'], ['text'], ['om', 'text'], ['text', 'om'], ['text']];
  for (const step of sequence) {
    const bodies = await Promise.all(step.map((f) => (f === 'om' ? om() : text()).then((r) => ({ f, body: r.body }))));
    for (const { f, body } of bodies) {
      for (const family of [cpu, events]) {
        const names = counterNames(body, family);
        if (f === 'text') {
          t.match(names.typed, [/_total$/], `text after ${JSON.stringify(sequence.slice(0, sequence.indexOf(step)))}: TYPE ${names.typed}`);
          t.ok(names.samples.length > 0 && names.samples.every((n) => n.endsWith('_total')), `text samples ${names.samples}`);
        } else {
          t.ok(names.typed.length === 1 && !names.typed[0]!.endsWith('_total'), `OpenMetrics family without _total: ${names.typed}`);
          t.ok(names.samples.length > 0 && names.samples.every((n) => n.endsWith('_total')), `OpenMetrics samples ${names.samples}`);
        }
      }
    }
  }

  // And promtool, which reads the text format, has nothing to say about the exporter's own series.
  await om();
  const check = promtoolCheckMetrics((await text()).body);
  t.same(check.unexpected, [], 'promtool check metrics is clean after an OpenMetrics scrape');
});
