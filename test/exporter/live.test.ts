// The real exporter on the example config, over a real socket: everything it serves
// must pass `promtool check metrics` (but for the lint in test/helpers/promtool.ts), also after
// an OpenMetrics scrape, and the example's process group must be there.
import t from 'tap';
import { camelCaseFamilies, promtoolCheckMetrics } from '../helpers/promtool.js';
import { startTocsin } from '../helpers/tocsin-process.js';
import { parseExposition, value } from '../helpers/exposition.js';
import { HOST_COLLECTORS } from '../helpers/host-collectors.js';

t.test('promtool check metrics is clean on a live /metrics', async (t) => {
  const tocsin = await startTocsin(['exporter', '--web.listen-address=127.0.0.1:0']);
  t.teardown(() => tocsin.stop());
  // Prometheus asks for OpenMetrics: what it is served first must not change the text format after.
  const openMetrics = await fetch(`${tocsin.url}/metrics`, { headers: { accept: 'application/openmetrics-text;version=1.0.0' } });
  t.match(await openMetrics.text(), /# TYPE process_cpu_seconds counter\n/);
  const res = await fetch(`${tocsin.url}/metrics`);
  t.equal(res.status, 200);
  const body = await res.text();
  const exp = parseExposition(body);
  const check = promtoolCheckMetrics(body);
  t.same(check.unexpected, [], 'promtool prints nothing but the camelCase lint on node_exporter\'s meminfo names');
  t.same(check.camelCase, camelCaseFamilies(exp.types.keys()));
  for (const c of [...HOST_COLLECTORS, 'process']) {
    t.equal(value(exp, 'tocsin_collector_success', { collector: c }), 1, `collector ${c} succeeded`);
  }
  t.ok(value(exp, 'node_memory_MemTotal_bytes') > 0);
  t.ok(value(exp, 'namedprocess_namegroup_num_procs', { groupname: 'tocsin' }) >= 1, 'Tocsin sees itself');
  t.equal(value(exp, 'namedprocess_namegroup_num_procs', { groupname: 'demo-worker' }), 0, 'an empty group reports 0');
});
