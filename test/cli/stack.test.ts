// `vigil stack` on a machine without Prometheus and Alertmanager: it says how to install
// them and still runs the exporter and the relay, rather than failing a newcomer's first try.
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startVigil } from '../helpers/vigil-process.js';

t.test('without prometheus on PATH: an install hint, and the exporter and relay run', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-stack-nobin-'));
  const config = join(dir, 'vigil.yml');
  writeFileSync(config, `exporter:\n  listen_address: 127.0.0.1:0\nrelay:\n  listen_address: 127.0.0.1:0\n  data_dir: ${dir}/relay\nstack:\n  data_dir: ${dir}/stack\n`);
  const emptyPath = mkdtempSync(join(tmpdir(), 'vigil-empty-path-'));
  const vigil = await startVigil(['stack', `--config.file=${config}`], {
    env: { ...process.env, PATH: emptyPath },
    readyMessage: 'relay listening',
  });
  t.teardown(() => vigil.stop());
  const deadline = Date.now() + 10_000;
  while (!vigil.stderr().includes('apt-get install') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  t.match(vigil.stderr(), /prometheus and alertmanager not found on PATH/);
  t.match(vigil.stderr(), /apt-get install -y prometheus prometheus-alertmanager/);
  const res = await fetch(`${vigil.url}/-/healthy`);
  t.equal(res.status, 200, 'the relay answers');
});
