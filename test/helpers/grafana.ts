// The dashboards of grafana/*.json as tests read them: panels (rows' panels included), their
// queries, the template variables, and Grafana's interpolation of variables into PromQL.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './served-metrics.js';

export interface GrafanaTarget {
  readonly refId?: string;
  readonly expr?: string;
  readonly hide?: boolean;
}
export interface GrafanaPanel {
  readonly id?: number;
  readonly type?: string;
  readonly title?: string;
  readonly targets?: readonly GrafanaTarget[];
  readonly panels?: readonly GrafanaPanel[];
}
export interface GrafanaVariable {
  readonly name: string;
  readonly type: string;
  readonly query?: string | { readonly query?: string };
  readonly multi?: boolean;
  readonly includeAll?: boolean;
  readonly allValue?: string | null;
}
export interface GrafanaDashboard {
  readonly uid: string;
  readonly title: string;
  readonly panels?: readonly GrafanaPanel[];
  readonly templating?: { readonly list?: readonly GrafanaVariable[] };
}

export const GRAFANA_DIR = join(ROOT, 'grafana');

/** grafana/*.json by file name, sorted. */
export function loadDashboards(): { file: string; dash: GrafanaDashboard }[] {
  return readdirSync(GRAFANA_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, dash: JSON.parse(readFileSync(join(GRAFANA_DIR, file), 'utf8')) as GrafanaDashboard }));
}

/** Every panel, those inside collapsed rows included. */
export function allPanels(panels: readonly GrafanaPanel[] = []): GrafanaPanel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels)]);
}

/** $name, ${name}, ${name:format}, [[name]]: the ways Grafana lets a query name a variable. */
export const VARIABLE_REF = /\$\{([a-zA-Z_]\w*)(?::([^}]*))?\}|\$([a-zA-Z_]\w*)|\[\[([a-zA-Z_]\w*)(?::([^\]]*))?\]\]/g;

/** A variable's query text (a string, or the query field of the newer object form). */
export function variableQuery(v: GrafanaVariable): string {
  return typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
}

/** `label_values(selector, label)` -> [selector, label]; `label_values(label)` -> ['', label]. */
export function parseLabelValues(query: string): { selector: string; label: string } | undefined {
  const m = /^\s*label_values\(\s*(?:(.*),\s*)?([a-zA-Z_]\w*)\s*\)\s*$/s.exec(query);
  return m ? { selector: m[1]?.trim() ?? '', label: m[2]! } : undefined;
}

/** Grafana's prometheusRegularEscape: a regex escape written inside a PromQL string, so doubled. */
const regexEscape = (s: string) => s.replace(/\\/g, '\\\\\\\\').replace(/[$^*{}[\]'+?.()|]/g, '\\\\$&');

/** The value Grafana stores for a variable's "All" option. */
export const ALL = '$__all';

/**
 * Interpolates variables the way Grafana's Prometheus data source does: a single value as is
 * (regex-escaped for `:regex`), several (multi-value or All) regex-escaped and joined as (a|b).
 * Built-ins ($__rate_interval, ...) come from `builtins`; an unknown name throws.
 */
export function interpolate(
  expr: string,
  values: ReadonlyMap<string, readonly string[]>,
  variables: readonly GrafanaVariable[],
  builtins: Readonly<Record<string, string>>,
): string {
  return expr.replace(VARIABLE_REF, (_m, a?: string, fmtA?: string, b?: string, c?: string, fmtC?: string) => {
    const name = (a ?? b ?? c)!;
    const format = fmtA ?? fmtC;
    if (builtins[name] !== undefined) return builtins[name]!;
    const v = variables.find((x) => x.name === name);
    const vals = values.get(name);
    if (v === undefined || vals === undefined) throw new Error(`unknown variable $${name}`);
    // "All" with a custom all value (e.g. ".*") is that value, as written.
    if (vals.length === 1 && vals[0] === ALL && v.allValue) return v.allValue;
    const many = v.multi === true || v.includeAll === true;
    if (!many) return format === 'regex' ? regexEscape(vals[0] ?? '') : (vals[0] ?? '');
    const escaped = vals.map(regexEscape);
    return escaped.length === 1 ? escaped[0]! : `(${escaped.join('|')})`;
  });
}

/**
 * The dashboard's variables as Grafana resolves them on opening: each label_values() query run
 * (through `labelValues`) with the earlier variables filled in; a multi-value or All variable set
 * to All, a single one to its first value. `found` holds what each query returned.
 */
export async function resolveVariables(
  dash: GrafanaDashboard,
  labelValues: (selector: string, label: string) => Promise<string[]>,
  builtins: Readonly<Record<string, string>>,
): Promise<{ values: Map<string, string[]>; found: Map<string, string[]> }> {
  const variables = dash.templating?.list ?? [];
  const values = new Map<string, string[]>();
  const found = new Map<string, string[]>();
  for (const v of variables) {
    if (v.type === 'datasource') {
      values.set(v.name, ['prometheus']);
      continue;
    }
    const lv = parseLabelValues(variableQuery(v));
    if (v.type !== 'query' || lv === undefined) throw new Error(`${dash.uid}: variable ${v.name} is not a label_values() query`);
    const got = await labelValues(interpolate(lv.selector, values, variables, builtins), lv.label);
    found.set(v.name, got);
    values.set(v.name, v.includeAll === true && v.allValue ? [ALL] : v.multi === true || v.includeAll === true ? got : got.slice(0, 1));
  }
  return { values, found };
}

/** label_values() through Prometheus's HTTP API, over the five minutes before `now` (seconds). */
export function prometheusLabelValues(prometheus: string, now: number): (selector: string, label: string) => Promise<string[]> {
  const get = async (path: string, params: Record<string, string>): Promise<unknown> => {
    const res = await fetch(`${prometheus}/api/v1/${path}?${new URLSearchParams(params)}`);
    const body = (await res.json()) as { status: string; data: unknown; error?: string };
    if (body.status !== 'success') throw new Error(`${path} ${JSON.stringify(params)}: ${body.error}`);
    return body.data;
  };
  const range = { start: String(now - 300), end: String(now) };
  return async (selector, label) => {
    if (selector === '') return (await get(`label/${label}/values`, range)) as string[];
    const series = (await get('series', { 'match[]': selector, ...range })) as Record<string, string>[];
    return [...new Set(series.map((s) => s[label]).filter((v): v is string => v !== undefined))].sort();
  };
}
