// The real exporter on the example config, over a real socket: everything it serves
// must pass `promtool check metrics`, and the example's process group must be there.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { requireBinary } from '../helpers/bin.js';
import { startVigil } from '../helpers/vigil-process.js';
import { parseExposition, value } from '../helpers/exposition.js';

t.test('promtool check metrics is clean on a live /metrics', async (t) => {
  const promtool = requireBinary('promtool', 'prometheus');
  const vigil = await startVigil(['exporter', '--web.listen-address=127.0.0.1:0']);
  t.teardown(() => vigil.stop());
  const res = await fetch(`${vigil.url}/metrics`);
  t.equal(res.status, 200);
  const body = await res.text();
  const check = spawnSync(promtool, ['check', 'metrics'], { input: body, encoding: 'utf8', timeout: 20_000 });
  t.equal(check.stdout + check.stderr, '', 'promtool prints nothing');
  t.equal(check.status, 0);

  const exp = parseExposition(body);
  for (const c of ['cpu', 'meminfo', 'loadavg', 'stat', 'filesystem', 'netdev', 'diskstats', 'process']) {
    t.equal(value(exp, 'vigil_collector_success', { collector: c }), 1, `collector ${c} succeeded`);
  }
  t.ok(value(exp, 'node_memory_MemTotal_bytes') > 0);
  t.ok(value(exp, 'namedprocess_namegroup_num_procs', { groupname: 'vigil' }) >= 1, 'Vigil sees itself');
  t.equal(value(exp, 'namedprocess_namegroup_num_procs', { groupname: 'demo-worker' }), 0, 'an empty group reports 0');
});
