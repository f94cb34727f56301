// `npm pack` ships the built program (prepack builds dist/), and `npm install -g` of the
// tarball gives a working `tocsin` command.
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { requireBinary } from '../helpers/bin.js';
import { tmpDir } from '../helpers/tmp.js';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../', import.meta.url));

t.test('npm pack includes dist/, and npm install -g of it gives a working tocsin', async (t) => {
  const npm = requireBinary('npm', 'npm');
  const dir = tmpDir(t, 'tocsin-pack-');
  const { stdout } = await run(npm, ['pack', '--json', '--pack-destination', dir], { cwd: REPO, timeout: 120_000, maxBuffer: 16 << 20 });
  const [pack] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  const files = new Set(pack!.files.map((f) => f.path));
  for (const f of ['dist/main.js', 'bin/tocsin.js', 'examples/tocsin.yml', 'rules/host.yml', 'alertmanager/alertmanager.yml']) {
    t.ok(files.has(f), `the tarball holds ${f}`);
  }
  t.notOk([...files].some((f) => f.startsWith('src/') || f.startsWith('test/')), 'no sources or tests in the tarball');

  const prefix = join(dir, 'prefix');
  await run(npm, ['install', '-g', '--prefix', prefix, join(dir, pack!.filename), '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], {
    timeout: 150_000,
  });
  const bin = join(prefix, 'bin', 'tocsin');
  t.ok(existsSync(bin), 'npm install -g puts tocsin on the prefix bin/');
  const version = await run(bin, ['--version']);
  t.match(version.stdout, /^tocsin \d+\.\d+\.\d+/, 'tocsin --version runs the installed program');
  const example = join(prefix, 'lib', 'node_modules', 'tocsin', 'examples', 'tocsin.yml');
  const check = await run(bin, ['check-config', example]);
  t.match(check.stdout, /OK/, 'the installed program checks its own example config');
  t.notOk(readdirSync(join(prefix, 'lib', 'node_modules', 'tocsin', 'node_modules')).includes('typescript'), 'no dev dependencies installed');
});
