// The Grafana dashboards of grafana/*.json, checked without a Grafana server:
// - each file parses and is a dashboard of Grafana's current JSON model: uid (= the file
//   name, stable), title, schemaVersion, panels with unique ids that fit the 24-column grid
//   without overlapping, a `datasource` variable that every panel, query and variable uses;
// - every panel says what it shows (title, description) and in which unit;
// - every PromQL expression (panel queries, and the selector inside each variable's
//   label_values()) parses: with the template variables filled in, they are written as
//   recording rules to a temporary file and `promtool check rules` reads it;
// - every metric name they read is one Tocsin serves (test/helpers/served-metrics.ts: the
//   collectors run on the fixture /proc tree, the relay's registry, the containers
//   collector's families), a recording rule of rules/*.yml, or in the short list below;
//   label matchers with fixed values on Tocsin's own series name labels and values those
//   series have; and every tocsin:threshold a panel draws exists in rules/thresholds.yml.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump, load } from 'js-yaml';
import { COLLECTORS } from '../../src/collectors/index.js';
import { requireBinary } from '../helpers/bin.js';
import { VARIABLE_REF } from '../helpers/grafana.js';
import type { Sample } from '../helpers/exposition.js';
import { ROOT, servedByTocsin } from '../helpers/served-metrics.js';

// ---------------------------------------------------------------------------------------------
// The dashboards

interface Ref {
  readonly type?: string;
  readonly uid?: string;
}
interface Target {
  readonly refId?: string;
  readonly expr?: string;
  readonly datasource?: Ref;
  readonly format?: string;
  readonly instant?: boolean;
}
interface FieldProps {
  readonly id: string;
  readonly value?: unknown;
}
interface Panel {
  readonly id?: number;
  readonly type?: string;
  readonly title?: string;
  readonly description?: string;
  readonly datasource?: Ref;
  readonly gridPos?: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly targets?: readonly Target[];
  readonly panels?: readonly Panel[];
  readonly collapsed?: boolean;
  readonly fieldConfig?: {
    readonly defaults?: { readonly unit?: string };
    readonly overrides?: readonly { readonly matcher: { readonly id: string; readonly options?: unknown }; readonly properties: readonly FieldProps[] }[];
  };
  readonly transformations?: readonly { readonly id: string; readonly options?: Record<string, unknown> }[];
}
interface Variable {
  readonly name: string;
  readonly type: string;
  readonly query?: string | { readonly query?: string };
  readonly datasource?: Ref;
}
interface Dashboard {
  readonly uid?: string;
  readonly title?: string;
  readonly id?: number | null;
  readonly schemaVersion?: number;
  readonly tags?: readonly string[];
  readonly panels?: readonly Panel[];
  readonly templating?: { readonly list?: readonly Variable[] };
}

const GRAFANA = join(ROOT, 'grafana');
const FILES = readdirSync(GRAFANA)
  .filter((f) => f.endsWith('.json'))
  .sort();

const DASHBOARDS: { file: string; dash: Dashboard; error?: string }[] = FILES.map((file) => {
  try {
    return { file, dash: JSON.parse(readFileSync(join(GRAFANA, file), 'utf8')) as Dashboard };
  } catch (err) {
    return { file, dash: {}, error: (err as Error).message };
  }
});

/** Every panel, the ones inside collapsed rows included. */
const allPanels = (d: Dashboard): Panel[] => (d.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])]);
const queryPanels = (d: Dashboard): Panel[] => allPanels(d).filter((p) => p.type !== 'row');
const variables = (d: Dashboard): readonly Variable[] => d.templating?.list ?? [];
const variableQuery = (v: Variable): string => (typeof v.query === 'string' ? v.query : (v.query?.query ?? ''));

/** Every PromQL expression of a dashboard, with where it is. */
function expressions(d: Dashboard): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  for (const p of queryPanels(d)) {
    for (const tg of p.targets ?? []) out.push({ where: `panel ${p.id} "${p.title}" query ${tg.refId}`, expr: tg.expr ?? '' });
  }
  for (const v of variables(d).filter((v) => v.type === 'query')) {
    const inner = labelValuesSelector(variableQuery(v));
    if (inner !== undefined) out.push({ where: `variable ${v.name}`, expr: inner });
  }
  return out;
}

/** The series selector of Grafana's `label_values(selector, label)` variable query. */
function labelValuesSelector(query: string): string | undefined {
  return /^\s*label_values\(\s*(.+?)\s*,\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*$/s.exec(query)?.[1];
}

// ---------------------------------------------------------------------------------------------
// Template variables

/** Grafana's built-in interval variables, and what they are replaced with for promtool. */
const BUILTIN: Readonly<Record<string, string>> = { __rate_interval: '5m', __interval: '1m', __range: '1h' };
/** What a dashboard variable becomes for promtool: they are used inside label matcher values only. */
const PLACEHOLDER = 'x';

/** Names of the variables an expression uses: $name, ${name}, ${name:format}, [[name]]. */
function variableRefs(text: string): string[] {
  return [...text.matchAll(VARIABLE_REF)].map((m) => m[1] ?? m[3] ?? m[4]!);
}

function substitute(expr: string): string {
  return expr.replace(VARIABLE_REF, (_, a?: string, _fa?: string, b?: string, c?: string) => {
    const name = (a ?? b ?? c)!;
    return BUILTIN[name] ?? PLACEHOLDER;
  });
}

// ---------------------------------------------------------------------------------------------
// PromQL, just enough of it: metric names and selectors

const KEYWORDS = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'inf', 'nan', 'atan2']);
const STRING = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g;

/**
 * Metric names an expression reads: identifiers that are not functions (followed by `(`),
 * keywords, numbers or durations, label names (inside `{}` or a `by (...)` list) or strings,
 * plus `{__name__="..."}`.
 */
function metricNames(expr: string): string[] {
  const names = new Set<string>();
  for (const m of expr.matchAll(/__name__\s*=\s*"((?:[^"\\]|\\.)*)"/g)) names.add(m[1]!);
  const s = expr
    .replace(STRING, '""')
    .replace(/#[^\n]*/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, ' ')
    .replace(/\boffset\s+-?[0-9a-zA-Z]+/gi, ' ')
    .replace(/@\s*[0-9.]+/g, ' ');
  for (const m of s.matchAll(/(?<![\w:.])([a-zA-Z_:][\w:]*)(?![\w:]|\s*\()/g)) {
    if (!KEYWORDS.has(m[1]!.toLowerCase())) names.add(m[1]!);
  }
  return [...names];
}

interface Matcher {
  readonly name: string;
  readonly op: string;
  readonly value: string;
}

/** `metric{matchers}` selectors of an expression (bare names have no matchers to check). */
function selectors(expr: string): { metric: string; matchers: Matcher[] }[] {
  const re = /(?<![\w:."])([a-zA-Z_:][\w:]*)\s*\{((?:[^}"]|"(?:[^"\\]|\\.)*")*)\}/g;
  return [...expr.matchAll(re)].map((m) => ({
    metric: m[1]!,
    matchers: [...m[2]!.matchAll(/([a-zA-Z_]\w*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)].map((x) => ({
      name: x[1]!,
      op: x[2]!,
      value: x[3]!.replace(/\\(.)/g, '$1'),
    })),
  }));
}

t.test('the metric name tokenizer', async (t) => {
  const cases: [string, string[]][] = [
    ['node_load1', ['node_load1']],
    [
      'sum by (instance, mode) (rate(node_cpu_seconds_total{mode!="idle", cpu=~"1|2"}[5m])) / on(instance) group_left() tocsin_host_cpus',
      ['node_cpu_seconds_total', 'tocsin_host_cpus'],
    ],
    ['histogram_quantile(0.99, sum by (le) (rate(x_bucket{job="$job"}[$__rate_interval])))', ['x_bucket']],
    ['tocsin:threshold{alert="HostCpuHigh"} offset 5m > bool 0.5', ['tocsin:threshold']],
    ['count(ALERTS{alertstate="firing"}) or vector(0)', ['ALERTS']],
    ['time() - max(node_boot_time_seconds)', ['node_boot_time_seconds']],
    ['{__name__="up", job="x"}', ['up']],
    ['label_replace(up, "host", "$1", "instance", "(.*):.*")', ['up']],
    ['1e3 * 0x1F + Inf - NaN + 5', []],
    ['sum without (cpu, mode) (a) unless ignoring (mode) b', ['a', 'b']],
    ['max_over_time(rate(c_total[5m])[1h:1m]) and d @ 1609746000', ['c_total', 'd']],
    ['sum(e) by (instance) * on (instance) group_left (nodename) f', ['e', 'f']],
    ['g > on() group_left tocsin:threshold', ['g', 'tocsin:threshold']],
    ['sum (h)\n  # a comment naming not_a_metric\n  / i', ['h', 'i']],
  ];
  for (const [expr, want] of cases) t.same(metricNames(expr).sort(), want.sort(), expr);
  t.same(selectors('a{x="1", y=~"b|c"} / b'), [
    {
      metric: 'a',
      matchers: [
        { name: 'x', op: '=', value: '1' },
        { name: 'y', op: '=~', value: 'b|c' },
      ],
    },
  ]);
  t.equal(substitute('rate(x{instance="$instance", g=~"${groupname:regex}"}[$__rate_interval]) [[job]] $__range'), 'rate(x{instance="x", g=~"x"}[5m]) x 1h');
  t.same(variableRefs('x{a="$a", b="${b}", c="[[c]]"}[$__interval] "$1"'), ['a', 'b', 'c', '__interval']);
  t.equal(labelValuesSelector('label_values(node_boot_time_seconds{job="$job"}, instance)'), 'node_boot_time_seconds{job="$job"}');
});

// ---------------------------------------------------------------------------------------------

t.test('the dashboard files', async (t) => {
  t.same(FILES, ['tocsin-containers.json', 'tocsin-host.json', 'tocsin-overview.json', 'tocsin-probes.json', 'tocsin-processes.json', 'tocsin-relay.json', 'tocsin-services.json'], 'one file per dashboard');
  for (const { file, dash, error } of DASHBOARDS) {
    t.notOk(error, `${file} parses as JSON`);
    t.equal(dash.uid, file.replace(/\.json$/, ''), `${file}: uid is the file name, so links and imports stay stable`);
    t.match(dash.title ?? '', /^Tocsin \/ \S/, `${file}: title "Tocsin / ..."`);
    t.ok(typeof dash.schemaVersion === 'number' && dash.schemaVersion >= 36, `${file}: schemaVersion ${dash.schemaVersion} (Grafana 9+ JSON model)`);
    t.equal(dash.id ?? null, null, `${file}: no instance-specific id, so it imports anywhere`);
    t.ok(dash.tags?.includes('tocsin'), `${file}: tagged tocsin (the dashboards link to each other by tag)`);
    t.ok(queryPanels(dash).length >= 8, `${file}: ${queryPanels(dash).length} panels`);
    t.comment(`${file}: ${queryPanels(dash).length} panels in ${allPanels(dash).length - queryPanels(dash).length} rows, ${expressions(dash).length} expressions`);
  }
});

t.test('panels have unique ids and fit the grid without overlapping', async (t) => {
  for (const { file, dash } of DASHBOARDS) {
    const ids = allPanels(dash).map((p) => p.id);
    t.ok(
      ids.every((id) => Number.isInteger(id)),
      `${file}: every panel has an id`,
    );
    t.same(
      ids.filter((id, i) => ids.indexOf(id) !== i),
      [],
      `${file}: panel ids are unique`,
    );
    const boxes = (dash.panels ?? []).map((p) => ({ p, g: p.gridPos }));
    for (const { p, g } of boxes) {
      if (!t.ok(g, `${file}: panel ${p.id} has a gridPos`) || !g) continue;
      t.ok(g.x >= 0 && g.y >= 0 && g.w > 0 && g.h > 0 && g.x + g.w <= 24, `${file}: panel ${p.id} "${p.title}" lies within the 24 columns`);
    }
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i]!.g;
        const b = boxes[j]!.g;
        if (!a || !b) continue;
        const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        t.notOk(overlap, `${file}: panels ${boxes[i]!.p.id} and ${boxes[j]!.p.id} do not overlap`);
      }
    }
  }
});

t.test('a datasource variable, used by every panel, query and variable', async (t) => {
  const isVar = (r: Ref | undefined) => r?.type === 'prometheus' && r.uid === '${datasource}';
  for (const { file, dash } of DASHBOARDS) {
    const ds = variables(dash).find((v) => v.name === 'datasource');
    t.ok(ds && ds.type === 'datasource' && ds.query === 'prometheus', `${file}: a "datasource" variable listing the Prometheus data sources`);
    for (const p of queryPanels(dash)) {
      t.ok(isVar(p.datasource), `${file}: panel ${p.id} "${p.title}" uses \${datasource}`);
      for (const tg of p.targets ?? []) t.ok(isVar(tg.datasource), `${file}: panel ${p.id} query ${tg.refId} uses \${datasource}`);
    }
    for (const v of variables(dash).filter((v) => v.type === 'query')) t.ok(isVar(v.datasource), `${file}: variable ${v.name} uses \${datasource}`);
  }
});

/** Grafana unit ids the dashboards may use (a typo would show raw numbers). */
const UNITS = new Set([
  'none', 'short', 'percent', 'percentunit', 'bytes', 'decbytes', 'bits', 'Bps', 'binBps', 'bps', 's', 'ms', 'dtdurations',
  'cps', 'cpm', 'ops', 'opm', 'iops', 'reqps', 'bool', 'bool_yes_no', 'bool_on_off', 'dateTimeAsIso', 'dateTimeFromNow',
]);
const PANEL_TYPES = new Set(['row', 'timeseries', 'stat', 'table', 'gauge', 'bargauge', 'text', 'state-timeline']);

t.test('every panel says what it shows, in which unit, with well-formed queries', async (t) => {
  for (const { file, dash } of DASHBOARDS) {
    for (const p of allPanels(dash)) {
      const where = `${file}: panel ${p.id} "${p.title}"`;
      t.ok(PANEL_TYPES.has(p.type ?? ''), `${where}: type ${p.type} is a current panel type`);
      t.ok((p.title ?? '').trim() !== '', `${file}: panel ${p.id} has a title`);
      if (p.type === 'row') continue;
      t.ok((p.description ?? '').trim().length >= 20, `${where}: has a description`);
      const unit = p.fieldConfig?.defaults?.unit;
      if (p.type !== 'table') t.ok(unit !== undefined && UNITS.has(unit), `${where}: unit ${unit} is a known Grafana unit`);
      else if (unit !== undefined) t.ok(UNITS.has(unit), `${where}: unit ${unit} is a known Grafana unit`);
      const overrides = p.fieldConfig?.overrides ?? [];
      for (const o of overrides) {
        for (const prop of o.properties.filter((x) => x.id === 'unit')) t.ok(UNITS.has(String(prop.value)), `${where}: override unit ${String(prop.value)} is known`);
      }
      const targets = p.targets ?? [];
      t.ok(targets.length > 0, `${where}: has queries`);
      const refIds = targets.map((tg) => tg.refId ?? '');
      t.same(
        refIds.filter((r, i) => r === '' || refIds.indexOf(r) !== i),
        [],
        `${where}: refIds are set and unique`,
      );
      for (const tg of targets) t.ok((tg.expr ?? '').trim() !== '', `${where}: query ${tg.refId} has an expression`);
      if (p.type === 'table') {
        for (const tg of targets) t.ok(tg.format === 'table' && tg.instant === true, `${where}: query ${tg.refId} is an instant query in table format`);
      }
      // Overrides and table columns name queries that exist.
      for (const o of overrides.filter((o) => o.matcher.id === 'byFrameRefID')) {
        t.ok(refIds.includes(String(o.matcher.options)), `${where}: override for query ${String(o.matcher.options)} has that query`);
      }
      for (const tr of p.transformations ?? []) {
        for (const key of Object.values(tr.options ?? {}).flatMap((v) => (v && typeof v === 'object' ? Object.keys(v) : []))) {
          const m = /^Value #(.+)$/.exec(key);
          if (m) t.ok(refIds.includes(m[1]!), `${where}: ${tr.id} column "${key}" is a query's`);
        }
      }
    }
  }
});

t.test('the variables the expressions use exist, and variables use only earlier ones', async (t) => {
  for (const { file, dash } of DASHBOARDS) {
    const vars = variables(dash).map((v) => v.name);
    for (const { where, expr } of expressions(dash)) {
      for (const name of variableRefs(expr)) {
        if (name.startsWith('__')) t.ok(name in BUILTIN, `${file} ${where}: $${name} is one of ${Object.keys(BUILTIN).join(', ')}`);
        else t.ok(vars.includes(name), `${file} ${where}: $${name} is a variable of the dashboard`);
      }
    }
    variables(dash).forEach((v, i) => {
      for (const name of variableRefs(variableQuery(v))) {
        t.ok(vars.slice(0, i).includes(name), `${file}: variable ${v.name} uses $${name}, defined before it`);
      }
      if (v.type === 'query') t.ok(labelValuesSelector(variableQuery(v)) !== undefined, `${file}: variable ${v.name} is a label_values() query`);
    });
  }
});

t.test('every expression parses: promtool check rules', async (t) => {
  const promtool = requireBinary('promtool', 'prometheus');
  const groups = DASHBOARDS.map(({ file, dash }) => ({
    name: file,
    rules: expressions(dash).map(({ expr }, i) => ({ record: `grafana_check_${file.replace(/\W/g, '_')}_${i}`, expr: substitute(expr) })),
  }));
  const count = groups.reduce((n, g) => n + g.rules.length, 0);
  t.ok(count > 100, `${count} expressions`);
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-grafana-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'dashboards.rules.yml');
  writeFileSync(file, dump({ groups }, { lineWidth: -1 }));
  const run = spawnSync(promtool, ['check', 'rules', file], { encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL' });
  t.error(run.error, 'promtool ran within 30 s');
  const output = `${run.stdout}${run.stderr}`;
  t.equal(run.status, 0, `promtool check rules accepts every expression:\n${output}`);
  t.match(output, new RegExp(`SUCCESS: ${count} rules found`), 'and counted them all');
  if (run.status !== 0) {
    // Name the dashboard and panel of each rejected rule.
    for (const m of output.matchAll(/group "([^"]+)", rule (\d+)/g)) {
      const d = DASHBOARDS.find((x) => x.file === m[1]);
      const e = d && expressions(d.dash)[Number(m[2]) - 1];
      if (e) t.fail(`${m[1]} ${e.where}: ${e.expr}`);
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Metric names

/** Names the dashboards read that Tocsin does not serve, and who does. Keep it short. */
const ELSEWHERE: Readonly<Record<string, string>> = {
  ALERTS: "Prometheus itself: one series per pending or firing alert of its rules (the relay dashboard's alert list)",
  up: "Prometheus itself: 1 when the last scrape of a target succeeded, 0 when not (the overview's hosts up and down)",
};

interface RuleFile {
  readonly groups: readonly { readonly rules: readonly { readonly record?: string; readonly expr: string; readonly labels?: Record<string, string> }[] }[];
}
const RULES = readdirSync(join(ROOT, 'rules'))
  .filter((f) => f.endsWith('.yml'))
  .flatMap((f) => (load(readFileSync(join(ROOT, 'rules', f), 'utf8')) as RuleFile).groups.flatMap((g) => g.rules));
/** Series recorded by the shipped rules (tocsin:threshold, ...). */
const RECORDED = new Set(RULES.flatMap((r) => (r.record ? [r.record] : [])));
const THRESHOLDS = RULES.filter((r) => r.record === 'tocsin:threshold').map((r) => r.labels ?? {});

/** What Tocsin serves, collected once for the tests below. */
const SERVED = servedByTocsin();

t.test('every metric the dashboards read is served by Tocsin, recorded by its rules, or listed', async (t) => {
  const served = await SERVED;
  t.ok(served.containerFamilies.has('tocsin_container_state') && served.containerFamilies.has('container_cpu_usage_seconds_total'), 'container family names found');
  const used = new Map<string, Set<string>>();
  for (const { file, dash } of DASHBOARDS) {
    for (const { where, expr } of expressions(dash)) {
      for (const name of metricNames(expr)) used.set(name, (used.get(name) ?? new Set()).add(`${file} ${where}`));
    }
  }
  t.ok(used.size > 60, `${used.size} metric names read`);
  for (const [name, where] of [...used].sort(([a], [b]) => a.localeCompare(b))) {
    const known = served.names.has(name) || RECORDED.has(name) || name in ELSEWHERE;
    t.ok(known, `${name} (${[...where][0]}) is served by Tocsin, recorded by rules/*.yml or listed with its source`);
  }
  for (const [name, source] of Object.entries(ELSEWHERE)) {
    t.notOk(served.names.has(name), `${name} (${source}) is not Tocsin's: once it is, take it off the list`);
    t.ok(used.has(name), `${name} is still read by a dashboard`);
  }
  const family = (n: string) => (served.containerFamilies.has(n) ? 'containers' : n.startsWith('tocsin_relay_') ? 'relay' : served.names.has(n) ? 'exporter' : 'other');
  for (const kind of ['exporter', 'containers', 'relay', 'other']) {
    t.comment(`${kind}: ${[...used.keys()].filter((n) => family(n) === kind).sort().join(', ')}`);
  }
});

/** Values a label takes that the fixture run cannot show: every collector's name, containers included. */
const EXTRA_VALUES: Readonly<Record<string, readonly string[]>> = { collector: Object.keys(COLLECTORS) };

t.test("label matchers on Tocsin's series name labels and values they have", async (t) => {
  const served = await SERVED;
  const byName = new Map<string, Sample[]>();
  for (const s of served.samples) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
  const anchored = (re: string) => new RegExp(`^(?:${re})$`);
  let checked = 0;
  for (const { file, dash } of DASHBOARDS) {
    for (const { where, expr } of expressions(dash)) {
      for (const sel of selectors(expr)) {
        const have = byName.get(sel.metric);
        if (!have) continue; // containers (no engine here), recording rules, ALERTS
        for (const m of sel.matchers) {
          if (m.name === 'instance' || m.name === 'job') continue; // the scrape target's, added by Prometheus
          const what = `${file} ${where}: ${sel.metric}{${m.name}${m.op}"${m.value}"}`;
          checked++;
          t.ok(
            have.some((s) => m.name in s.labels),
            `${what}: ${sel.metric} has a ${m.name} label`,
          );
          if (m.value.includes('$') || (m.op !== '=' && m.op !== '=~') || m.value === '') continue;
          const values = [...have.map((s) => s.labels[m.name] ?? ''), ...(EXTRA_VALUES[m.name] ?? [])];
          const ok = m.op === '=' ? values.includes(m.value) : values.some((v) => anchored(m.value).test(v));
          t.ok(ok, `${what}: Tocsin serves such a series`);
        }
      }
    }
  }
  t.ok(checked >= 40, `${checked} matchers checked`);
});

t.test('every threshold a panel draws is one of rules/thresholds.yml', async (t) => {
  const alerts = new Set(THRESHOLDS.map((l) => l.alert));
  let drawn = 0;
  for (const { file, dash } of DASHBOARDS) {
    for (const { where, expr } of expressions(dash)) {
      for (const sel of selectors(expr).filter((s) => s.metric === 'tocsin:threshold')) {
        drawn++;
        const alert = sel.matchers.find((m) => m.name === 'alert' && m.op === '=');
        if (!t.ok(alert && alerts.has(alert.value), `${file} ${where}: tocsin:threshold{alert="${alert?.value}"} is an alert's threshold`)) continue;
        const fixed = sel.matchers.filter((m) => m.op === '=' && !m.value.includes('$'));
        t.ok(
          THRESHOLDS.some((l) => fixed.every((m) => (l[m.name] ?? '') === m.value)),
          `${file} ${where}: ${JSON.stringify(fixed)} matches a threshold of rules/thresholds.yml`,
        );
      }
    }
  }
  t.ok(drawn >= 10, `${drawn} threshold lines`);
});
