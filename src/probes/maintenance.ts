// Which maintenance window is open for a target at a given instant. The instant is always
// passed in (never read from the clock here), so the DST tests can name fixed dates.
import { CronExpressionParser } from 'cron-parser';
import type { MaintenanceWindow, SharedMaintenanceWindow } from '../config/maintenance.js';
import type { ProbeTargetConfig } from '../config/probes.js';

export interface OpenWindow {
  /** The window's name, when it has one. */
  readonly name?: string | undefined;
  /** When it closes (epoch ms). */
  readonly untilMs: number;
}

/** The latest occurrence of `cron` at or before `nowMs` in `timeZone` (epoch ms), if any. */
function lastStart(cron: string, timeZone: string, nowMs: number): number | undefined {
  // cron-parser's prev() is strictly before currentDate, at whole seconds: start a second
  // later and step back once more if that lands after `nowMs`.
  const it = CronExpressionParser.parse(cron, { tz: timeZone, currentDate: new Date(nowMs + 1000) });
  for (let i = 0; i < 2; i++) {
    let at: number;
    try {
      at = it.prev().getTime();
    } catch {
      return undefined; // no earlier occurrence
    }
    if (at <= nowMs) return at;
  }
  return undefined;
}

/** When `window` is open at `nowMs`, until when; else undefined. */
export function openAt(window: MaintenanceWindow, nowMs: number): OpenWindow | undefined {
  if (window.kind === 'once') return window.startMs <= nowMs && nowMs < window.endMs ? { name: window.name, untilMs: window.endMs } : undefined;
  // The latest start is the one whose window reaches furthest: if it has closed, all earlier have.
  const start = lastStart(window.cron, window.timeZone, nowMs);
  return start !== undefined && nowMs < start + window.durationMs ? { name: window.name, untilMs: start + window.durationMs } : undefined;
}

/** The open window among `windows` that stays open longest, if any. */
export function firstOpen(windows: readonly MaintenanceWindow[], nowMs: number): OpenWindow | undefined {
  let best: OpenWindow | undefined;
  for (const w of windows) {
    const open = openAt(w, nowMs);
    if (open && (!best || open.untilMs > best.untilMs)) best = open;
  }
  return best;
}

/**
 * The windows shared by several targets (exporter.probes.maintenance; they change on reload)
 * each target's own (its `maintenance:`) and those set through the API, evaluated at one instant: a shared window is
 * computed once per instant, not once per target.
 */
export class MaintenanceCalendar {
  private shared: readonly SharedMaintenanceWindow[] = [];
  /**
   * Each target's own windows, from the targets in effect now (setTargets). Kept here, not read
   * from the scheduler's copy of the target: a change of windows alone does not replace the
   * target in the scheduler (its state and schedule go on, see configKey there).
   */
  private own = new Map<string, readonly MaintenanceWindow[]>();

  /** `extra`: windows of a target kept elsewhere (set through the API, in the target store). */
  constructor(private readonly extra: (name: string) => readonly MaintenanceWindow[] = () => []) {}

  set(shared: readonly SharedMaintenanceWindow[]): void {
    this.shared = shared;
  }

  setTargets(targets: readonly ProbeTargetConfig[]): void {
    this.own = new Map(targets.filter((t) => t.maintenance.length > 0).map((t) => [t.name, t.maintenance]));
  }

  /** A function telling, for each target, the window open for it at `nowMs`. */
  at(nowMs: number): (target: ProbeTargetConfig) => OpenWindow | undefined {
    const open = this.shared.map((w) => ({ targets: w.targets ? new Set(w.targets) : undefined, open: openAt(w, nowMs) })).filter((w) => w.open);
    return (target) => {
      const own = this.own.get(target.name) ?? [];
      const extra = this.extra(target.name);
      let best = firstOpen(extra.length > 0 ? [...own, ...extra] : own, nowMs);
      for (const w of open) {
        if (w.targets && !w.targets.has(target.name)) continue;
        if (!best || w.open!.untilMs > best.untilMs) best = w.open;
      }
      return best;
    };
  }
}
