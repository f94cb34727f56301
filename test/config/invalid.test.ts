// Every config that would fail or silently misbehave at start fails the check instead, naming
// the key: one file per case in testdata/invalid-*.yml, its first line `# want: TEXT` giving
// what the error must say (as blackbox_exporter's testdata/invalid-*.yml do).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { runCli } from '../../src/cli/cli.js';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { tocsinArgs } from '../helpers/tocsin-process.js';

const TESTDATA = fileURLToPath(new URL('testdata/', import.meta.url));
const REPO = fileURLToPath(new URL('../../', import.meta.url));

const cases = readdirSync(TESTDATA)
  .filter((f) => f.startsWith('invalid-') && f.endsWith('.yml'))
  .sort()
  .map((f) => {
    const file = join(TESTDATA, f);
    const want = /^# want: (.+)$/m.exec(readFileSync(file, 'utf8'))?.[1];
    if (!want) throw new Error(`${f}: no "# want:" line`);
    return { name: f, file, want };
  });

t.ok(cases.length >= 25, `${cases.length} invalid configs`);

t.test('each invalid config is refused in-process, naming the key', async (t) => {
  for (const c of cases) {
    const err = await loadConfig(c.file).then(
      () => undefined,
      (e: unknown) => e,
    );
    t.ok(err instanceof ConfigError, `${c.name}: refused with a ConfigError`);
    if (err instanceof ConfigError) {
      t.ok(
        err.problems.some((p) => p.includes(c.want)),
        `${c.name}: says ${JSON.stringify(c.want)}`,
        { problems: err.problems },
      );
    }
  }
});

t.test('tocsin check-config exits 1 naming the file and the key', async (t) => {
  for (const name of ['invalid-delivery-timeout-zero.yml', 'invalid-destinations-empty.yml', 'invalid-data-dir-proc.yml', 'invalid-telemetry-path-healthy.yml']) {
    const c = cases.find((x) => x.name === name)!;
    const res = spawnSync(process.execPath, tocsinArgs(['check-config', c.file]), { encoding: 'utf8', timeout: 30_000 });
    t.equal(res.status, 1, `${name}: exit 1`);
    t.match(res.stderr, c.file, `${name}: names the file`);
    t.match(res.stderr, c.want, `${name}: names the key`);
  }
});

t.test('the shipped configs pass', async (t) => {
  for (const f of ['examples/tocsin.yml', 'examples/tocsin-slack.yml', 'deploy/compose/tocsin.yml']) {
    const err = await loadConfig(join(REPO, f)).then(
      () => undefined,
      (e: unknown) => e,
    );
    // tocsin-slack.yml names secret files and variables that exist only where it is deployed.
    const problems = err instanceof ConfigError ? err.problems.filter((p) => !/secret file|environment variable/.test(p)) : err ? [String(err)] : [];
    t.same(problems, [], f);
  }
});

t.test('the --web.telemetry-path flag gets the same check as exporter.telemetry_path', async (t) => {
  for (const bad of ['/', '/-/healthy', 'metrics']) {
    const err: string[] = [];
    const code = await runCli(['exporter', `--web.telemetry-path=${bad}`], { out: () => undefined, err: (s) => err.push(s), env: {} });
    t.equal(code, 2, `${bad}: usage error`);
    t.match(err.join(''), '--web.telemetry-path: ', `${bad}: names the flag`);
  }
});
