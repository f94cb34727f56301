// The systemd units and their install script, checked with systemd's own tools:
// `systemd-analyze verify` on each unit, `systemd-analyze security --offline` no worse than
// Debian's own node_exporter unit, and deploy/systemd/install.sh run into a throwaway root
// directory, whose installed program must run (check-config on the config it wrote).
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { requireBinary } from '../helpers/bin.js';
import { tmpDir } from '../helpers/tmp.js';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const UNITS = ['tocsin-exporter.service', 'tocsin-relay.service'];
const unitPath = (u: string) => join(REPO, 'deploy/systemd', u);
// Debian's unit for the exporter Tocsin stands in for: the bar for exposure.
const DEBIAN_NODE_EXPORTER_UNIT = '/lib/systemd/system/prometheus-node-exporter.service';

async function exposure(analyze: string, file: string): Promise<number> {
  const { stdout } = await run(analyze, ['security', '--offline=true', '--no-pager', file]);
  const m = /Overall exposure level for \S+: (\d+(?:\.\d+)?)/.exec(stdout);
  if (!m) throw new Error(`no exposure level in systemd-analyze output for ${file}`);
  return Number(m[1]);
}

t.test('systemd-analyze verify accepts both units', async (t) => {
  const analyze = requireBinary('systemd-analyze', 'systemd');
  for (const u of UNITS) {
    const { stderr } = await run(analyze, ['verify', unitPath(u)]).catch((err: { stderr?: string; message: string }) => {
      t.fail(`${u}: ${err.stderr ?? err.message}`);
      return { stderr: '' };
    });
    // verify also warns about other units of the machine; only lines about ours count.
    t.same(stderr.split('\n').filter((l) => l.includes('tocsin')), [], `${u}: no warnings`);
  }
});

t.test('exposure no worse than Debian node_exporter unit, with the hardening the issue asks for', async (t) => {
  const analyze = requireBinary('systemd-analyze', 'systemd');
  if (!existsSync(DEBIAN_NODE_EXPORTER_UNIT)) {
    throw new Error(`${DEBIAN_NODE_EXPORTER_UNIT} missing: install it with \`apt-get install -y prometheus-node-exporter\``);
  }
  const bar = await exposure(analyze, DEBIAN_NODE_EXPORTER_UNIT);
  for (const u of UNITS) {
    const level = await exposure(analyze, unitPath(u));
    t.ok(level <= bar, `${u}: exposure ${level} <= node_exporter's ${bar}`);
    const text = readFileSync(unitPath(u), 'utf8');
    for (const line of [
      'User=tocsin',
      'ProtectSystem=strict',
      'PrivateTmp=true',
      'NoNewPrivileges=true',
      'CapabilityBoundingSet=',
      'SystemCallFilter=@system-service',
      'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6',
      'Restart=on-failure',
      'ExecReload=/bin/kill -HUP $MAINPID',
    ]) {
      t.ok(text.split('\n').includes(line), `${u}: ${line}`);
    }
    t.match(text, /^ProtectHome=(true|read-only)$/m, `${u}: ProtectHome`);
  }
  t.match(readFileSync(unitPath('tocsin-relay.service'), 'utf8'), /^StateDirectory=tocsin-relay$/m, 'the relay keeps its outbox in its StateDirectory');
});

t.test('install.sh --root lays out a working installation', async (t) => {
  requireBinary('npm', 'npm');
  const root = tmpDir(t, 'tocsin-install-');
  await run('bash', [join(REPO, 'deploy/systemd/install.sh'), '--root', root], { cwd: REPO, timeout: 150_000 });
  const at = (p: string) => join(root, p);
  for (const p of [
    'opt/tocsin/bin/tocsin.js',
    'opt/tocsin/dist/main.js',
    'opt/tocsin/node_modules/fastify/package.json',
    'etc/systemd/system/tocsin-exporter.service',
    'etc/systemd/system/tocsin-relay.service',
    'usr/lib/sysusers.d/tocsin.conf',
    'etc/tocsin/tocsin.yml',
    'etc/default/tocsin',
    'etc/prometheus/tocsin-rules/host.yml',
  ]) {
    t.ok(existsSync(at(p)), `${p} installed`);
  }
  t.notOk(existsSync(at('opt/tocsin/node_modules/typescript')), 'production dependencies only (no typescript)');
  t.notOk(existsSync(at('opt/tocsin/node_modules/tap')), 'production dependencies only (no tap)');
  t.equal(statSync(at('etc/tocsin/secrets')).mode & 0o777, 0o750, 'the secrets directory is not world-readable');
  t.match(readFileSync(at('usr/lib/sysusers.d/tocsin.conf'), 'utf8'), /^u tocsin /m, 'sysusers.d creates the tocsin user');
  const config = readFileSync(at('etc/tocsin/tocsin.yml'), 'utf8');
  t.match(config, /^ {2}data_dir: \/var\/lib\/tocsin-relay\b/m, 'the outbox is in the relay unit StateDirectory');
  // Every path the units run must be in the installed tree.
  for (const u of UNITS) {
    const unit = readFileSync(at(`etc/systemd/system/${u}`), 'utf8');
    const script = /^ExecStart=\S+ (?:--\S+ )*(\/opt\/tocsin\/\S+)/m.exec(unit)?.[1];
    t.ok(script && existsSync(at(script.slice(1))), `${u}: ExecStart runs ${script}, which is installed`);
  }
  const { stdout } = await run(process.execPath, [at('opt/tocsin/bin/tocsin.js'), 'check-config', at('etc/tocsin/tocsin.yml')]);
  t.match(stdout, /OK/, 'the installed program accepts the config the script wrote');
});
