// The exposition renderer against the formats' own rules (Prometheus text format 0.0.4,
// OpenMetrics 1.0), written out by hand here, and against promtool, which parses the text.
import t from 'tap';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import {
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_TEXT_CONTENT_TYPE,
  renderExposition,
  type Family,
} from '../../src/exporter/exposition.js';
import { promtoolCheckMetrics } from '../helpers/promtool.js';

async function families(): Promise<Family[]> {
  const registry = new Registry();
  new Counter({ name: 'demo_requests_total', help: 'Requests.\nSecond line with \\ backslash.', labelNames: ['path'], registers: [registry] }).inc(
    { path: 'a"b\\c\nd' },
    3,
  );
  const g = new Gauge({ name: 'demo_temperature_celsius', help: 'Temperature.', labelNames: ['room'], registers: [registry] });
  g.set({ room: 'nan' }, NaN);
  g.set({ room: 'hot' }, Infinity);
  g.set({ room: 'cold' }, -Infinity);
  g.set({ room: 'small' }, 1.5e-7);
  const h = new Histogram({ name: 'demo_seconds', help: 'Durations.', labelNames: ['kind'], buckets: [0.1, 1], registers: [registry] });
  h.observe({ kind: 'x' }, 0.5);
  return Promise.all(registry.getMetricsAsArray().map((m) => (m as unknown as { get(): Promise<Family> }).get()));
}

t.test('text format 0.0.4', async (t) => {
  const text = renderExposition(await families(), PROMETHEUS_TEXT_CONTENT_TYPE);
  t.equal(
    text,
    [
      '# HELP demo_requests_total Requests.\\nSecond line with \\\\ backslash.',
      '# TYPE demo_requests_total counter',
      'demo_requests_total{path="a\\"b\\\\c\\nd"} 3',
      '# HELP demo_temperature_celsius Temperature.',
      '# TYPE demo_temperature_celsius gauge',
      'demo_temperature_celsius{room="nan"} NaN',
      'demo_temperature_celsius{room="hot"} +Inf',
      'demo_temperature_celsius{room="cold"} -Inf',
      'demo_temperature_celsius{room="small"} 1.5e-7',
      '# HELP demo_seconds Durations.',
      '# TYPE demo_seconds histogram',
      'demo_seconds_bucket{le="0.1",kind="x"} 0',
      'demo_seconds_bucket{le="1",kind="x"} 1',
      'demo_seconds_bucket{le="+Inf",kind="x"} 1',
      'demo_seconds_sum{kind="x"} 0.5',
      'demo_seconds_count{kind="x"} 1',
      '',
    ].join('\n'),
  );
  t.same(promtoolCheckMetrics(text).unexpected, [], 'promtool parses it and has nothing to say');
});

t.test('OpenMetrics 1.0: counter family without _total, samples with it, # EOF', async (t) => {
  const fams = await families();
  const om = renderExposition(fams, OPENMETRICS_CONTENT_TYPE);
  const lines = om.split('\n');
  t.equal(lines[0], '# HELP demo_requests Requests.\\nSecond line with \\\\ backslash.');
  t.equal(lines[1], '# TYPE demo_requests counter');
  t.equal(lines[2], 'demo_requests_total{path="a\\"b\\\\c\\nd"} 3');
  t.ok(om.endsWith('demo_seconds_count{kind="x"} 1\n# EOF\n'));
  // Rendering OpenMetrics changed nothing the text format reads afterwards.
  t.match(renderExposition(fams, PROMETHEUS_TEXT_CONTENT_TYPE), /^# TYPE demo_requests_total counter$/m);
});

t.test('one family written twice fails the rendering', async (t) => {
  const [first] = await families();
  t.throws(() => renderExposition([first!, first!], PROMETHEUS_TEXT_CONTENT_TYPE), /demo_requests_total written twice/);
});
