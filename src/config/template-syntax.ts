// The syntax of route templates (relay.routes[].title_template / text_template), checked when
// the config is loaded so a typo or an Alertmanager-style Go template fails `check-config`
// instead of rendering as nothing in Slack. The relay renders with the same parser
// (src/relay/slack/template.ts), so what passes here is exactly what it understands.
//
// A deliberately small language: text with `{{ field }}` or `{{ field | filter }}` in it.
// Nothing can loop, call or reach outside the notification. Fields:
//   status receiver count firing resolved truncated alertname severity title externalURL
//   labels.NAME groupLabels.NAME annotations.NAME
// and, for people coming from Alertmanager, its spellings of the same values:
//   .Status .Receiver .ExternalURL .Alerts .Alerts.Firing .Alerts.Resolved .TruncatedAlerts
//   .CommonLabels.NAME .GroupLabels.NAME .CommonAnnotations.NAME
// Filters: upper, lower, and len (the Go spelling `.Alerts | len`; the values are counts already).

/** A value of the notification, named once whatever the spelling. */
export type SimpleField = 'status' | 'receiver' | 'count' | 'firing' | 'resolved' | 'truncated' | 'alertname' | 'severity' | 'title' | 'externalURL';
export type MapField = 'labels' | 'groupLabels' | 'annotations';
export type Filter = 'upper' | 'lower' | 'len';

export type TemplatePart =
  | { readonly text: string }
  | { readonly field: SimpleField; readonly filters: readonly Filter[] }
  | { readonly map: MapField; readonly key: string; readonly filters: readonly Filter[] };

export const TEMPLATE_FIELDS = ['status', 'receiver', 'count', 'firing', 'resolved', 'truncated', 'alertname', 'severity', 'title', 'externalURL', 'labels.NAME', 'groupLabels.NAME', 'annotations.NAME'] as const;
export const TEMPLATE_FILTERS = ['upper', 'lower'] as const;

const SIMPLE: Readonly<Record<string, SimpleField>> = {
  status: 'status',
  receiver: 'receiver',
  count: 'count',
  firing: 'firing',
  resolved: 'resolved',
  truncated: 'truncated',
  alertname: 'alertname',
  severity: 'severity',
  title: 'title',
  externalURL: 'externalURL',
  '.Status': 'status',
  '.Receiver': 'receiver',
  '.ExternalURL': 'externalURL',
  '.Alerts': 'count',
  '.Alerts.Firing': 'firing',
  '.Alerts.Resolved': 'resolved',
  '.TruncatedAlerts': 'truncated',
};

const MAPS: Readonly<Record<string, MapField>> = {
  labels: 'labels',
  groupLabels: 'groupLabels',
  annotations: 'annotations',
  '.CommonLabels': 'labels',
  '.GroupLabels': 'groupLabels',
  '.CommonAnnotations': 'annotations',
};

const FILTERS: readonly string[] = ['upper', 'lower', 'len'];
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TAG = /\{\{(.*?)\}\}/gs;
// Go template actions and syntax this language does not have.
const GO_KEYWORD = /^-?\s*(range|if|else|end|with|define|template|block|break|continue)\b/;
const GO_SYNTAX = /^-|-$|\$|\(|"|`|:=/;

/** Why `path` is not a field, with the nearest thing that is when there is one. */
function unknownField(path: string): string {
  const lower = path.replace(/^\./, '').toLowerCase();
  const hint = lower.startsWith('labels.') || lower.startsWith('annotations.')
    ? `; per-alert fields do not exist here: use {{ ${lower.split('.')[0]}.${path.split('.').pop()} }} for a value common to the group's alerts`
    : (() => {
        const near = Object.keys(SIMPLE).find((k) => k.replace(/^\./, '').toLowerCase() === lower);
        return near ? `; did you mean {{ ${near} }}?` : '';
      })();
  return `unknown field ${JSON.stringify(path)}${hint} (fields: ${TEMPLATE_FIELDS.join(', ')})`;
}

function parseTag(inner: string, problems: string[]): TemplatePart | undefined {
  const trimmed = inner.trim();
  if (GO_KEYWORD.test(trimmed) || GO_SYNTAX.test(trimmed)) {
    problems.push(`{{${inner}}} is Go template syntax, which Tocsin's templates do not have: only {{ field }} and {{ field | filter }}`);
    return undefined;
  }
  const [path = '', ...rawFilters] = trimmed.split('|').map((s) => s.trim());
  const filters: Filter[] = [];
  for (const f of rawFilters) {
    if (FILTERS.includes(f)) filters.push(f as Filter);
    else problems.push(`unknown filter ${JSON.stringify(f)} (filters: ${TEMPLATE_FILTERS.join(', ')})`);
  }
  const simple = SIMPLE[path];
  if (simple !== undefined) return { field: simple, filters };
  const dot = path.lastIndexOf('.');
  const map = dot > 0 ? MAPS[path.slice(0, dot)] : undefined;
  const key = path.slice(dot + 1);
  if (map !== undefined && LABEL_NAME.test(key)) return { map, key, filters };
  problems.push(path === '' ? 'empty {{ }}' : unknownField(path));
  return undefined;
}

export interface ParsedTemplate {
  readonly parts: readonly TemplatePart[];
  /** Empty when the template is fine. */
  readonly problems: readonly string[];
}

/** Splits a template into text and fields; tags it does not understand become problems (and render as nothing). */
export function parseTemplate(template: string): ParsedTemplate {
  const parts: TemplatePart[] = [];
  const problems: string[] = [];
  let last = 0;
  for (const m of template.matchAll(TAG)) {
    if (m.index > last) parts.push({ text: template.slice(last, m.index) });
    const part = parseTag(m[1]!, problems);
    if (part) parts.push(part);
    last = m.index + m[0].length;
  }
  const rest = template.slice(last);
  if (rest) parts.push({ text: rest });
  if (template.replace(TAG, '').includes('{{')) problems.push('"{{" without a closing "}}"');
  return { parts, problems: [...new Set(problems)] };
}

/** Problems with a template (unknown fields or filters, Go template syntax, unclosed tags); empty when fine. */
export function checkTemplate(template: string): string[] {
  return [...parseTemplate(template).problems];
}
