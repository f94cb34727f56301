import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { gauge, type Collector } from '../../src/collectors/collector.js';
import { buildExporterApp, negotiate, scrapeTimeout } from '../../src/exporter/app.js';
import { OPENMETRICS, PROMETHEUS_TEXT, Scraper } from '../../src/exporter/scrape.js';
import { createSelfRegistry } from '../../src/telemetry/self-metrics.js';
import { parseExposition, value } from '../helpers/exposition.js';
import { silentLogger } from '../helpers/collect.js';

function appWith(collectors: Collector[], defaultTimeout = 5) {
  const scraper = new Scraper({ collectors, logger: silentLogger, selfRegistry: createSelfRegistry() });
  return buildExporterApp({ scraper, logger: silentLogger, telemetryPath: '/metrics', defaultTimeout });
}

function counting(name: string, delayMs = 0): Collector & { calls: number } {
  const c = {
    name,
    calls: 0,
    async collect({ registry }: Parameters<Collector['collect']>[0]) {
      c.calls++;
      if (delayMs) await sleep(delayMs);
      gauge(registry, `tocsin_test_${name}`, 'A test value.').set(c.calls);
    },
  };
  return c;
}

t.test('/metrics serves the text format with collector status and build info', async (t) => {
  const app = appWith([counting('a')]);
  t.teardown(() => app.close());
  const res = await app.inject('/metrics');
  t.equal(res.statusCode, 200);
  t.equal(res.headers['content-type'], PROMETHEUS_TEXT);
  const exp = parseExposition(res.body);
  t.equal(value(exp, 'tocsin_test_a'), 1);
  t.equal(value(exp, 'tocsin_collector_success', { collector: 'a' }), 1);
  t.ok(value(exp, 'tocsin_collector_duration_seconds', { collector: 'a' }) >= 0);
  t.equal(exp.samples.filter((s) => s.name === 'tocsin_build_info').length, 1);
  t.ok(exp.samples.some((s) => s.name === 'process_resident_memory_bytes'), 'process_* self metrics');
});

t.test('OpenMetrics by content negotiation', async (t) => {
  const app = appWith([counting('a')]);
  t.teardown(() => app.close());
  // The Accept header Prometheus 2.42 sends.
  const accept =
    'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
  const res = await app.inject({ url: '/metrics', headers: { accept } });
  t.equal(res.headers['content-type'], OPENMETRICS);
  t.match(res.body, /# EOF\n?$/);
  t.equal(negotiate('text/plain'), PROMETHEUS_TEXT);
  t.equal(negotiate('application/openmetrics-text;q=0'), PROMETHEUS_TEXT);
  t.equal(negotiate(undefined), PROMETHEUS_TEXT);
});

t.test('the scrape timeout header bounds collection; slow collectors report 0', async (t) => {
  const slow = counting('slow', 3000);
  const fast = counting('fast');
  const app = appWith([slow, fast]);
  t.teardown(() => app.close());
  const started = Date.now();
  const res = await app.inject({ url: '/metrics', headers: { 'x-prometheus-scrape-timeout-seconds': '1.5' } });
  const took = Date.now() - started;
  t.equal(res.statusCode, 200);
  const exp = parseExposition(res.body);
  t.equal(value(exp, 'tocsin_collector_success', { collector: 'slow' }), 0);
  t.equal(value(exp, 'tocsin_collector_success', { collector: 'fast' }), 1);
  t.ok(took < 2900, `answered before the slow collector finished (${took} ms)`);

  // The slow collector is still running: the next scrape must not start it a second time.
  const again = parseExposition((await app.inject({ url: '/metrics', headers: { 'x-prometheus-scrape-timeout-seconds': '1' } })).body);
  t.equal(value(again, 'tocsin_collector_success', { collector: 'slow' }), 0);
  t.equal(slow.calls, 1, 'a hanging collector is not stacked');
});

t.test('scrapeTimeout: header minus offset, capped by the default', async (t) => {
  t.equal(scrapeTimeout('10', 5), 5);
  t.equal(scrapeTimeout('3', 10), 2.5);
  t.equal(scrapeTimeout('0.2', 10), 0.5);
  t.equal(scrapeTimeout('junk', 7), 7);
  t.equal(scrapeTimeout(undefined, 7), 7);
});

t.test('concurrent scrapes share one collection', async (t) => {
  const c = counting('shared', 200);
  const app = appWith([c]);
  t.teardown(() => app.close());
  const [a, b] = await Promise.all([app.inject('/metrics'), app.inject('/metrics')]);
  t.equal(c.calls, 1);
  t.equal(a.body, b.body);
  await app.inject('/metrics');
  t.equal(c.calls, 2, 'a later scrape collects again');
});

t.test('health, readiness and landing page', async (t) => {
  const app = appWith([]);
  t.teardown(() => app.close());
  t.equal((await app.inject('/-/healthy')).statusCode, 200);
  t.equal((await app.inject('/-/ready')).statusCode, 200);
  const landing = await app.inject('/');
  t.equal(landing.statusCode, 200);
  t.match(landing.headers['content-type'], /text\/html/);
  t.match(landing.body, /href="metrics"/);
  t.equal((await app.inject('/nope')).statusCode, 404);
});
