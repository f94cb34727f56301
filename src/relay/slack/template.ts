// User templates for a route's title and intro text (Presentation.titleTemplate / textTemplate).
//
// The language (fields, filters, Alertmanager spellings) and its parser live in
// src/config/template-syntax.ts, so the config check refuses exactly what this cannot render.
// Here: the values. Values are escaped for where they land (mrkdwn for the intro text, where
// `<!channel>` in a label value shows as text; plain for the title header); the template's own
// text is trusted configuration and may use mrkdwn and mentions. A tag the parser does not
// understand renders as nothing (the config check has refused it before it gets here).

import { parseTemplate, type SimpleField, type TemplatePart } from '../../config/template-syntax.js';
import type { AlertmanagerNotification } from '../types.js';
import { escapeMrkdwn, oneLine, stripControl } from './mrkdwn.js';
import { viewNotification, type NotificationView } from './model.js';

export { checkTemplate, TEMPLATE_FIELDS, TEMPLATE_FILTERS } from '../../config/template-syntax.js';

/** How a value is made safe for its destination. */
export type Escape = (value: string) => string;

/** For mrkdwn text objects. */
export const escapeForMrkdwn: Escape = (v) => escapeMrkdwn(v);
/** For plain_text objects (the header): nothing is parsed there, only control characters go. */
export const escapeForPlain: Escape = (v) => stripControl(v);

const VALUES: Readonly<Record<SimpleField, (v: NotificationView) => string>> = {
  status: (v) => v.status,
  receiver: (v) => v.notification.receiver,
  count: (v) => String(v.count),
  firing: (v) => String(v.firing.length),
  resolved: (v) => String(v.resolved.length),
  truncated: (v) => String(v.truncated),
  alertname: (v) => v.name,
  severity: (v) => v.severity,
  title: (v) => v.title,
  externalURL: (v) => v.notification.externalURL,
};

function value(part: Exclude<TemplatePart, { text: string }>, v: NotificationView): string {
  if ('field' in part) return VALUES[part.field](v);
  const n = v.notification;
  const map = part.map === 'labels' ? n.commonLabels : part.map === 'groupLabels' ? n.groupLabels : n.commonAnnotations;
  return map[part.key] ?? '';
}

function run(template: string, v: NotificationView, escape: Escape): string {
  return parseTemplate(template)
    .parts.map((part) => {
      if ('text' in part) return part.text;
      let out = value(part, v);
      for (const f of part.filters) out = f === 'upper' ? out.toUpperCase() : f === 'lower' ? out.toLowerCase() : out;
      return escape(out);
    })
    .join('');
}

/** Renders a template for a notification (or for its precomputed view). */
export function renderTemplate(
  template: string,
  n: AlertmanagerNotification | NotificationView,
  escape: Escape = escapeForMrkdwn,
): string {
  const v = 'notification' in n ? n : viewNotification(n);
  return run(template, v, escape);
}

/** A title template rendered for the header: one line, plain text. */
export function renderTitle(template: string, n: AlertmanagerNotification | NotificationView): string {
  return oneLine(renderTemplate(template, n, escapeForPlain));
}
