// The shipped alerting rules, checked by Prometheus's own tool: `promtool check rules` on
// every file of rules/, and `promtool test rules` on every unit test of rules/tests/ (each
// alert fires after its `for:` window and not before, ignores a short spike, resolves, and
// renders its labels and annotations exactly). promtool's output is printed on failure.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireBinary } from '../helpers/bin.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TIMEOUT_MS = 60_000;

function yamlFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith('.yml'))
    .sort()
    .map((f) => `${dir}${f}`);
}

function promtool(args: readonly string[]): { status: number | null; output: string } {
  const bin = requireBinary('promtool', 'prometheus');
  const run = spawnSync(bin, args, { cwd: ROOT, encoding: 'utf8', timeout: TIMEOUT_MS });
  if (run.error) throw run.error;
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

const ruleFiles = yamlFiles('rules/');
const testFiles = yamlFiles('rules/tests/');

t.test('there are rule files and unit test files', async (t) => {
  t.ok(ruleFiles.includes('rules/thresholds.yml'), 'rules/thresholds.yml');
  t.ok(ruleFiles.length >= 7, `rule files: ${ruleFiles.join(', ')}`);
  t.ok(testFiles.length >= 6, `test files: ${testFiles.join(', ')}`);
});

t.test('promtool check rules rules/*.yml', async (t) => {
  const { status, output } = promtool(['check', 'rules', ...ruleFiles]);
  t.equal(status, 0, 'promtool check rules succeeds', { output });
  for (const f of ruleFiles) t.match(output, `Checking ${f}\n  SUCCESS`, f);
});

t.test('promtool test rules rules/tests/*.yml', async (t) => {
  const { status, output } = promtool(['test', 'rules', ...testFiles]);
  if (status !== 0) t.comment(output);
  t.equal(status, 0, 'every promtool unit test passes');
  t.notMatch(output, 'FAILED', 'no failed test group');
  for (const f of testFiles) t.match(output, `Unit Testing:  ${f}\n  SUCCESS`, f);
});
