// What promtool does not check about the shipped rules (rules/*.yml):
// - every alert has a severity (critical, warning, info), a summary, a description and a
//   runbook_url that points at an existing section of runbooks/, and an explicit `for:`
//   with a comment above it, repeated as the `for` annotation for the relay;
// - thresholds come from rules/thresholds.yml: every tocsin:threshold an alert reads exists
//   there, belongs to that alert, and every threshold there is read by its alert;
// - every alert (and every severity of it) has promtool unit tests that show it not firing,
//   then firing with its annotations, then resolved;
// - docs/alerts.md lists every alert with its severity, default thresholds and `for:`;
// - every metric name the rules read is one Tocsin's exporter or relay really serves
//   (test/helpers/served-metrics.ts: the collectors are run on the fixture /proc tree), or one
//   of a short, explained list of names from other exporters; and the label matchers on
//   Tocsin's own series name labels (and values) those series have.
import t from 'tap';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { ROOT, servedByTocsin } from '../helpers/served-metrics.js';

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

// ---------------------------------------------------------------------------------------------
// The rules

interface Rule {
  readonly alert?: string;
  readonly record?: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}
interface LoadedRule extends Rule {
  readonly file: string;
  readonly group: string;
}
interface Alert extends LoadedRule {
  readonly alert: string;
}

const RULE_FILES = readdirSync(join(ROOT, 'rules'))
  .filter((f) => f.endsWith('.yml'))
  .sort()
  .map((f) => `rules/${f}`);

const RULES: LoadedRule[] = RULE_FILES.flatMap((file) => {
  const doc = load(read(file)) as { groups: { name: string; rules: Rule[] }[] };
  return doc.groups.flatMap((g) => g.rules.map((r) => ({ ...r, file, group: g.name })));
});
const ALERTS = RULES.filter((r): r is Alert => r.alert !== undefined);
const ALERT_NAMES = [...new Set(ALERTS.map((a) => a.alert))];
const SEVERITIES = ['critical', 'warning', 'info'];

/** The thresholds of rules/thresholds.yml: labels and value. */
const THRESHOLDS = RULES.filter((r) => r.file === 'rules/thresholds.yml' && r.record === 'tocsin:threshold').map((r) => {
  const m = /^vector\((-?[0-9.e+]+)\)$/.exec(r.expr.trim());
  return { labels: r.labels ?? {}, value: m ? Number(m[1]) : NaN, expr: r.expr };
});
/** Labels that make a threshold an override for one group or job rather than the default. */
const OVERRIDE_LABELS = ['groupname', 'job'];
const isDefault = (labels: Readonly<Record<string, string>>) => OVERRIDE_LABELS.every((l) => !(l in labels));

// ---------------------------------------------------------------------------------------------
// PromQL, just enough of it

interface Matcher {
  readonly name: string;
  readonly op: string;
  readonly value: string;
}
interface Selector {
  readonly metric: string;
  readonly matchers: readonly Matcher[];
}

function parseMatchers(text: string): Matcher[] {
  return [...text.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)].map((m) => ({
    name: m[1]!,
    op: m[2]!,
    value: m[3]!.replace(/\\(.)/g, '$1'),
  }));
}

function matches(m: Matcher, labels: Readonly<Record<string, string>>): boolean {
  const v = labels[m.name] ?? '';
  switch (m.op) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
      return new RegExp(`^(?:${m.value})$`).test(v);
    default:
      return !new RegExp(`^(?:${m.value})$`).test(v);
  }
}

const KEYWORDS = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'inf', 'nan', 'atan2']);

/** Every `name{...}` or bare `name` of an expression that is a series (not a function or keyword). */
function selectors(promql: string): Selector[] {
  const s = promql
    .replace(/`[^`]*`|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\boffset\s+[0-9a-z]+/g, ' ');
  const out: Selector[] = [];
  const re = /(?<![\w.:"])([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\()?\s*(\{(?:[^}"]|"(?:[^"\\]|\\.)*")*\})?|(\{(?:[^}"]|"(?:[^"\\]|\\.)*")*\})/g;
  for (const m of s.matchAll(re)) {
    if (m[4] !== undefined) {
      // {__name__=~"..."}: a selector by name pattern, no fixed metric name.
      out.push({ metric: '', matchers: parseMatchers(m[4]) });
      continue;
    }
    const name = m[1]!;
    if (m[2] !== undefined || KEYWORDS.has(name.toLowerCase())) continue;
    out.push({ metric: name, matchers: parseMatchers(m[3] ?? '') });
  }
  return out.filter((x) => !/^[0-9]/.test(x.metric));
}

/** Stands for a label value an annotation fills in from the alert's labels (printf's %q). */
const TEMPLATED = '<templated>';

/** The PromQL an annotation runs through `query`: `query \`...\`` and `printf "..." ... | query`. */
function annotationQueries(template: string): string[] {
  const raw = [...template.matchAll(/query\s+`([^`]*)`/g)].map((m) => m[1]!);
  const printf = [...template.matchAll(/printf\s+"((?:[^"\\]|\\.)*)"[^}]*\|\s*query/g)].map((m) =>
    m[1]!.replace(/\\"/g, '"').replace(/%q/g, `"${TEMPLATED}"`),
  );
  return [...raw, ...printf];
}

/** Matchers with a fixed value: not filled in from the alert's labels. */
const fixed = (ms: readonly Matcher[]) => ms.filter((m) => m.value !== TEMPLATED);

const alertQueries = (a: Alert) => Object.values(a.annotations ?? {}).flatMap(annotationQueries);

// ---------------------------------------------------------------------------------------------

t.test('the rule files', async (t) => {
  t.same(
    RULE_FILES,
    [
      'rules/containers.yml',
      'rules/host.yml',
      'rules/mysql.yml',
      'rules/nginx.yml',
      'rules/probes.yml',
      'rules/processes.yml',
      'rules/services.yml',
      'rules/thresholds.yml',
      'rules/tocsin.yml',
    ],
    'one file per area, and the thresholds',
  );
  t.ok(ALERT_NAMES.length >= 30, `${ALERT_NAMES.length} alerts`);
});

t.test('every alert has a severity, a summary, a description and a runbook_url', async (t) => {
  for (const a of ALERTS) {
    const where = `${a.alert} (${a.file})`;
    t.ok(SEVERITIES.includes(a.labels?.severity ?? ''), `${where}: severity ${a.labels?.severity} is one of ${SEVERITIES.join(', ')}`);
    for (const key of ['summary', 'description', 'runbook_url']) {
      t.ok((a.annotations?.[key] ?? '').trim() !== '', `${where}: ${key}`);
    }
  }
  // One rule per alert and severity: a second level of an alert must differ in severity.
  const keys = ALERTS.map((a) => `${a.alert}/${a.labels?.severity}`);
  t.same(keys.filter((k, i) => keys.indexOf(k) !== i), [], 'no alert name has two rules of the same severity');
});

t.test('every runbook_url points at a section of runbooks/', async (t) => {
  const prefixes = new Set<string>();
  const used = new Set<string>();
  for (const a of ALERTS) {
    const url = a.annotations?.runbook_url ?? '';
    const m = /^(https?:\/\/\S+\/)runbooks\/([a-z]+)\.md#([a-z0-9-]+)$/.exec(url);
    if (!t.ok(m, `${a.alert}: ${url} is <base>runbooks/<area>.md#<anchor>`) || !m) continue;
    prefixes.add(m[1]!);
    const file = `runbooks/${m[2]}.md`;
    t.equal(m[3], a.alert.toLowerCase(), `${a.alert}: the anchor is the alert name in lower case`);
    if (!t.ok(existsSync(join(ROOT, file)), `${a.alert}: ${file} exists`)) continue;
    const anchors = read(file)
      .split('\n')
      .filter((l) => l.startsWith('## '))
      .map((l) => githubAnchor(l.slice(3)));
    t.ok(anchors.includes(m[3]!), `${a.alert}: ${file} has a "## ${a.alert}" section`);
    used.add(`${file}#${m[3]}`);
  }
  t.equal(prefixes.size, 1, `every runbook_url has the same base (${[...prefixes].join(', ')}), so one sed changes them all`);
  // Every runbook section is about an alert that exists.
  for (const f of readdirSync(join(ROOT, 'runbooks')).filter((f) => f.endsWith('.md'))) {
    for (const l of read(`runbooks/${f}`).split('\n').filter((l) => l.startsWith('## '))) {
      t.ok(used.has(`runbooks/${f}#${githubAnchor(l.slice(3))}`), `runbooks/${f}: "${l}" is the runbook of a shipped alert`);
    }
  }
});

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to dashes. */
function githubAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

t.test('every alert has an explicit for: and a comment that explains it', async (t) => {
  for (const a of ALERTS) t.match(a.for ?? '', /^[0-9]+[smh]$/, `${a.alert}/${a.labels?.severity}: for: ${a.for}`);
  for (const file of RULE_FILES) {
    const lines = read(file).split('\n');
    lines.forEach((line, i) => {
      const m = /^\s*- alert: (\S+)/.exec(line);
      if (!m) return;
      const body: string[] = [];
      for (let j = i + 1; j < lines.length && !/^\s*expr:/.test(lines[j]!); j++) body.push(lines[j]!);
      t.ok(body.some((l) => /^\s*#/.test(l)), `${file}: ${m[1]} (line ${i + 1}) has a comment before its expr`);
    });
  }
});

// Prometheus sends an alert's startsAt as the moment it fired, after its `for:` window; the relay
// subtracts the `for` annotation to say when the problem began (src/relay/slack/time.ts), so a
// 2½-minute outage under `for: 1m` reads "lasted 2m 30s", not "lasted 1m 30s".
t.test('every alert carries its for: window as the annotation the relay reads', async (t) => {
  for (const a of ALERTS) t.equal(a.annotations?.for, a.for, `${a.file}: ${a.alert}/${a.labels?.severity}: annotations.for = for:`);
});

t.test('thresholds come from rules/thresholds.yml, one place', async (t) => {
  // The file itself: constants, each for an existing alert, with a unit, each label set once.
  const seen = new Set<string>();
  for (const th of THRESHOLDS) {
    const key = JSON.stringify(Object.entries(th.labels).sort());
    t.notOk(Number.isNaN(th.value), `${key}: expr is vector(<number>), got ${th.expr}`);
    t.ok(ALERT_NAMES.includes(th.labels.alert ?? ''), `${key}: alert names a shipped alert`);
    t.ok(['ratio', 'seconds', 'count'].includes(th.labels.unit ?? ''), `${key}: unit is ratio, seconds or count`);
    t.notOk(seen.has(key), `${key}: given once`);
    seen.add(key);
  }
  // Outside thresholds.yml, no rule defines a threshold.
  for (const r of RULES.filter((r) => r.file !== 'rules/thresholds.yml')) {
    t.not(r.record, 'tocsin:threshold', `${r.file}: ${r.record} is not defined outside rules/thresholds.yml`);
    t.not(r.record, 'tocsin:probe_critical_environment', `${r.file}: settings live in rules/thresholds.yml`);
  }

  // Every tocsin:threshold an alert reads (in its expr or its messages) is its own and exists.
  const read = new Set<(typeof THRESHOLDS)[number]>();
  for (const a of ALERTS) {
    const fromExpr = selectors(a.expr).filter((s) => s.metric === 'tocsin:threshold');
    const fromMessages = alertQueries(a).flatMap(selectors).filter((s) => s.metric === 'tocsin:threshold');
    for (const [sel, where] of [...fromExpr.map((s) => [s, 'expr'] as const), ...fromMessages.map((s) => [s, 'annotations'] as const)]) {
      const alert = sel.matchers.find((m) => m.name === 'alert');
      if (alert === undefined && a.alert === 'TocsinThresholdsMissing') continue; // absent(tocsin:threshold)
      t.equal(alert?.value, a.alert, `${a.alert} ${where}: reads its own thresholds (alert="${alert?.value}")`);
      const found = THRESHOLDS.filter((th) => fixed(sel.matchers).every((m) => matches(m, th.labels)));
      // The override branch (groupname!="", job!="") finds nothing until a user adds an override.
      const overrides = sel.matchers.some((m) => OVERRIDE_LABELS.includes(m.name) && m.op === '!=' && m.value === '');
      t.ok(found.length > 0 || overrides, `${a.alert} ${where}: ${JSON.stringify(sel.matchers)} matches a threshold of rules/thresholds.yml`);
      if (where === 'expr') found.forEach((th) => read.add(th));
    }
  }
  for (const th of THRESHOLDS) t.ok(read.has(th), `threshold ${JSON.stringify(th.labels)} is read by its alert's expr`);
});

// ---------------------------------------------------------------------------------------------
// promtool unit tests: every alert is covered

interface PromtoolTestFile {
  readonly rule_files: readonly string[];
  readonly tests: readonly {
    readonly name?: string;
    readonly alert_rule_test?: readonly {
      readonly eval_time: string;
      readonly alertname: string;
      readonly exp_alerts?: readonly { readonly exp_labels?: Record<string, string>; readonly exp_annotations?: Record<string, string> }[];
    }[];
  }[];
}

function seconds(duration: string): number {
  let total = 0;
  for (const m of duration.matchAll(/([0-9]+)([smhd])/g)) total += Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's']!;
  return total;
}

t.test('every alert is unit-tested: quiet, then firing with its messages, then resolved', async (t) => {
  const testFiles = readdirSync(join(ROOT, 'rules/tests'))
    .filter((f) => f.endsWith('.yml'))
    .map((f) => `rules/tests/${f}`);
  const loaded = new Set<string>();
  // alertname -> severities seen firing with all three annotations; and whether some test
  // group shows it quiet before and after firing.
  const firing = new Map<string, Set<string>>();
  const quietAround = new Set<string>();
  for (const file of testFiles) {
    const doc = load(read(file)) as PromtoolTestFile;
    for (const r of doc.rule_files) loaded.add(join('rules/tests', r));
    for (const group of doc.tests) {
      const byAlert = new Map<string, { at: number; firing: boolean }[]>();
      for (const c of group.alert_rule_test ?? []) {
        const exp = c.exp_alerts ?? [];
        const list = byAlert.get(c.alertname) ?? [];
        list.push({ at: seconds(c.eval_time), firing: exp.length > 0 });
        byAlert.set(c.alertname, list);
        for (const e of exp) {
          const ann = e.exp_annotations ?? {};
          if (!ann.summary || !ann.description || !ann.runbook_url) continue;
          const set = firing.get(c.alertname) ?? new Set<string>();
          set.add(e.exp_labels?.severity ?? '');
          firing.set(c.alertname, set);
        }
      }
      for (const [name, cases] of byAlert) {
        const fired = cases.filter((c) => c.firing).map((c) => c.at);
        if (fired.length === 0) continue;
        const before = cases.some((c) => !c.firing && c.at < Math.min(...fired));
        const after = cases.some((c) => !c.firing && c.at > Math.max(...fired));
        if (before && after) quietAround.add(name);
      }
    }
  }
  for (const f of RULE_FILES) t.ok(loaded.has(f), `${f} is loaded by a unit test file`);
  for (const a of ALERTS) {
    const sev = a.labels?.severity ?? '';
    t.ok(firing.get(a.alert)?.has(sev), `${a.alert}/${sev}: a test expects it firing, with summary, description and runbook_url`);
    t.ok(quietAround.has(a.alert), `${a.alert}: a test expects it quiet before it fires and after it resolves`);
  }
});

// ---------------------------------------------------------------------------------------------
// docs/alerts.md

function formatThreshold(value: number, unit: string): string {
  if (unit === 'ratio') return `${Number((value * 100).toFixed(2))}%`;
  if (unit === 'seconds') {
    for (const [n, s] of [
      [86400, 'd'],
      [3600, 'h'],
      [60, 'm'],
    ] as const) {
      if (value >= n && value % n === 0) return `${value / n}${s}`;
    }
    return `${value}s`;
  }
  return String(value);
}

t.test('docs/alerts.md lists every alert with its severity, default threshold and for:', async (t) => {
  const doc = read('docs/alerts.md');
  const section = doc.slice(doc.indexOf('## Every alert'), doc.indexOf('\n## ', doc.indexOf('## Every alert') + 1));
  const rows = new Map<string, string[]>();
  for (const line of section.split('\n')) {
    const m = /^\| `([A-Za-z]+)` \|/.exec(line);
    if (m) rows.set(m[1]!, line.split('|').map((c) => c.trim()));
  }
  t.same([...rows.keys()].filter((n) => !ALERT_NAMES.includes(n)), [], 'no row for an alert that does not exist');
  for (const name of ALERT_NAMES) {
    const cells = rows.get(name);
    if (!t.ok(cells, `${name} has a row`) || !cells) continue;
    const [, , severity = '', , threshold = '', forCell = ''] = cells;
    for (const a of ALERTS.filter((a) => a.alert === name)) {
      t.match(severity, a.labels?.severity ?? '?', `${name}: severity ${a.labels?.severity}`);
      t.ok(forCell.includes(`\`${a.for}\``), `${name}: for \`${a.for}\` in "${forCell}"`);
    }
    for (const th of THRESHOLDS.filter((th) => th.labels.alert === name && isDefault(th.labels))) {
      const text = `\`${formatThreshold(th.value, th.labels.unit ?? '')}\``;
      t.ok(threshold.includes(text), `${name}: threshold ${text} (${JSON.stringify(th.labels)}) in "${threshold}"`);
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Metric names

/** Names the rules read that Tocsin does not serve (yet), and who does. */
const ELSEWHERE: Readonly<Record<string, string>> = {
  up: 'Prometheus, for every scrape target',
};

t.test('every metric the rules read is served by Tocsin, or by the exporter named here', async (t) => {
  const { samples, containerFamilies: containers } = await servedByTocsin();
  const served = new Set(samples.map((s) => s.name));
  const recorded = new Set(RULES.flatMap((r) => (r.record ? [r.record] : [])));

  const used = new Map<string, Selector[]>();
  for (const r of RULES) {
    const exprs = [r.expr, ...(r.alert ? alertQueries(r as Alert) : [])];
    for (const sel of exprs.flatMap(selectors)) {
      if (sel.metric === '') continue;
      used.set(sel.metric, [...(used.get(sel.metric) ?? []), sel]);
    }
  }
  t.ok(used.size > 30, `${used.size} metric names read`);
  for (const [name, sels] of [...used].sort()) {
    const known = served.has(name) || containers.has(name) || recorded.has(name) || name in ELSEWHERE;
    t.ok(known, `${name} is served by Tocsin or listed with its source`);
    if (served.has(name)) {
      // The matchers on Tocsin's own series name labels they have, with values they take.
      // (instance and job are the scrape target's, added by Prometheus.)
      const have = samples.filter((s) => s.name === name);
      for (const m of fixed(sels.flatMap((s) => s.matchers)).filter((m) => m.name !== 'instance' && m.name !== 'job')) {
        if (m.op === '=' && m.value !== '') {
          t.ok(have.some((s) => s.labels[m.name] === m.value), `${name}{${m.name}="${m.value}"}: Tocsin serves such a series`);
        } else if (m.op === '=~') {
          t.ok(have.some((s) => matches(m, s.labels)), `${name}{${m.name}=~"${m.value}"}: Tocsin serves a matching series`);
        }
      }
    }
  }
  for (const [name, source] of Object.entries(ELSEWHERE)) {
    t.notOk(served.has(name) || containers.has(name), `${name} (${source}): Tocsin does not serve it yet; once it does, take it off this list and docs/alerts.md's`);
    if (name !== 'up') t.ok(used.has(name), `${name} is still read by a rule`);
  }
  const fromElsewhere = Object.keys(ELSEWHERE).filter((n) => used.has(n));
  t.comment(`read from other exporters: ${fromElsewhere.join(', ')}`);
  t.comment(`container families read: ${[...used.keys()].filter((n) => containers.has(n)).join(', ')}`);
});
