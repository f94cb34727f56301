// What a notification says, decided once for every renderer (Slack blocks, digest, console): which
// alerts fire and which resolved, the severity, the title, the labels worth showing and the links.
// Raw, unescaped strings: each renderer escapes for its own medium.

import type { AlertmanagerAlert, AlertmanagerNotification, AlertStatus } from '../types.js';
import { isValidButtonUrl } from './limits.js';
import { oneLine } from './mrkdwn.js';
import { describeLateness, describeLater, describeTimes, LATE_AFTER_MS, parseTime, pendingWindowMs, type LaterState } from './time.js';

export type Severity = 'critical' | 'warning' | 'info' | 'other';

/** Higher is worse; an unknown severity ranks above info because nobody said it was harmless. */
const SEVERITY_RANK: Record<Severity, number> = { info: 0, other: 1, warning: 2, critical: 3 };

export function severityOf(value: string | undefined): Severity {
  switch ((value ?? '').toLowerCase()) {
    case 'critical':
      return 'critical';
    case 'warning':
    case 'warn':
      return 'warning';
    case 'info':
    case 'informational':
      return 'info';
    default:
      return 'other';
  }
}

export function worstSeverity(severities: Iterable<Severity>, fallback: Severity = 'other'): Severity {
  let worst: Severity | undefined;
  for (const s of severities) if (worst === undefined || SEVERITY_RANK[s] > SEVERITY_RANK[worst]) worst = s;
  return worst ?? fallback;
}

export type LinkKind = 'runbook' | 'dashboard' | 'graph' | 'silence';

export interface Link {
  readonly kind: LinkKind;
  /** Short, trusted text: "Runbook", "Dashboard", "Graph", "Silence". */
  readonly label: string;
  /** A valid absolute http(s) URL of at most 3000 characters. */
  readonly url: string;
}

const LINK_LABELS: Record<LinkKind, string> = {
  runbook: 'Runbook',
  dashboard: 'Dashboard',
  graph: 'Graph',
  silence: 'Silence',
};

export interface AlertView {
  readonly alert: AlertmanagerAlert;
  readonly status: AlertStatus;
  readonly alertname: string;
  /** The alert's summary annotation; undefined when empty or already shown for the whole group. */
  readonly summary?: string;
  readonly description?: string;
  /** Labels that tell this alert apart from the others (the common ones are on the notification). */
  readonly labels: readonly (readonly [string, string])[];
  readonly startsAt?: Date;
  readonly endsAt?: Date;
  /** The rule's `for:` window (its `for` annotation): the problem began this long before startsAt. */
  readonly pendingMs?: number;
  /** Links of this alert that the notification's own links do not already cover. */
  readonly links: readonly Link[];
}

export interface NotificationView {
  readonly notification: AlertmanagerNotification;
  /** "firing" while any alert fires (listed or truncated), whatever the mix. */
  readonly status: AlertStatus;
  readonly firing: readonly AlertView[];
  readonly resolved: readonly AlertView[];
  /** Some alerts fire and some resolved: shown as two lists, never titled RESOLVED. */
  readonly mixed: boolean;
  /** Alerts Alertmanager left out (max_alerts). */
  readonly truncated: number;
  /** Alerts in the group: listed plus truncated. */
  readonly count: number;
  readonly severity: Severity;
  /** The alert name, or the names when the group holds several. */
  readonly name: string;
  /** Values of the grouping labels other than alertname, e.g. ["web-1:9464"]. */
  readonly groupValues: readonly string[];
  /** "[FIRING:2]", "[RESOLVED:1]", "[FIRING 2, RESOLVED 1]". */
  readonly statusTag: string;
  /** "[FIRING:2] ContainerStopped web-1:9464". */
  readonly title: string;
  /** Labels that matter and that all alerts share (instance, job, grouping labels). */
  readonly commonLabels: readonly (readonly [string, string])[];
  /** Shown once for the group when every alert has the same one (and there are several alerts). */
  readonly commonSummary?: string;
  readonly commonDescription?: string;
  /** Links for the whole group: runbook, dashboard, graph when shared; a prefilled silence. */
  readonly links: readonly Link[];
}

/** Labels worth a reader's attention first; the grouping labels and the distinguishing ones follow. */
const KEY_LABELS = ['instance', 'job'];
/** Shown elsewhere (title, colour). */
const HIDDEN_LABELS = new Set(['alertname', 'severity']);
const MAX_LABELS_PER_ALERT = 8;

function nonEmpty(s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  return oneLine(s) === '' ? undefined : s;
}

/** The value every alert has for `get`, or undefined when they differ or none has one. */
function shared(alerts: readonly AlertmanagerAlert[], get: (a: AlertmanagerAlert) => string | undefined): string | undefined {
  let value: string | undefined;
  let raw: string | undefined;
  for (const a of alerts) {
    const r = get(a);
    // The same string as the previous alert's: no need to look at it again (large groups).
    if (r !== undefined && r === raw) continue;
    const v = nonEmpty(r);
    if (v === undefined) return undefined;
    if (value === undefined) value = v;
    else if (v !== value) return undefined;
    raw = r;
  }
  return value;
}

/** Alertmanager matcher syntax: `{alertname="X", instance="Y"}`, values quoted Go-style. */
export function matcherList(labels: Readonly<Record<string, string>>): string {
  const keys = Object.keys(labels).sort((a, b) => (a === 'alertname' ? -1 : b === 'alertname' ? 1 : a < b ? -1 : a > b ? 1 : 0));
  const quote = (v: string) => '"' + v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') + '"';
  return '{' + keys.map((k) => `${k}=${quote(labels[k] ?? '')}`).join(', ') + '}';
}

/** The Alertmanager UI's "new silence" form prefilled with matchers; undefined without a usable externalURL. */
export function silenceUrl(externalURL: string, labels: Readonly<Record<string, string>>): string | undefined {
  if (Object.keys(labels).length === 0) return undefined;
  const base = externalURL.trim().replace(/\/+$/, '');
  if (!isValidButtonUrl(base)) return undefined;
  const url = `${base}/#/silences/new?filter=${encodeURIComponent(matcherList(labels))}`;
  return isValidButtonUrl(url) ? url : undefined;
}

function link(kind: LinkKind, url: string | undefined): Link | undefined {
  const u = url?.trim();
  return u !== undefined && isValidButtonUrl(u) ? { kind, label: LINK_LABELS[kind], url: u } : undefined;
}

function defined<T>(xs: readonly (T | undefined)[]): T[] {
  return xs.filter((x): x is T => x !== undefined);
}

function alertNames(n: AlertmanagerNotification): string {
  const common = nonEmpty(n.commonLabels.alertname) ?? nonEmpty(n.groupLabels.alertname);
  if (common !== undefined) return oneLine(common);
  const names = [...new Set(n.alerts.map((a) => nonEmpty(a.labels.alertname)).filter((x): x is string => x !== undefined))];
  if (names.length === 0) return oneLine(n.receiver) || 'Alert';
  if (names.length <= 3) return names.map(oneLine).join(', ');
  return `${names.slice(0, 2).map(oneLine).join(', ')} and ${names.length - 2} more`;
}

export function viewNotification(n: AlertmanagerNotification): NotificationView {
  const alerts = n.alerts;
  const several = alerts.length > 1;
  const truncated = Math.max(0, Math.floor(n.truncatedAlerts ?? 0));

  // Labels that matter: instance, job, the grouping labels, then those that differ between alerts.
  const groupKeys = Object.keys(n.groupLabels).sort();
  const varying = new Set<string>();
  for (const a of alerts) for (const k in a.labels) if (n.commonLabels[k] !== a.labels[k]) varying.add(k);
  const keys = [...new Set([...KEY_LABELS, ...groupKeys, ...[...varying].sort()])].filter(
    (k) => !HIDDEN_LABELS.has(k) || varying.has(k),
  );
  const commonLabels = keys
    .filter((k) => n.commonLabels[k] !== undefined && !varying.has(k) && nonEmpty(n.commonLabels[k]) !== undefined)
    .map((k) => [k, n.commonLabels[k] as string] as const);

  // Annotations and links the whole group shares are shown once.
  const commonSummary = several ? shared(alerts, (a) => a.annotations.summary) : undefined;
  const commonDescription = several ? shared(alerts, (a) => a.annotations.description) : undefined;
  const groupRunbook = link('runbook', nonEmpty(n.commonAnnotations.runbook_url) ?? shared(alerts, (a) => a.annotations.runbook_url));
  const groupDashboard = link('dashboard', nonEmpty(n.commonAnnotations.dashboard_url) ?? shared(alerts, (a) => a.annotations.dashboard_url));
  const groupGraph = link('graph', shared(alerts, (a) => a.generatorURL));
  // A silence button silences what the message is about: the whole group when it holds several
  // alerts, else that one alert's own series (all its labels but severity, so both levels of a
  // two-severity alert are covered), never its neighbours: a group keyed by alertname and
  // instance would otherwise silence every process group of the host.
  const silenceLabels = Object.keys(n.groupLabels).length > 0 ? n.groupLabels : withoutSeverity(n.commonLabels);
  const alertSilence = (a: AlertmanagerAlert) => silenceUrl(n.externalURL, withoutSeverity(a.labels));
  const groupSilence = link('silence', several || alerts[0] === undefined ? silenceUrl(n.externalURL, silenceLabels) : alertSilence(alerts[0]));
  const links = defined([groupRunbook, groupDashboard, groupGraph, groupSilence]);

  // What tells an alert apart is worked out only when a renderer asks for it: a group of 20,000
  // alerts shows some 50, and building the rest would block the event loop for seconds.
  const details = (a: AlertmanagerAlert): AlertDetails => {
    const own = (kind: LinkKind, url: string | undefined, group: Link | undefined) => {
      const l = link(kind, url);
      return l !== undefined && l.url !== group?.url ? l : undefined;
    };
    const labels = keys
      .filter((k) => a.labels[k] !== undefined && !commonLabels.some(([c]) => c === k))
      .slice(0, MAX_LABELS_PER_ALERT)
      .map((k) => [k, a.labels[k] as string] as const);
    const silence = several ? alertSilence(a) : undefined;
    return {
      alertname: oneLine(a.labels.alertname ?? '') || alertNames(n),
      summary: commonSummary === undefined ? nonEmpty(a.annotations.summary) : undefined,
      description: commonDescription === undefined ? nonEmpty(a.annotations.description) : undefined,
      labels,
      startsAt: parseTime(a.startsAt),
      endsAt: a.status === 'resolved' ? parseTime(a.endsAt) : undefined,
      pendingMs: pendingWindowMs(a.annotations.for),
      links: defined([
        own('runbook', a.annotations.runbook_url, groupRunbook),
        own('dashboard', a.annotations.dashboard_url, groupDashboard),
        own('graph', a.generatorURL, groupGraph),
        own('silence', silence, groupSilence),
      ]),
    };
  };
  const view = (a: AlertmanagerAlert): AlertView => new LazyAlertView(a, details);
  const views = alerts.map(view);
  const firing = views.filter((v) => v.status === 'firing');
  const resolved = views.filter((v) => v.status === 'resolved');
  // Truncated alerts may fire: Alertmanager's own status covers them, the listed ones may not.
  const status: AlertStatus = firing.length > 0 || n.status === 'firing' ? 'firing' : 'resolved';
  const mixed = firing.length > 0 && resolved.length > 0;

  let statusTag: string;
  if (mixed) statusTag = `[FIRING ${firing.length}, RESOLVED ${resolved.length}]`;
  else if (firing.length > 0) statusTag = `[FIRING:${firing.length + truncated}]`;
  else if (status === 'resolved') statusTag = `[RESOLVED:${resolved.length + truncated}]`;
  else if (resolved.length > 0) statusTag = `[FIRING, RESOLVED ${resolved.length}]`;
  else statusTag = `[FIRING:${truncated}]`;

  const severity =
    nonEmpty(n.commonLabels.severity) !== undefined
      ? severityOf(n.commonLabels.severity)
      : worstSeverity((firing.length > 0 ? firing : views).map((v) => severityOf(v.alert.labels.severity)));

  const name = alertNames(n);
  const groupValues = groupKeys
    .filter((k) => k !== 'alertname')
    .map((k) => oneLine(n.groupLabels[k] ?? ''))
    .filter((v) => v !== '');

  return {
    notification: n,
    status,
    firing,
    resolved,
    mixed,
    truncated,
    count: alerts.length + truncated,
    severity,
    name,
    groupValues,
    statusTag,
    title: [statusTag, name, ...groupValues].join(' '),
    commonLabels,
    commonSummary,
    commonDescription,
    links,
  };
}

type AlertDetails = Omit<AlertView, 'alert' | 'status'>;

/**
 * An AlertView whose details are worked out on first use. One small object per alert, its getters
 * on the prototype: for a group of 20,000 alerts of which some 50 are shown, the rest cost little
 * more than their status.
 */
class LazyAlertView implements AlertView {
  readonly status: AlertStatus;
  #details: AlertDetails | undefined;

  constructor(
    readonly alert: AlertmanagerAlert,
    private readonly work: (a: AlertmanagerAlert) => AlertDetails,
  ) {
    this.status = alert.status === 'resolved' ? 'resolved' : 'firing';
  }

  private get d(): AlertDetails {
    return (this.#details ??= this.work(this.alert));
  }
  get alertname(): string {
    return this.d.alertname;
  }
  get summary(): string | undefined {
    return this.d.summary;
  }
  get description(): string | undefined {
    return this.d.description;
  }
  get labels(): readonly (readonly [string, string])[] {
    return this.d.labels;
  }
  get startsAt(): Date | undefined {
    return this.d.startsAt;
  }
  get endsAt(): Date | undefined {
    return this.d.endsAt;
  }
  get pendingMs(): number | undefined {
    return this.d.pendingMs;
  }
  get links(): readonly Link[] {
    return this.d.links;
  }
}

function withoutSeverity(labels: Readonly<Record<string, string>>): Record<string, string> {
  const { severity: _severity, ...rest } = labels;
  return rest;
}

/** A notification for the same destination accepted after the one shown, not yet delivered. */
export interface LaterNotification {
  /** Unix ms when the relay accepted it. */
  readonly acceptedAt: number;
  readonly notification: AlertmanagerNotification;
}

/** How a message delivered late tells the truth: what it says holds as of `asOf`, and what changed since. */
export interface Lateness {
  /** When the relay accepted the notification: the moment its "for 12m" speaks for. */
  readonly asOf: Date;
  /** The alert's state in the latest later notification of the same group, if one lists it. */
  readonly later: (a: AlertmanagerAlert) => LaterState | undefined;
}

/**
 * Undefined when the message goes out within LATE_AFTER_MS of its acceptance (the usual case). A
 * later notification of the same group (Alertmanager's groupKey) says what became of each alert,
 * matched by fingerprint, or by its labels when Alertmanager sent no fingerprint.
 */
export function lateness(
  n: AlertmanagerNotification,
  acceptedAt: number | undefined,
  now: Date,
  newer: readonly LaterNotification[] = [],
): Lateness | undefined {
  if (acceptedAt === undefined || now.getTime() - acceptedAt < LATE_AFTER_MS) return undefined;
  const key = (a: AlertmanagerAlert) => a.fingerprint || matcherList(a.labels);
  const latest = new Map<string, LaterState>();
  for (const l of newer) {
    if (l.notification.groupKey !== n.groupKey || l.acceptedAt < acceptedAt) continue;
    for (const a of l.notification.alerts) {
      latest.set(key(a), {
        status: a.status === 'resolved' ? 'resolved' : 'firing',
        endsAt: a.status === 'resolved' ? parseTime(a.endsAt) : undefined,
        seenAt: new Date(l.acceptedAt),
      });
    }
  }
  return { asOf: new Date(acceptedAt), later: (a) => latest.get(key(a)) };
}

/** "Since … (for 13m, firing since 23:43)", and in a late message what became of the alert since. */
export function alertTimes(a: AlertView, timeZone: string, now: Date, late: Lateness | undefined): string | undefined {
  const times = describeTimes(a, timeZone, late?.asOf ?? now);
  const later = late !== undefined && a.status === 'firing' ? late.later(a.alert) : undefined;
  return times !== undefined && later !== undefined ? `${times}; ${describeLater(a, later, timeZone)}` : times;
}

/** "Delivered 1h 7m late: as it stood at …", and whether later notifications resolved everything shown. */
export function lateNote(v: NotificationView, timeZone: string, now: Date, late: Lateness | undefined): string | undefined {
  if (late === undefined) return undefined;
  const note = describeLateness(late.asOf, now, timeZone);
  const allResolved = v.firing.length > 0 && v.firing.every((a) => late.later(a.alert)?.status === 'resolved');
  return allResolved ? `${note}. Resolved since, as a later notification says.` : `${note}.`;
}
