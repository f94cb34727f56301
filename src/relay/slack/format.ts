// Alertmanager notification -> Slack message. Pure: no I/O, the same input gives the same output
// (pass `now` for "firing for 12m").
//
// Layout: the top-level `text` is a one-line fallback (notifications, old clients; it also shows
// above the attachment), and everything else sits in one attachment so that it gets the coloured
// bar: header, intro, per-alert sections (split into "Still firing" / "Resolved" when a group mixes
// both), "…and N more", and an actions block of URL buttons. Messages are built to fit; if the
// alerts do not, the first ones are shown in full and the rest counted (see limits.ts for numbers).

import type { AlertmanagerNotification, Presentation, SlackMessage } from '../types.js';
import {
  checkSlackLimits,
  isValidButtonUrl,
  MAX_BUTTONS_PER_ACTIONS,
  MAX_FALLBACK_TEXT,
  SLACK_LIMITS,
  TARGET_MESSAGE_BYTES,
} from './limits.js';
import { codeSpan, escapeMrkdwn, mrkdwnLink, oneLine, truncate, truncateMrkdwn } from './mrkdwn.js';
import {
  alertTimes,
  lateness,
  lateNote,
  matcherList,
  viewNotification,
  type Lateness,
  type LaterNotification,
  worstSeverity,
  type AlertView,
  type Link,
  type NotificationView,
  type Severity,
} from './model.js';
import { renderTemplate, renderTitle } from './template.js';
import { beganAt, formatDuration, formatTime, parseTime, pendingWindowMs } from './time.js';

export interface FormatOptions {
  /** IANA zone, e.g. 'Asia/Seoul'; times are shown in it with the zone named. */
  timeZone: string;
  /** For "firing for 12m"; defaults to new Date(). */
  now?: Date;
  presentation?: Presentation;
  /**
   * Unix ms when the relay accepted the notification. When the message goes out much later (Slack
   * was down), it says so and gives its times as of then, not as of `now`.
   */
  acceptedAt?: number;
  /** Notifications for the same destination accepted after this one and not yet delivered, in order. */
  newer?: readonly LaterNotification[];
}

type Block = Record<string, unknown>;

/** Slack's brand palette: red, yellow, blue, grey; green for resolved. */
export const SEVERITY_COLORS: Readonly<Record<Severity, string>> = {
  critical: '#E01E5A',
  warning: '#ECB22E',
  info: '#36C5F0',
  other: '#9E9EA6',
};
export const RESOLVED_COLOR = '#2EB67D';

export const SEVERITY_EMOJI: Readonly<Record<Severity, string>> = {
  critical: ':rotating_light:',
  warning: ':warning:',
  info: ':information_source:',
  other: ':bell:',
};
export const RESOLVED_EMOJI = ':white_check_mark:';

/** Per-alert text caps, so that a group shows many alerts rather than one essay. */
const SUMMARY_MAX = 300;
const DESCRIPTION_MAX = 1200;
const INTRO_MAX = 2000;
const LABEL_MAX = 200;
/** Longer per-alert URLs (big PromQL expressions) are left to the group's buttons. */
const INLINE_URL_MAX = 1000;
const SECTION_TARGET = 2500;

// ---------------------------------------------------------------------------------------------
// Block helpers

function header(text: string): Block {
  return { type: 'header', text: { type: 'plain_text', text: truncate(text, SLACK_LIMITS.headerText), emoji: true } };
}

function section(mrkdwn: string): Block {
  return { type: 'section', text: { type: 'mrkdwn', text: truncateMrkdwn(mrkdwn, SLACK_LIMITS.sectionText) } };
}

function context(mrkdwn: string): Block {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: truncateMrkdwn(mrkdwn, SLACK_LIMITS.contextElementText) }] };
}

interface Button {
  readonly label: string;
  readonly url: string;
  /** Unique within the block. */
  readonly actionId: string;
}

function linkButton(l: Link): Button {
  return { label: l.label, url: l.url, actionId: `tocsin_${l.kind}` };
}

/** URL buttons; invalid URLs are skipped, at most MAX_BUTTONS_PER_ACTIONS kept. */
function actions(buttons: readonly Button[]): Block | undefined {
  const elements = buttons
    .filter((b) => isValidButtonUrl(b.url))
    .slice(0, MAX_BUTTONS_PER_ACTIONS)
    .map((b) => ({
      type: 'button',
      text: { type: 'plain_text', text: truncate(b.label, SLACK_LIMITS.buttonText), emoji: true },
      url: b.url,
      action_id: b.actionId,
    }));
  return elements.length > 0 ? { type: 'actions', elements } : undefined;
}

function message(text: string, color: string, blocks: readonly Block[]): SlackMessage {
  return { text, attachments: [{ color, blocks }] };
}

function bytes(msg: SlackMessage): number {
  return Buffer.byteLength(JSON.stringify(msg), 'utf8');
}

function fits(msg: SlackMessage): boolean {
  const blocks = (msg.attachments?.[0]?.blocks as Block[] | undefined) ?? [];
  return blocks.length <= SLACK_LIMITS.blocksPerMessage && bytes(msg) <= TARGET_MESSAGE_BYTES;
}

/** The largest k in [0, max] for which build(k) fits (build(0) is assumed to), and its message. */
function largestFitting(max: number, build: (k: number) => SlackMessage): SlackMessage {
  let lo = 0;
  let hi = max;
  let best = build(0);
  if (max === 0) return best;
  const all = build(max);
  if (fits(all)) return all;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const m = build(mid);
    if (fits(m)) {
      lo = mid;
      best = m;
    } else {
      hi = mid - 1;
    }
  }
  return lo === 0 ? build(0) : best;
}

/** Last line of defence: a message Slack would reject is replaced by a short one that it accepts. */
function safe(msg: SlackMessage, color: string, title: string, note: string): SlackMessage {
  if (checkSlackLimits(msg).length === 0) return msg;
  return message(truncateMrkdwn(msg.text, MAX_FALLBACK_TEXT) || title, color, [header(title), section(note)]);
}

// ---------------------------------------------------------------------------------------------
// Pieces shared by the notification and the digest

function colorOf(v: NotificationView): string {
  return v.status === 'firing' ? SEVERITY_COLORS[v.severity] : RESOLVED_COLOR;
}

function emojiOf(v: NotificationView): string {
  return v.status === 'firing' ? SEVERITY_EMOJI[v.severity] : RESOLVED_EMOJI;
}

function wantsMention(v: NotificationView, p: Presentation | undefined): string | undefined {
  const m = p?.mention?.trim();
  return m && v.status === 'firing' && v.severity === 'critical' ? m : undefined;
}

/** "<!here> :rotating_light: [FIRING:2] ContainerStopped web-1:9464": mention and emoji are trusted, the title is not. */
function fallbackText(mention: string | undefined, emoji: string | undefined, title: string): string {
  const parts = [mention, emoji, escapeMrkdwn(title, MAX_FALLBACK_TEXT)].filter((x): x is string => !!x);
  return truncateMrkdwn(parts.join(' '), MAX_FALLBACK_TEXT);
}

function labelSpans(labels: readonly (readonly [string, string])[]): string {
  return labels.map(([k, v]) => codeSpan(`${k}=${oneLine(v)}`, LABEL_MAX)).join(' ');
}

function alertSection(a: AlertView, v: NotificationView, opts: { timeZone: string; now: Date; late: Lateness | undefined }): Block {
  const mark = v.mixed && a.status === 'resolved' ? `${RESOLVED_EMOJI} ` : '';
  const heading = a.summary ?? (v.commonSummary === undefined ? a.alertname : undefined);
  const lines: string[] = [];
  if (heading !== undefined) lines.push(`${mark}*${escapeMrkdwn(oneLine(heading), SUMMARY_MAX)}*`);
  if (a.description !== undefined) lines.push(escapeMrkdwn(a.description.trim(), DESCRIPTION_MAX));
  const meta = [labelSpans(a.labels), capitalise(alertTimes(a, opts.timeZone, opts.now, opts.late))].filter((x): x is string => !!x);
  if (meta.length > 0) {
    const line = meta.join(' · ');
    lines.push(lines.length === 0 ? mark + line : line);
  }
  let text = lines.join('\n');
  const links = a.links.filter((l) => l.url.length <= INLINE_URL_MAX).map((l) => mrkdwnLink(l.url, l.label));
  for (const [i, l] of links.entries()) {
    const add = (i === 0 ? (text ? '\n' : '') : ' · ') + l;
    if (text.length + add.length > SECTION_TARGET) break;
    text += add;
  }
  return section(text || mark + escapeMrkdwn(a.alertname));
}

function introBlocks(v: NotificationView, p: Presentation | undefined): Block[] {
  const blocks: Block[] = [];
  const template = p?.textTemplate?.trim() ? renderTemplate(p.textTemplate, v) : '';
  if (template.trim() !== '') {
    blocks.push(section(truncateMrkdwn(template.trim(), INTRO_MAX)));
  } else if (v.commonSummary !== undefined || v.commonDescription !== undefined) {
    const lines: string[] = [];
    if (v.commonSummary !== undefined) lines.push(`*${escapeMrkdwn(oneLine(v.commonSummary), SUMMARY_MAX)}*`);
    if (v.commonDescription !== undefined) lines.push(escapeMrkdwn(v.commonDescription.trim(), DESCRIPTION_MAX));
    blocks.push(section(lines.join('\n')));
  }
  const sev = v.severity === 'other' ? oneLine(v.notification.commonLabels.severity ?? '') || 'no severity' : v.severity;
  const state =
    v.status === 'firing'
      ? `${SEVERITY_EMOJI[v.severity]} *${escapeMrkdwn(capitalise(sev), 60)}*`
      : `${RESOLVED_EMOJI} *Resolved* (was ${escapeMrkdwn(sev, 60)})`;
  blocks.push(context([state, labelSpans(v.commonLabels)].filter((x) => x !== '').join(' · ')));
  return blocks;
}

function capitalise<T extends string | undefined>(s: T): T {
  return (s === undefined ? s : s.charAt(0).toUpperCase() + s.slice(1)) as T;
}

/** Alertmanager's alert list filtered to the group, for "see all". */
function alertsUrl(v: NotificationView): string | undefined {
  const base = v.notification.externalURL.trim().replace(/\/+$/, '');
  if (!isValidButtonUrl(base)) return undefined;
  const labels = v.notification.groupLabels;
  const url = Object.keys(labels).length > 0 ? `${base}/#/alerts?filter=${encodeURIComponent(matcherList(labels))}` : `${base}/#/alerts`;
  return isValidButtonUrl(url) && url.length <= INLINE_URL_MAX ? url : undefined;
}

function moreBlock(firing: number, resolved: number, truncated: number, v: NotificationView): Block | undefined {
  const n = firing + resolved + truncated;
  if (n === 0) return undefined;
  const parts: string[] = [];
  if (firing > 0) parts.push(`${firing} firing`);
  if (resolved > 0) parts.push(`${resolved} resolved`);
  if (truncated > 0) parts.push(`${truncated} left out by Alertmanager (max_alerts)`);
  const url = alertsUrl(v);
  const see = url !== undefined ? ` · ${mrkdwnLink(url, 'see all in Alertmanager')}` : '';
  return context(`…and ${n} more: ${parts.join(', ')}${see}`);
}

// ---------------------------------------------------------------------------------------------
// One notification

/** One Slack message for one Alertmanager notification. */
export function formatNotification(n: AlertmanagerNotification, opts: FormatOptions): SlackMessage {
  const v = viewNotification(n);
  const now = opts.now ?? new Date();
  const tz = opts.timeZone;
  const p = opts.presentation;

  const custom = p?.titleTemplate?.trim() ? renderTitle(p.titleTemplate, v) : '';
  const title = custom !== '' ? custom : `${emojiOf(v)} ${v.title}`;
  const text = custom !== '' ? fallbackText(wantsMention(v, p), undefined, custom) : fallbackText(wantsMention(v, p), emojiOf(v), v.title);
  const color = colorOf(v);

  const late = lateness(n, opts.acceptedAt, now, opts.newer);
  const note = lateNote(v, tz, now, late);
  const head = [header(title), ...introBlocks(v, p), ...(note !== undefined ? [context(`:hourglass: ${escapeMrkdwn(note, 500)}`)] : [])];
  // Firing first; when not mixed one list is empty and this is Alertmanager's order.
  const ordered = [...v.firing, ...v.resolved];
  const buttons = actions(v.links.map(linkButton));

  const build = (k: number): SlackMessage => {
    const shown = ordered.slice(0, k);
    const blocks: Block[] = [...head];
    for (const [i, a] of shown.entries()) {
      if (v.mixed && i === 0) blocks.push(section(`*Still firing (${v.firing.length})*`));
      if (v.mixed && a.status === 'resolved' && shown[i - 1]?.status !== 'resolved') {
        blocks.push(section(`${RESOLVED_EMOJI} *Resolved (${v.resolved.length})*`));
      }
      blocks.push(alertSection(a, v, { timeZone: tz, now, late }));
    }
    // Firing alerts come first in `ordered`.
    const hiddenFiring = Math.max(0, v.firing.length - k);
    const hiddenResolved = ordered.length - k - hiddenFiring;
    const more = moreBlock(hiddenFiring, hiddenResolved, v.truncated, v);
    if (more !== undefined) blocks.push(more);
    if (buttons !== undefined) blocks.push(buttons);
    return message(text, color, blocks);
  };

  // Each alert takes a block at least, so no more than the blocks left after the head can show:
  // the search never renders more alerts than Slack could display, however many the group holds.
  const msg = largestFitting(Math.min(ordered.length, Math.max(0, SLACK_LIMITS.blocksPerMessage - head.length)), build);
  return safe(msg, color, title, escapeMrkdwn(`${v.count} alerts; too large to show here. Open Alertmanager for details.`));
}

// ---------------------------------------------------------------------------------------------
// Digest

interface DigestGroup {
  readonly view: NotificationView;
  /** Notifications for this group in the digest (the last one is shown). */
  readonly updates: number;
  readonly order: number;
}

/** When an alert's problem began (its firing time minus its `for:` window), from the raw alert. */
function began(a: AlertmanagerNotification['alerts'][number]): Date | undefined {
  return beganAt({ status: 'firing', startsAt: parseTime(a.startsAt), pendingMs: pendingWindowMs(a.annotations.for) });
}

function digestLine(g: DigestGroup, tz: string, now: Date): string {
  const v = g.view;
  const parts = [`${emojiOf(v)} *${escapeMrkdwn(v.title, 200)}*`];
  const alerts = [...v.firing, ...v.resolved];
  if (v.status === 'firing') {
    // From the raw times: the alerts' rendered details are not needed for one line per group.
    const starts = v.firing.map((a) => began(a.alert)?.getTime()).filter((t): t is number => t !== undefined);
    if (starts.length > 0) {
      const first = Math.min(...starts);
      parts.push(`since ${formatTime(new Date(first), tz)} (${formatDuration(now.getTime() - first)})`);
    }
  } else {
    const spans = alerts
      .map((a) => {
        const start = began(a.alert);
        const end = a.status === 'resolved' ? parseTime(a.alert.endsAt) : undefined;
        return start && end ? end.getTime() - start.getTime() : undefined;
      })
      .filter((t): t is number => t !== undefined);
    if (spans.length > 0) parts.push(`lasted ${formatDuration(Math.max(...spans))}`);
  }
  const summary = v.commonSummary ?? (alerts.length === 1 ? alerts[0]?.summary : undefined);
  if (summary !== undefined) parts.push(escapeMrkdwn(oneLine(summary), 150));
  if (g.updates > 1) parts.push(`_${g.updates} updates_`);
  return parts.join(' · ');
}

/** Lines packed into sections of at most SECTION_TARGET characters. */
function packLines(title: string, lines: readonly string[]): Block[] {
  const blocks: Block[] = [];
  let current = title;
  for (const line of lines) {
    const l = truncateMrkdwn(line, SECTION_TARGET);
    if (current.length + 1 + l.length > SECTION_TARGET) {
      blocks.push(section(current));
      current = l;
    } else {
      current = current ? `${current}\n${l}` : l;
    }
  }
  if (current) blocks.push(section(current));
  return blocks;
}

/**
 * Several notifications waiting for one channel, merged into one message: each group (by groupKey)
 * once, in its latest state, still-firing groups first and worst first.
 */
export function formatDigest(ns: readonly AlertmanagerNotification[], opts: FormatOptions): SlackMessage {
  const now = opts.now ?? new Date();
  const tz = opts.timeZone;

  const byKey = new Map<string, { last: AlertmanagerNotification; updates: number; order: number }>();
  ns.forEach((n, i) => {
    const key = n.groupKey || `#${i}`;
    const seen = byKey.get(key);
    byKey.set(key, { last: n, updates: (seen?.updates ?? 0) + 1, order: seen?.order ?? i });
  });
  const groups: DigestGroup[] = [...byKey.values()].map((g) => ({ view: viewNotification(g.last), updates: g.updates, order: g.order }));
  const rank: Record<Severity, number> = { critical: 0, warning: 1, other: 2, info: 3 };
  const firing = groups
    .filter((g) => g.view.status === 'firing')
    .sort((a, b) => rank[a.view.severity] - rank[b.view.severity] || a.order - b.order);
  const resolved = groups.filter((g) => g.view.status === 'resolved').sort((a, b) => a.order - b.order);
  const ordered = [...firing, ...resolved];

  const severity = worstSeverity(firing.map((g) => g.view.severity));
  const color = firing.length > 0 ? SEVERITY_COLORS[severity] : RESOLVED_COLOR;
  const plural = (k: number, word: string) => `${k} ${word}${k === 1 ? '' : 's'}`;
  const title = `:inbox_tray: Digest: ${plural(ns.length, 'notification')} while Slack was behind`;
  const mention = firing.some((g) => wantsMention(g.view, opts.presentation) !== undefined)
    ? opts.presentation?.mention?.trim()
    : undefined;
  const text = truncateMrkdwn(
    `${mention ? mention + ' ' : ''}Digest: ${plural(ns.length, 'notification')}, ${firing.length} still firing, ${resolved.length} resolved`,
    MAX_FALLBACK_TEXT,
  );
  const summary = context(
    `${plural(groups.length, 'alert group')} · ${firing.length} still firing · ${resolved.length} resolved`,
  );
  const externalURL = ns.map((n) => n.externalURL.trim().replace(/\/+$/, '')).find((u) => isValidButtonUrl(`${u}/#/alerts`));
  const buttons =
    externalURL !== undefined
      ? actions([{ label: 'Open Alertmanager', url: `${externalURL}/#/alerts`, actionId: 'tocsin_alertmanager' }])
      : undefined;

  const build = (k: number): SlackMessage => {
    const shown = ordered.slice(0, k);
    const f = shown.filter((g) => g.view.status === 'firing').map((g) => digestLine(g, tz, now));
    const r = shown.filter((g) => g.view.status === 'resolved').map((g) => digestLine(g, tz, now));
    const blocks: Block[] = [header(title), summary];
    if (f.length > 0) blocks.push(...packLines(`*Still firing (${firing.length})*`, f));
    if (r.length > 0) blocks.push(...packLines(`${RESOLVED_EMOJI} *Resolved (${resolved.length})*`, r));
    const hidden = ordered.length - k;
    if (hidden > 0) {
      const hf = ordered.slice(k).filter((g) => g.view.status === 'firing').length;
      blocks.push(context(`…and ${plural(hidden, 'more group')}: ${hf} firing, ${hidden - hf} resolved`));
    }
    if (buttons !== undefined) blocks.push(buttons);
    return message(text, color, blocks);
  };

  return safe(largestFitting(ordered.length, build), color, title, 'Too many notifications to list here. Open Alertmanager for details.');
}
