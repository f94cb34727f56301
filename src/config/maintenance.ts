// Maintenance windows of probe targets (exporter.probes.maintenance for many targets, and
// `maintenance:` of one target): while one is open, checks go on and the series say so
// (tocsin_probe_maintenance 1), and the shipped rules stay silent. Three forms:
//
//   - {start: 2026-12-01T22:00:00+01:00, end: 2026-12-02T02:00:00+01:00}           one-off
//   - {weekdays: [sun], at: "03:00", duration: 2h, time_zone: Europe/Berlin}      weekly
//   - {cron: "0 3 1 * *", duration: 1h, time_zone: Europe/Berlin}                 cron
//
// Recurring windows are computed in their IANA time zone by cron-parser (a weekly window is
// the cron expression "M H * * DAYS"), so 03:00 in Berlin stays 03:00 across a DST change.
// A local start time that does not exist on the day the clocks go forward (02:30 in Berlin on
// the last Sunday of March) is skipped that day, as cron-parser does: avoid the 02:00-03:00
// hour in zones with DST.
import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';
import { duration } from './fields.js';

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

const timeZone = z
  .string()
  .min(1)
  .superRefine((tz, ctx) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
    } catch {
      ctx.addIssue({ code: 'custom', message: `unknown time zone ${JSON.stringify(tz)}: expected an IANA name such as Europe/Berlin or UTC` });
    }
  });

// An instant with its offset (or Z): a local time without one would be read in the
// exporter's own time zone, which is nobody's intention.
const instant = z
  .union([z.string(), z.date()])
  .transform((v, ctx) => {
    // YAML turns an unquoted timestamp into a Date already.
    if (v instanceof Date) return v.getTime();
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(v)) {
      ctx.addIssue({ code: 'custom', message: `expected an ISO 8601 time with its offset, e.g. 2026-12-01T22:00:00+01:00 or 2026-12-01T21:00:00Z, got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    const ms = Date.parse(v);
    if (Number.isNaN(ms)) {
      ctx.addIssue({ code: 'custom', message: `not a valid time: ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return ms;
  });

const windowName = z.string().min(1).max(100).optional();

const oneOff = z
  .strictObject({ name: windowName, start: instant, end: instant })
  .superRefine((w, ctx) => {
    if (w.end <= w.start) ctx.addIssue({ code: 'custom', message: 'must be after start', path: ['end'] });
  })
  .transform((w) => ({ kind: 'once' as const, name: w.name, startMs: w.start, endMs: w.end }));

function cronCheck(expression: string, tz: string): string | undefined {
  try {
    CronExpressionParser.parse(expression, { tz, currentDate: new Date(0) }).next();
    return undefined;
  } catch (err) {
    return `invalid cron expression ${JSON.stringify(expression)}: ${(err as Error).message}`;
  }
}

// At most a week: a longer recurring window is an outage, not maintenance.
const windowDuration = duration({ min: 60, max: 7 * 86400 });

const weekly = z
  .strictObject({
    name: windowName,
    weekdays: z.array(z.enum(WEEKDAYS)).min(1),
    // Local time of day in time_zone, 24-hour.
    at: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a time of day as HH:MM (24-hour), e.g. "03:00"'),
    duration: windowDuration,
    time_zone: timeZone.default('UTC'),
  })
  .transform((w) => {
    const [h, m] = w.at.split(':').map(Number);
    const days = [...new Set(w.weekdays.map((d) => WEEKDAYS.indexOf(d)))].sort().join(',');
    return { kind: 'cron' as const, name: w.name, cron: `${m} ${h} * * ${days}`, durationMs: w.duration * 1000, timeZone: w.time_zone };
  });

const cron = z
  .strictObject({
    name: windowName,
    // Five fields (minute hour day-of-month month day-of-week), in time_zone.
    cron: z.string().min(1),
    duration: windowDuration,
    time_zone: timeZone.default('UTC'),
  })
  .superRefine((w, ctx) => {
    if (w.cron.trim().split(/\s+/).length !== 5) {
      ctx.addIssue({ code: 'custom', message: 'expected five fields: minute hour day-of-month month day-of-week', path: ['cron'] });
      return;
    }
    const problem = cronCheck(w.cron, w.time_zone);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, path: ['cron'] });
  })
  .transform((w) => ({ kind: 'cron' as const, name: w.name, cron: w.cron, durationMs: w.duration * 1000, timeZone: w.time_zone }));

/** One window; which form is chosen by its keys, so errors name the fields of that form. */
export const maintenanceWindowSchema = z.unknown().transform((v, ctx) => {
  const form = typeof v === 'object' && v !== null ? ('cron' in v ? cron : 'weekdays' in v || 'at' in v ? weekly : 'start' in v || 'end' in v ? oneOff : undefined) : undefined;
  if (!form) {
    ctx.addIssue({ code: 'custom', message: 'expected a window: {start, end}, {weekdays, at, duration, time_zone} or {cron, duration, time_zone}' });
    return z.NEVER;
  }
  const parsed = form.safeParse(v);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, code: 'custom', message: issue.message, path: issue.path as (string | number)[] } as never);
    return z.NEVER;
  }
  return parsed.data;
});

export type MaintenanceWindow = z.infer<typeof oneOff> | z.infer<typeof cron>;

/** Windows for several targets: the `targets` named, or every target without `targets`. */
export const sharedMaintenanceWindowSchema = z.unknown().transform((v, ctx) => {
  const { targets, ...rest } = typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : { targets: undefined };
  const names = z.array(z.string().min(1)).min(1).optional().safeParse(targets);
  if (!names.success) {
    ctx.addIssue({ code: 'custom', message: 'expected a list of target names (leave it out for every target)', path: ['targets'] });
    return z.NEVER;
  }
  const window = maintenanceWindowSchema.safeParse(typeof v === 'object' && v !== null ? rest : v);
  if (!window.success) {
    for (const issue of window.error.issues) ctx.addIssue({ ...issue, code: 'custom', message: issue.message, path: issue.path as (string | number)[] } as never);
    return z.NEVER;
  }
  return { ...window.data, ...(names.data ? { targets: names.data } : {}) };
});

export type SharedMaintenanceWindow = MaintenanceWindow & { readonly targets?: readonly string[] };
