// Relative paths in a config file resolve against the file's directory, not the working
// directory (under systemd that is "/"); the stack's shipped files default to the package's.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXAMPLE_CONFIG_FILE, loadConfig } from '../../src/config/load.js';
import { tempDir } from '../helpers/relay-config.js';
import { tocsinArgs } from '../helpers/tocsin-process.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** A config directory with relative data dirs and secret files, and another, empty, directory to run from. */
function setup(t: Test) {
  const conf = tempDir('paths-conf');
  const elsewhere = tempDir('paths-cwd');
  t.teardown(() => {
    conf.remove();
    elsewhere.remove();
  });
  mkdirSync(join(conf.dir, 'secrets'));
  writeFileSync(join(conf.dir, 'secrets', 'token'), 'relay-token-value\n');
  writeFileSync(join(conf.dir, 'secrets', 'hook'), 'https://hooks.slack.com/services/T0/B0/x\n');
  mkdirSync(join(conf.dir, 'my-rules'));
  writeFileSync(join(conf.dir, 'my-rules', 'mine.yml'), 'groups: []\n');
  const file = join(conf.dir, 'tocsin.yml');
  writeFileSync(
    file,
    `relay:
  data_dir: state/relay
  auth:
    bearer_token_file: secrets/token
  destinations:
    - {name: team, webhook_url_file: ./secrets/hook}
exporter:
  collectors:
    containers:
      tls: {ca_file: tls/ca.pem}
    nginx:
      endpoints:
        - {url: 'http://127.0.0.1:8080/nginx_status', tls: {ca_file: tls/nginx-ca.pem}}
stack:
  data_dir: state/stack
  rules: my-rules
`,
  );
  return { confDir: conf.dir, file, elsewhere: elsewhere.dir };
}

t.test('in-process: data dirs, secret files and stack paths resolve against the config file', async (t) => {
  const s = setup(t);
  t.not(process.cwd(), s.confDir);
  const c = await loadConfig(s.file);
  t.equal(c.relay.data_dir, join(s.confDir, 'state/relay'));
  t.equal(c.stack.data_dir, join(s.confDir, 'state/stack'));
  t.equal(c.stack.rules, join(s.confDir, 'my-rules'));
  t.equal(c.exporter.collectors.containers.tls?.ca_file, join(s.confDir, 'tls/ca.pem'));
  t.equal(c.exporter.collectors.nginx.endpoints[0]!.tls?.ca_file, join(s.confDir, 'tls/nginx-ca.pem'));
  t.equal(c.relay.auth.bearerToken?.reveal(), 'relay-token-value', 'the secret file was found next to the config');
  t.equal(c.relay.destinations[0]!.webhookUrl?.reveal(), 'https://hooks.slack.com/services/T0/B0/x');
});

t.test('defaults: data dirs beside the config file, the shipped rules and Alertmanager config from the package', async (t) => {
  const dir = tempDir('paths-defaults');
  t.teardown(dir.remove);
  const file = join(dir.dir, 'tocsin.yml');
  writeFileSync(file, 'log: {level: info}\n');
  const c = await loadConfig(file);
  t.equal(c.relay.data_dir, join(dir.dir, 'data/relay'));
  t.equal(c.stack.data_dir, join(dir.dir, 'data/stack'));
  t.equal(c.stack.rules, join(REPO, 'rules'));
  t.equal(c.stack.alertmanager_config, join(REPO, 'alertmanager/alertmanager.yml'));
  t.ok(existsSync(join(c.stack.rules, 'tocsin.yml')), 'the shipped rules exist');
  t.ok(existsSync(c.stack.alertmanager_config), 'the shipped Alertmanager config exists');
  const example = await loadConfig(EXAMPLE_CONFIG_FILE);
  t.equal(example.relay.data_dir, join(process.cwd(), 'data/relay'), 'the built-in example keeps its data in the working directory');
});

t.test('tocsin check-config from another working directory', async (t) => {
  const s = setup(t);
  const res = spawnSync(process.execPath, tocsinArgs(['check-config', s.file]), { cwd: s.elsewhere, encoding: 'utf8', timeout: 30_000 });
  t.equal(res.status, 0, res.stderr);
  t.match(res.stdout, /OK/);
});
