// Times and durations as people read them in an alert.
// Times are shown in a configured IANA zone (Intl, full ICU in Node 20) with the zone named, because
// en-US abbreviations exist only for a few zones ("GMT+9" says nothing about where the reader is).

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
  readonly startsAt?: Date;
  readonly endsAt?: Date;
}

/**
 * When an alert happened, in words: "since 2026-11-21 23:43 Asia/Seoul (firing for 12m)" or
 * "2026-11-21 23:43 → 23:56 Asia/Seoul, lasted 12m 30s" (the end's date only when it differs).
 */
export function describeTimes(a: AlertTimes, timeZone: string, now: Date): string | undefined {
  if (a.startsAt === undefined) return undefined;
  if (a.status === 'firing') {
    return `since ${formatTime(a.startsAt, timeZone)} (firing for ${formatDuration(now.getTime() - a.startsAt.getTime())})`;
  }
  if (a.endsAt === undefined) return `started ${formatTime(a.startsAt, timeZone)}, resolved`;
  const start = formatLocal(a.startsAt, timeZone);
  const end = formatLocal(a.endsAt, timeZone);
  const endShown = end.slice(0, 10) === start.slice(0, 10) ? end.slice(11) : end;
  return `${start} → ${endShown} ${zoneName(timeZone)}, lasted ${formatDuration(a.endsAt.getTime() - a.startsAt.getTime())}`;
}
