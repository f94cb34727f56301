// Tocsin's nginx collector against Debian's prometheus-nginx-exporter (0.11) on the same real
// nginx: the same nginx_* families, HELP, label sets, and values between the exporter's reading
// just before and just after Tocsin's (each reader's own request counts, so counters differ by
// a request or two, gauges by the readers' own connections). One type differs on purpose:
// accepted and handled are counters there, gauges here (see src/collectors/services/nginx.ts).
import tap from 'tap';
import { createNginxCollector } from '../../src/collectors/services/nginx.js';
import { configSchema } from '../../src/config/schema.js';
import { collect, silentLogger } from '../helpers/collect.js';
import { byLabels, findExporter, labelNamesOf, scrape, startExporter } from '../helpers/exporter-binary.js';
import { labelKey, select } from '../helpers/exposition.js';
import { loadNginx, startNginx } from '../helpers/nginx-server.js';

const MISSING = 'prometheus-nginx-exporter not found: apt-get install -y prometheus-nginx-exporter';
const SERVED_AS_GAUGE = new Set(['nginx_connections_accepted', 'nginx_connections_handled']);

tap.test('Tocsin nginx collector agrees with prometheus-nginx-exporter', async (t) => {
  const bin = findExporter('prometheus-nginx-exporter');
  if (bin === undefined) {
    t.fail(MISSING);
    return;
  }
  const nginx = await startNginx(t);
  const exporter = await startExporter(t, 'nginx-prometheus-exporter', bin, (port) => [
    `-nginx.scrape-uri=${nginx.statusUrl}`,
    `-web.listen-address=127.0.0.1:${port}`,
  ]);
  const config = configSchema.parse({ exporter: { collectors: { nginx: { enabled: true, endpoints: [{ url: nginx.statusUrl }] } } } })
    .exporter.collectors.nginx;
  const collector = createNginxCollector(config, { logger: silentLogger, paths: { procfs: '/proc', sysfs: '/sys', rootfs: '/' } });

  // Traffic first, so the counters are far from zero and from each other.
  await loadNginx(nginx.base, 150);
  const before = await scrape(exporter.url);
  const tocsin = await collect([collector]);
  const after = await scrape(exporter.url);

  const theirs = [...before.types.keys()].filter((f) => f.startsWith('nginx_') && !f.startsWith('nginxexporter_')).sort();
  const mine = [...tocsin.types.keys()].filter((f) => f.startsWith('nginx_')).sort();
  t.same(mine, theirs, 'the same nginx_* families');
  t.same(theirs.length, 8, 'eight families (up, six connection figures, requests)');

  for (const family of theirs) {
    t.test(family, async (t) => {
      const type = SERVED_AS_GAUGE.has(family) ? 'gauge' : before.types.get(family);
      t.equal(tocsin.types.get(family), type, SERVED_AS_GAUGE.has(family) ? 'TYPE gauge (theirs: counter without _total)' : 'same TYPE');
      t.equal(tocsin.helps.get(family), before.helps.get(family), 'same HELP');
      const m = select(tocsin, family);
      t.same(labelNamesOf(m), labelNamesOf(select(before, family)), 'same label names');
      const a = byLabels(select(before, family));
      const b = byLabels(select(after, family));
      for (const s of m) {
        const key = labelKey(s.labels);
        const x = a.get(key);
        const y = b.get(key);
        t.not(x, undefined, `the exporter serves {${key}} too`);
        if (x === undefined || y === undefined) continue;
        // Counters: strictly between (every reader's request is counted once, in order).
        // Gauges: active/writing include the reader's own connection, so allow a couple.
        const tol = family === 'nginx_up' ? 0 : before.types.get(family) === 'gauge' ? 2 : 0;
        const lo = Math.min(x, y) - tol;
        const hi = Math.max(x, y) + tol;
        t.ok(s.value >= lo && s.value <= hi, `${family}{${key}}: Tocsin ${s.value}, exporter ${x} then ${y} (allowance ${tol})`);
        // Every read of the page is a request, so Tocsin's lies strictly between the exporter's.
        // (Connections: the exporter keeps its connection open, so accepted may not move.)
        if (family === 'nginx_http_requests_total') t.ok(x < s.value && s.value < y, 'strictly between the two readings');
      }
    });
  }
});
