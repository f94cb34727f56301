// User templates for a route's title and intro text (Presentation.titleTemplate / textTemplate).
//
// A deliberately small, safe language: text with `{{ field }}` or `{{ field | filter }}` in it.
// Nothing can loop, call or reach outside the notification. Fields:
//
//   {{ status }}            firing | resolved ("firing" while any alert of the group fires)
//   {{ receiver }}          the Alertmanager receiver name
//   {{ count }}             alerts in the group, including those Alertmanager truncated
//   {{ firing }}            firing alerts listed in the notification
//   {{ resolved }}          resolved alerts listed in the notification
//   {{ truncated }}         alerts Alertmanager left out (max_alerts)
//   {{ alertname }}         the alert name (or names, when a group holds several)
//   {{ severity }}          critical | warning | info | other
//   {{ title }}             the default title, e.g. "[FIRING:2] ContainerStopped web-1:9464"
//   {{ externalURL }}       Alertmanager's external URL
//   {{ labels.NAME }}       a common label (same value on every alert), e.g. {{ labels.instance }}
//   {{ groupLabels.NAME }}  a grouping label
//   {{ annotations.NAME }}  a common annotation, e.g. {{ annotations.summary }}
//
// Filters: `upper`, `lower`. For people coming from Alertmanager templates the Go spellings work too:
// `.Status`, `.Receiver`, `.ExternalURL`, `.CommonLabels.NAME`, `.CommonAnnotations.NAME`,
// `.GroupLabels.NAME`, `.Alerts | len`, `.Alerts.Firing | len`, `.Alerts.Resolved | len`.
//
// Unknown fields render as nothing and unknown filters are ignored; `checkTemplate` reports both so
// configuration checks can warn. Values are escaped for where they land (mrkdwn for the intro text,
// where `<!channel>` in a label value shows as text; plain for the title header); the template's
// own text is trusted configuration and may use mrkdwn and mentions.

import type { AlertmanagerNotification } from '../types.js';
import { escapeMrkdwn, oneLine, stripControl } from './mrkdwn.js';
import { viewNotification, type NotificationView } from './model.js';

export const TEMPLATE_FIELDS = [
  'status',
  'receiver',
  'count',
  'firing',
  'resolved',
  'truncated',
  'alertname',
  'severity',
  'title',
  'externalURL',
  'labels.NAME',
  'groupLabels.NAME',
  'annotations.NAME',
] as const;

export const TEMPLATE_FILTERS = ['upper', 'lower'] as const;

/** How a value is made safe for its destination. */
export type Escape = (value: string) => string;

/** For mrkdwn text objects. */
export const escapeForMrkdwn: Escape = (v) => escapeMrkdwn(v);
/** For plain_text objects (the header): nothing is parsed there, only control characters go. */
export const escapeForPlain: Escape = (v) => stripControl(v);

const TAG = /\{\{(.*?)\}\}/gs;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

type Lookup = { value: string } | { unknown: string };

const SIMPLE: Record<string, (v: NotificationView) => string> = {
  status: (v) => v.status,
  receiver: (v) => v.notification.receiver,
  count: (v) => String(v.count),
  alerts: (v) => String(v.count),
  firing: (v) => String(v.firing.length),
  'alerts.firing': (v) => String(v.firing.length),
  resolved: (v) => String(v.resolved.length),
  'alerts.resolved': (v) => String(v.resolved.length),
  truncated: (v) => String(v.truncated),
  truncatedalerts: (v) => String(v.truncated),
  alertname: (v) => v.name,
  severity: (v) => v.severity,
  title: (v) => v.title,
  externalurl: (v) => v.notification.externalURL,
};

const MAPS: Record<string, (n: AlertmanagerNotification) => Readonly<Record<string, string>>> = {
  labels: (n) => n.commonLabels,
  commonlabels: (n) => n.commonLabels,
  grouplabels: (n) => n.groupLabels,
  annotations: (n) => n.commonAnnotations,
  commonannotations: (n) => n.commonAnnotations,
};

function lookup(path: string, v: NotificationView): Lookup {
  const p = path.trim().replace(/^\./, '');
  const simple = SIMPLE[p.toLowerCase()];
  if (simple !== undefined) return { value: simple(v) };
  const dot = p.indexOf('.');
  if (dot > 0) {
    const map = MAPS[p.slice(0, dot).toLowerCase()];
    const key = p.slice(dot + 1);
    if (map !== undefined && NAME.test(key)) return { value: map(v.notification)[key] ?? '' };
  }
  return { unknown: p };
}

function applyFilter(value: string, filter: string): string | undefined {
  switch (filter) {
    case 'upper':
      return value.toUpperCase();
    case 'lower':
      return value.toLowerCase();
    case 'len': // `.Alerts.Firing | len`: the fields are counts already
      return value;
    default:
      return undefined;
  }
}

interface Rendered {
  readonly text: string;
  readonly problems: string[];
}

function run(template: string, v: NotificationView, escape: Escape): Rendered {
  const problems: string[] = [];
  const text = template.replace(TAG, (_m, inner: string) => {
    const [path = '', ...filters] = inner.split('|').map((s) => s.trim());
    const found = lookup(path, v);
    if ('unknown' in found) {
      problems.push(`unknown field ${JSON.stringify(found.unknown)}`);
      return '';
    }
    let value = found.value;
    for (const f of filters) {
      const out = applyFilter(value, f);
      if (out === undefined) problems.push(`unknown filter ${JSON.stringify(f)}`);
      else value = out;
    }
    return escape(value);
  });
  if (template.replace(TAG, '').includes('{{')) problems.push('"{{" without a closing "}}"');
  return { text, problems };
}

/** Renders a template for a notification (or for its precomputed view). */
export function renderTemplate(
  template: string,
  n: AlertmanagerNotification | NotificationView,
  escape: Escape = escapeForMrkdwn,
): string {
  const v = 'notification' in n ? n : viewNotification(n);
  return run(template, v, escape).text;
}

/** A title template rendered for the header: one line, plain text. */
export function renderTitle(template: string, n: AlertmanagerNotification | NotificationView): string {
  return oneLine(renderTemplate(template, n, escapeForPlain));
}

/** Problems with a template (unknown fields or filters, unclosed tags); empty when fine. */
export function checkTemplate(template: string): string[] {
  const probe: AlertmanagerNotification = {
    version: '4',
    groupKey: '',
    status: 'firing',
    receiver: '',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: '',
    alerts: [],
  };
  return [...new Set(run(template, viewNotification(probe), (x) => x).problems)];
}
