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
