// `tocsin stack` on a machine without Prometheus and Alertmanager: it says how to install
// them and still runs the exporter and the relay, rather than failing a newcomer's first try.
// And from any working directory: relative paths in the config are the config file's, and
// the shipped rules and Alertmanager config are found in the package.
import t from 'tap';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireBinary } from '../helpers/bin.js';
import { freePort } from '../helpers/net.js';
import { startTocsin } from '../helpers/tocsin-process.js';
import { tmpDir } from '../helpers/tmp.js';

t.test('without prometheus on PATH: an install hint, and the exporter and relay run', async (t) => {
  const conf = tmpDir(t, 'tocsin-stack-nobin-');
  const elsewhere = tmpDir(t, 'tocsin-stack-cwd-');
  const emptyPath = tmpDir(t, 'tocsin-empty-path-');
  const config = join(conf, 'tocsin.yml');
  // Relative data directories, run from another directory: they belong next to the config.
  writeFileSync(config, `exporter:\n  listen_address: 127.0.0.1:0\nrelay:\n  listen_address: 127.0.0.1:0\n  data_dir: relay-data\nstack:\n  data_dir: stack-data\n`);
  const tocsin = await startTocsin(['stack', `--config.file=${config}`], {
    env: { ...process.env, PATH: emptyPath },
    cwd: elsewhere,
    readyMessage: 'relay listening',
  });
  t.teardown(() => tocsin.stop());
  const deadline = Date.now() + 10_000;
  while (!tocsin.stderr().includes('apt-get install') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  t.match(tocsin.stderr(), /prometheus and alertmanager not found on PATH/);
  t.match(tocsin.stderr(), /apt-get install -y prometheus prometheus-alertmanager/);
  const res = await fetch(`${tocsin.url}/-/healthy`);
  t.equal(res.status, 200, 'the relay answers');
  t.ok(existsSync(join(conf, 'relay-data')), 'the relay data directory is beside the config file');
  t.ok(existsSync(join(conf, 'stack-data', 'relay-token')), 'the stack data directory is beside the config file');
  t.same(readdirSync(elsewhere), [], 'nothing written to the working directory');
});

t.test('with Prometheus and Alertmanager, from another directory: the shipped rules and routing are loaded', async (t) => {
  requireBinary('prometheus', 'prometheus');
  requireBinary('prometheus-alertmanager', 'prometheus-alertmanager');
  const conf = tmpDir(t, 'tocsin-stack-full-');
  const elsewhere = tmpDir(t, 'tocsin-stack-full-cwd-');
  const [promPort, amPort] = [await freePort(), await freePort()];
  const config = join(conf, 'tocsin.yml');
  writeFileSync(
    config,
    `exporter:\n  listen_address: 127.0.0.1:0\nrelay:\n  listen_address: 127.0.0.1:0\n  data_dir: relay-data\nstack:\n  data_dir: stack-data\n  prometheus_listen_address: 127.0.0.1:${promPort}\n  alertmanager_listen_address: 127.0.0.1:${amPort}\n`,
  );
  const tocsin = await startTocsin(['stack', `--config.file=${config}`], {
    cwd: elsewhere,
    timeoutMs: 60_000,
    readyMessage: 'stack running: Ctrl-C stops everything',
  });
  t.teardown(() => tocsin.stop());
  const rules = (await (await fetch(`http://127.0.0.1:${promPort}/api/v1/rules`)).json()) as { data: { groups: { file: string }[] } };
  t.ok(rules.data.groups.length > 0, 'Prometheus loaded the shipped rule groups');
  t.ok(
    rules.data.groups.every((g) => !g.file.startsWith(elsewhere)),
    'rule files come from the package, not the working directory',
  );
  const am = (await (await fetch(`http://127.0.0.1:${amPort}/api/v2/status`)).json()) as { config: { original: string } };
  t.match(am.config.original, /hooks\/alertmanager/, 'Alertmanager runs the shipped config pointed at the relay');
  t.same(readdirSync(elsewhere), [], 'nothing written to the working directory');
});
