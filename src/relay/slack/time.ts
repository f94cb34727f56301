// Times and durations as people read them in an alert.
// Times are shown in a configured IANA zone (Intl, full ICU in Node 20) with the zone named, because
// en-US abbreviations exist only for a few zones ("GMT+9" says nothing about where the reader is).

import { parseDurationMs } from '../../config/duration.js';

const UTC_ZONES = new Set(['UTC', 'Etc/UTC', 'Etc/GMT', 'GMT', 'Etc/Universal', 'Etc/Zulu', 'Universal', 'Zulu']);

interface Zone {
  readonly name: string;
  readonly parts: Intl.DateTimeFormat;
}

const zones = new Map<string, Zone>();

/** A formatter for the zone; an unknown zone falls back to UTC rather than losing the message. */
function zone(timeZone: string): Zone {
  let z = zones.get(timeZone);
  if (z !== undefined) return z;
  let tz = timeZone;
  let parts: Intl.DateTimeFormat;
  const format = (timeZone: string) =>
    new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  try {
    parts = format(tz);
  } catch {
    tz = 'UTC'; // an unknown zone: UTC, named as such, rather than losing the message
    parts = format(tz);
  }
  // The name as configured, in its proper case: ICU would canonicalise some (Asia/Kolkata -> Asia/Calcutta).
  const resolved = parts.resolvedOptions().timeZone;
  z = { name: UTC_ZONES.has(tz) ? 'UTC' : resolved.toLowerCase() === tz.toLowerCase() ? resolved : tz, parts };
  zones.set(timeZone, z);
  return z;
}

/** The zone as it is named in messages: "UTC" or the IANA name, e.g. "Asia/Seoul". */
export function zoneName(timeZone: string): string {
  return zone(timeZone).name;
}

/** Parses an RFC 3339 time; undefined for Alertmanager's zero time ("0001-01-01T00:00:00Z") or junk. */
export function parseTime(rfc3339: string): Date | undefined {
  const ms = Date.parse(rfc3339);
  if (Number.isNaN(ms)) return undefined;
  if (new Date(ms).getUTCFullYear() <= 1) return undefined;
  return new Date(ms);
}

/** "2026-11-21 23:43" in the zone, without the zone's name. */
export function formatLocal(d: Date, timeZone: string): string {
  const p: Record<string, string> = {};
  for (const part of zone(timeZone).parts.formatToParts(d)) p[part.type] = part.value;
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

/** "2026-11-21 23:43 Asia/Seoul". */
export function formatTime(d: Date, timeZone: string): string {
  return `${formatLocal(d, timeZone)} ${zoneName(timeZone)}`;
}

/**
 * A duration in its two largest units: "4s", "12m 30s", "2h 5m", "3d 4h". Negative (clock skew)
 * counts as zero.
 */
export function formatDuration(ms: number): string {
  let s = Math.max(0, Math.floor(ms / 1000));
  const units: [string, number][] = [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ];
  const out: string[] = [];
  for (const [unit, size] of units) {
    const n = Math.floor(s / size);
    s -= n * size;
    if (n > 0 || out.length > 0) out.push(`${n}${unit}`);
    if (out.length === 2) break;
  }
  if (out.length === 0) return '0s';
  // "2h 0m" reads worse than "2h".
  return out.filter((x, i) => i === 0 || !x.startsWith('0')).join(' ');
}

export interface AlertTimes {
  readonly status: 'firing' | 'resolved';
  /** When the alert fired: Prometheus sends the end of the rule's `for:` window, not the start of the problem. */
  readonly startsAt?: Date;
  readonly endsAt?: Date;
  /** The rule's `for:` window in ms (its `for` annotation): how long the problem lasted before the alert fired. */
  readonly pendingMs?: number;
}

/**
 * The `for` annotation (every rule in rules/*.yml repeats its `for:` there) in milliseconds;
 * undefined when it is missing or not a Prometheus duration, and the message then counts from
 * the firing time, as Alertmanager's own templates do.
 */
export function pendingWindowMs(annotation: string | undefined): number | undefined {
  const ms = annotation === undefined ? undefined : parseDurationMs(annotation.trim());
  return ms !== undefined && ms > 0 ? ms : undefined;
}

/**
 * When the problem began: the firing time minus the `for:` window. Prometheus fires at the first
 * evaluation at least `for:` after the condition first held, so this is at most one evaluation
 * interval after the first evaluation that saw the problem: an honest "about".
 */
export function beganAt(a: AlertTimes): Date | undefined {
  if (a.startsAt === undefined) return undefined;
  return a.pendingMs === undefined ? a.startsAt : new Date(a.startsAt.getTime() - a.pendingMs);
}

/** `d` as "23:43", or with its date when that differs from `ref`'s: "2026-11-22 00:01". */
function shortLocal(d: Date, ref: Date, timeZone: string): string {
  const s = formatLocal(d, timeZone);
  return s.slice(0, 10) === formatLocal(ref, timeZone).slice(0, 10) ? s.slice(11) : s;
}

/**
 * When an alert happened, in words, from when the problem began (its firing time beside it when
 * the rule waited before firing):
 *   "since 2026-11-21 23:42 Asia/Seoul (for 13m, firing since 23:43)"
 *   "2026-11-21 23:42 → 23:45 Asia/Seoul, lasted 2m 30s (fired 23:43)"
 * Without a `for:` window: "since 2026-11-21 23:43 Asia/Seoul (firing for 12m)" and
 * "2026-11-21 23:43 → 23:56 Asia/Seoul, lasted 12m 30s". `now` is the moment the message speaks
 * for (the acceptance time of a late message). The end's date is shown only when it differs.
 */
export function describeTimes(a: AlertTimes, timeZone: string, now: Date): string | undefined {
  const began = beganAt(a);
  if (a.startsAt === undefined || began === undefined) return undefined;
  const waited = began.getTime() !== a.startsAt.getTime();
  if (a.status === 'firing') {
    const held = formatDuration(now.getTime() - began.getTime());
    return waited
      ? `since ${formatTime(began, timeZone)} (for ${held}, firing since ${shortLocal(a.startsAt, began, timeZone)})`
      : `since ${formatTime(began, timeZone)} (firing for ${held})`;
  }
  if (a.endsAt === undefined) return `started ${formatTime(began, timeZone)}, resolved`;
  const span = `${formatLocal(began, timeZone)} → ${shortLocal(a.endsAt, began, timeZone)} ${zoneName(timeZone)}`;
  const lasted = `lasted ${formatDuration(a.endsAt.getTime() - began.getTime())}`;
  return waited ? `${span}, ${lasted} (fired ${shortLocal(a.startsAt, began, timeZone)})` : `${span}, ${lasted}`;
}

/** A message delivered this long after the relay accepted it says so, and speaks as of then. */
export const LATE_AFTER_MS = 60_000;

/** What a later notification of the same group says about an alert. */
export interface LaterState {
  readonly status: 'firing' | 'resolved';
  readonly endsAt?: Date;
  /** When the relay accepted that later notification. */
  readonly seenAt: Date;
}

/**
 * What became of a firing alert after a late message's time, from a later notification:
 * "resolved 23:45, lasted 2m 30s (a later notification)" or "still firing at 23:50".
 */
export function describeLater(a: AlertTimes, later: LaterState, timeZone: string): string {
  const began = beganAt(a) ?? later.seenAt;
  if (later.status === 'resolved') {
    if (later.endsAt === undefined) return `resolved since (a later notification)`;
    return `resolved ${shortLocal(later.endsAt, began, timeZone)}, lasted ${formatDuration(later.endsAt.getTime() - began.getTime())} (a later notification)`;
  }
  return `still firing at ${shortLocal(later.seenAt, began, timeZone)} (a later notification)`;
}

/** "Delivered 1h 7m late: as it stood at 2026-11-21 23:43 Asia/Seoul". */
export function describeLateness(asOf: Date, now: Date, timeZone: string): string {
  return `Delivered ${formatDuration(now.getTime() - asOf.getTime())} late: as it stood at ${formatTime(asOf, timeZone)}`;
}
