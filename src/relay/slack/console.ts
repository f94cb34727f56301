// A notification as readable plain text for the console destination (and for people reading logs):
//
//   [FIRING:2] ContainerStopped (critical) web-1:9464
//     - Container api stopped: Container api exited with code 137. [container=api] since 2026-11-21 23:43 Asia/Seoul (firing for 12m)
//     - Container worker stopped: ...
//     Links: silence http://alertmanager.example:9093/#/silences/new?filter=...
//
// One line per alert, control characters removed (a label value cannot move the cursor or fake a
// line), no Slack escaping. Route templates and mentions are Slack matters and are not used here.

import type { AlertmanagerNotification } from '../types.js';
import type { FormatOptions } from './format.js';
import { oneLine, truncate } from './mrkdwn.js';
import { alertTimes, lateness, lateNote, viewNotification, type AlertView, type Lateness, type Link, type NotificationView } from './model.js';

/** Alerts listed before "…and N more": the console is for reading, not for archiving. */
export const CONSOLE_MAX_ALERTS = 50;
const DESCRIPTION_MAX = 300;

function links(ls: readonly Link[]): string {
  return ls.map((l) => `${l.label.toLowerCase()} ${l.url}`).join(' | ');
}

function alertLine(a: AlertView, v: NotificationView, tz: string, now: Date, late: Lateness | undefined): string {
  const what = oneLine(a.summary ?? (v.commonSummary === undefined ? a.alertname : ''));
  const description = a.description !== undefined ? truncate(oneLine(a.description), DESCRIPTION_MAX) : '';
  const text = [what, description].filter((x) => x !== '').join(': ');
  const labels = a.labels.length > 0 ? `[${a.labels.map(([k, val]) => `${k}=${oneLine(val)}`).join(' ')}]` : '';
  const parts = [text, labels, alertTimes(a, tz, now, late) ?? ''].filter((x) => x !== '');
  const line = parts.join(' ') || a.alertname;
  return a.links.length > 0 ? `${line} | ${links(a.links)}` : line;
}

/** Multi-line plain text for one notification. */
export function formatConsole(n: AlertmanagerNotification, opts: FormatOptions): string {
  const v = viewNotification(n);
  const now = opts.now ?? new Date();
  const tz = opts.timeZone;
  const sev = v.severity === 'other' ? oneLine(n.commonLabels.severity ?? '') : v.severity;
  const out: string[] = [[v.statusTag, v.name, sev ? `(${sev})` : '', ...v.groupValues].filter((x) => x !== '').join(' ')];
  const late = lateness(n, opts.acceptedAt, now, opts.newer);
  const note = lateNote(v, tz, now, late);
  if (note !== undefined) out.push(`  ${note}`);

  const common = v.commonLabels.filter(([k]) => !(k in n.groupLabels)).map(([k, val]) => `${k}=${oneLine(val)}`);
  if (common.length > 0) out.push(`  ${common.join(' ')}`);
  if (v.commonSummary !== undefined) out.push(`  ${oneLine(v.commonSummary)}`);
  if (v.commonDescription !== undefined) out.push(`  ${truncate(oneLine(v.commonDescription), DESCRIPTION_MAX)}`);

  let listed = 0;
  const list = (title: string | undefined, alerts: readonly AlertView[]) => {
    if (alerts.length === 0) return;
    const indent = title === undefined ? '  ' : '    ';
    if (title !== undefined) out.push(`  ${title} (${alerts.length}):`);
    for (const a of alerts) {
      if (listed >= CONSOLE_MAX_ALERTS) return;
      out.push(`${indent}- ${alertLine(a, v, tz, now, late)}`);
      listed++;
    }
  };
  if (v.mixed) {
    list('Still firing', v.firing);
    list('Resolved', v.resolved);
  } else {
    list(undefined, [...v.firing, ...v.resolved]);
  }
  const hidden = v.firing.length + v.resolved.length - listed;
  if (hidden > 0 || v.truncated > 0) {
    const parts = [hidden > 0 ? `${hidden} not listed here` : '', v.truncated > 0 ? `${v.truncated} left out by Alertmanager (max_alerts)` : ''];
    out.push(`  …and ${hidden + v.truncated} more: ${parts.filter((x) => x !== '').join(', ')}`);
  }
  if (v.links.length > 0) out.push(`  Links: ${links(v.links)}`);
  return out.join('\n');
}
