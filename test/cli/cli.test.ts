import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { runCli, type Io } from '../../src/cli/cli.js';
import { EXAMPLE_CONFIG_FILE } from '../../src/config/load.js';
import { tocsinArgs } from '../helpers/tocsin-process.js';
import { tmpDir } from '../helpers/tmp.js';

function io(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const value: Io = { out: (s) => out.push(s), err: (s) => err.push(s), env };
  return { io: value, out: () => out.join(''), err: () => err.join('') };
}

const dir = tmpDir(t, 'tocsin-cli-');
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

t.test('check-config accepts the shipped example', async (t) => {
  const r = io();
  t.equal(await runCli(['check-config', EXAMPLE_CONFIG_FILE], r.io), 0);
  t.match(r.out(), /OK/);
});

t.test('check-config names the file and the path of the bad field', async (t) => {
  const bad = file(
    'bad.yml',
    `exporter:
  collectors:
    process:
      groups:
        - {name: a, comm: [a]}
        - {name: b, comm: [b]}
        - {name: c, cmdline: nginx}
`,
  );
  const r = io();
  t.equal(await runCli(['check-config', bad], r.io), 1);
  t.match(r.err(), bad);
  t.match(r.err(), 'exporter.collectors.process.groups[2].cmdline');
  t.match(r.err(), /expected array/);
});

t.test('check-config reports unknown keys, YAML errors and missing files', async (t) => {
  let r = io();
  t.equal(await runCli(['check-config', file('typo.yml', 'exporter:\n  collectors:\n    filesystem:\n      mount_points_exlude: x\n')], r.io), 1);
  t.match(r.err(), 'exporter.collectors.filesystem: unknown key "mount_points_exlude"');
  r = io();
  t.equal(await runCli(['check-config', file('yaml.yml', 'exporter: [\n')], r.io), 1);
  t.match(r.err(), /YAML/);
  r = io();
  t.equal(await runCli(['check-config', join(dir, 'missing.yml')], r.io), 1);
  t.match(r.err(), /missing\.yml.*cannot read file: ENOENT/s);
  r = io();
  t.equal(await runCli(['check-config'], r.io), 2);
});

t.test('help and usage errors', async (t) => {
  let r = io();
  t.equal(await runCli(['--help'], r.io), 0);
  t.match(r.out(), /exporter/);
  t.match(r.out(), /check-config/);
  r = io();
  t.equal(await runCli(['exporter', '--help'], r.io), 0);
  t.match(r.out(), /--web\.listen-address/);
  t.match(r.out(), /TOCSIN_WEB_LISTEN_ADDRESS/);
  r = io();
  t.equal(await runCli(['exporter', '--no-such-flag'], r.io), 2);
  t.match(r.err(), /no-such-flag/);
  r = io();
  t.equal(await runCli(['frobnicate'], r.io), 2);
  t.match(r.err(), /unknown command/);
});

t.test('a bad config stops the real process with exit code 1 naming the file', async (t) => {
  const bad = file('bad-timeout.yml', 'exporter:\n  scrape_timeout: soon\n');
  const res = spawnSync(process.execPath, tocsinArgs(['exporter', `--config.file=${bad}`]), { encoding: 'utf8', timeout: 20_000 });
  t.equal(res.status, 1);
  t.match(res.stderr, bad);
  t.match(res.stderr, 'exporter.scrape_timeout');
});

t.test('flags come from the environment when not given', async (t) => {
  const bad = file('env-bad.yml', 'log:\n  level: loud\n');
  const res = spawnSync(process.execPath, tocsinArgs(['exporter']), {
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...process.env, TOCSIN_CONFIG_FILE: bad },
  });
  t.equal(res.status, 1);
  t.match(res.stderr, 'log.level');
  const r = io({ TOCSIN_LOG_LEVEL: 'verbose' });
  t.equal(await runCli(['exporter'], r.io), 2);
  t.match(r.err(), /--log\.level must be one of/);
});
