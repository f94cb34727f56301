// `tocsin stack` on a machine without Prometheus and Alertmanager: it says how to install
// them and still runs the exporter and the relay, rather than failing a newcomer's first try.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTocsin } from '../helpers/tocsin-process.js';
import { tmpDir } from '../helpers/tmp.js';

t.test('without prometheus on PATH: an install hint, and the exporter and relay run', async (t) => {
  const dir = tmpDir(t, 'tocsin-stack-nobin-');
  const config = join(dir, 'tocsin.yml');
  writeFileSync(config, `exporter:\n  listen_address: 127.0.0.1:0\nrelay:\n  listen_address: 127.0.0.1:0\n  data_dir: ${dir}/relay\nstack:\n  data_dir: ${dir}/stack\n`);
  const emptyPath = tmpDir(t, 'tocsin-empty-path-');
  const tocsin = await startTocsin(['stack', `--config.file=${config}`], {
    env: { ...process.env, PATH: emptyPath },
    readyMessage: 'relay listening',
  });
  t.teardown(() => tocsin.stop());
  const deadline = Date.now() + 10_000;
  while (!tocsin.stderr().includes('apt-get install') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  t.match(tocsin.stderr(), /prometheus and alertmanager not found on PATH/);
  t.match(tocsin.stderr(), /apt-get install -y prometheus prometheus-alertmanager/);
  const res = await fetch(`${tocsin.url}/-/healthy`);
  t.equal(res.status, 200, 'the relay answers');
});
