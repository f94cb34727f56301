// The dashboards against Grafana's own dashboard model and the dashboard linter's rules that
// apply here, offline:
// - each grafana/*.json type-checks as @grafana/schema's Dashboard (tsc, so an unknown or
//   misspelt field and a wrong value fail; the schema's enums are compared by their values);
// - rate(), irate() and increase() use $__rate_interval, unless the panel says in words which
//   fixed window it shows (a panel that mirrors an alert's window);
// - every dashboard has job and instance variables (the datasource variable and the metric
//   names are checked in dashboards.test.ts).
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tmpDir } from '../helpers/tmp.js';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const files = readdirSync(join(REPO, 'grafana')).filter((f) => f.endsWith('.json')).sort();

interface Panel {
  title?: string;
  description?: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}
const dashboards = files.map((f) => ({ file: f, json: JSON.parse(readFileSync(join(REPO, 'grafana', f), 'utf8')) as { panels: Panel[]; templating: { list: { name: string }[] } } }));
const panelsOf = (ps: Panel[] = []): Panel[] => ps.flatMap((p) => [p, ...panelsOf(p.panels)]);

const PRELUDE = `import type { Dashboard } from '@grafana/schema';
// Grafana's types use TypeScript enums; dashboard JSON holds their string values.
type Json<T> = T extends string ? \`\${T}\` : T extends number | boolean | null | undefined ? T
  : T extends readonly (infer U)[] ? Json<U>[] : { [K in keyof T]: Json<T[K]> };
`;

t.test("every dashboard is a Dashboard of Grafana's schema", async (t) => {
  mkdirSync(join(REPO, 'tmp'), { recursive: true });
  const dir = tmpDir(t, 'grafana-schema-', join(REPO, 'tmp'));
  const tsc = join(REPO, 'node_modules/.bin/tsc');
  const args = ['--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022'];
  const source = (list: { name: string; text: string }[]) => PRELUDE + list.map((d, i) => `// ${d.name}\nexport const d${i}: Json<Dashboard> = ${d.text};\n`).join('');
  writeFileSync(join(dir, 'dashboards.ts'), source(files.map((f) => ({ name: f, text: readFileSync(join(REPO, 'grafana', f), 'utf8') }))));
  const errors = await run(tsc, [...args, join(dir, 'dashboards.ts')]).then(() => '', (err: { stdout?: string }) => err.stdout ?? 'tsc failed');
  t.equal(errors, '', `${files.length} dashboards type-check`);
  // The check can fail: a misspelt field in an otherwise valid dashboard.
  const canary = { ...dashboards[0]!.json, refrsh: '1m' };
  writeFileSync(join(dir, 'canary.ts'), source([{ name: 'canary', text: JSON.stringify(canary) }]));
  const caught = await run(tsc, [...args, join(dir, 'canary.ts')]).then(() => '', (err: { stdout?: string }) => err.stdout ?? '');
  t.match(caught, /refrsh/, 'a misspelt field is reported');
});

const WORDS: Record<string, string> = { m: 'minute', h: 'hour', d: 'day' };

t.test('rates use $__rate_interval, or the panel names its fixed window', async (t) => {
  for (const { file, json } of dashboards) {
    for (const p of panelsOf(json.panels)) {
      for (const { expr = '' } of p.targets ?? []) {
        for (const m of expr.matchAll(/\b(?:rate|irate|increase)\([^()]*\[([^\]]+)\]\)/g)) {
          const window = m[1]!;
          if (window === '$__rate_interval' || window === '$__range') continue;
          const fixed = /^(\d+)([mhd])$/.exec(window);
          const words = fixed ? `${fixed[1]} ${WORDS[fixed[2]!]}` : undefined;
          t.ok(words && p.description?.includes(words), `${file} "${p.title}": [${window}] is explained in the description ("${words}")`);
        }
      }
    }
  }
});

t.test('every dashboard has job and instance variables', async (t) => {
  for (const { file, json } of dashboards) {
    const names = json.templating.list.map((v) => v.name);
    t.ok(names.includes('job') && names.includes('instance'), `${file}: job and instance variables`);
  }
});
