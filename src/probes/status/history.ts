// What the status page knows of a target beyond its last check: uptime over 24 hours and 7
// days, a latency graph of the last hour and the last failure. Uptime is the share of checks
// that succeeded (not of time spent "up" after the thresholds: a single failed check counts).
//
// Raw results would cost 60,480 entries a target for 7 days at a 10 s interval, so checks are
// folded into two rings of buckets as they come, each a typed-array view on one ArrayBuffer:
//
//   hours:   169 one-hour buckets (7 days and the current hour), checks and failures, Uint16
//            each (3,600 checks an hour at the 1 s floor fit): 676 bytes;
//   minutes: 60 one-minute buckets (the latency graph), the latency sum of successful checks
//            Float32, and checks and failures Uint8 each (60 a minute at most): 360 bytes.
//
// 1,036 bytes of arrays and about 400 bytes of object headers: ~1.4 KB a target, ~14 MB for
// 10,000 targets, allocated at a target's first check. Nothing grows with the interval.
//
// A window (24 h, 7 d) ends now and starts inside some hour bucket: that oldest bucket counts
// with the share of its hour that lies inside the window (its checks assumed even over the
// hour), so the figure moves smoothly instead of jumping by an hour's checks at once.
//
// In memory only: after a restart uptime starts again from zero checks (the page says since
// when it counts). Counting restarts honestly beats a file that claims hours nobody checked.
import type { FailureReason, ProbeResult } from '../probers/prober.js';

export const HOUR_SLOTS = 169;
export const MINUTE_SLOTS = 60;
const HOUR = 3600;
const MINUTE = 60;
/** Failure messages are user-visible words; a long one (a body excerpt) is cut. */
export const MAX_MESSAGE_LENGTH = 300;

export interface LastFailure {
  readonly at: number;
  readonly reason: FailureReason;
  readonly message: string;
}

export interface Uptime {
  /** Successful checks over checks in the window, or null without checks. */
  readonly ratio: number | null;
  /** Checks counted (the oldest bucket by its share inside the window, so not always whole). */
  readonly checks: number;
}

export interface MinutePoint {
  /** Start of the minute, Unix seconds. */
  readonly at: number;
  readonly checks: number;
  readonly failures: number;
  /** Mean duration of the minute's successful checks in seconds, or null without one. */
  readonly meanSeconds: number | null;
}

export class TargetHistory {
  private readonly buffer = new ArrayBuffer(MINUTE_SLOTS * 4 + HOUR_SLOTS * 4 + MINUTE_SLOTS * 2);
  private readonly minuteSum = new Float32Array(this.buffer, 0, MINUTE_SLOTS);
  /** [checks, failures] per hour slot. */
  private readonly hourCounts = new Uint16Array(this.buffer, MINUTE_SLOTS * 4, HOUR_SLOTS * 2);
  /** [checks, failures] per minute slot. */
  private readonly minuteCounts = new Uint8Array(this.buffer, MINUTE_SLOTS * 4 + HOUR_SLOTS * 4, MINUTE_SLOTS * 2);
  /** The hour and minute numbers (Unix seconds / 3600, / 60) of the newest slots. */
  private hourHead: number;
  private minuteHead: number;
  /** When counting began (the first check), Unix seconds. */
  readonly since: number;
  lastFailure: LastFailure | undefined;

  constructor(firstCheckSeconds: number) {
    this.since = firstCheckSeconds;
    this.hourHead = Math.floor(firstCheckSeconds / HOUR);
    this.minuteHead = Math.floor(firstCheckSeconds / MINUTE);
  }

  record(atSeconds: number, result: ProbeResult): void {
    // A clock stepped back puts the check in the newest bucket rather than rewriting the past.
    const hour = Math.max(this.hourHead, Math.floor(atSeconds / HOUR));
    const minute = Math.max(this.minuteHead, Math.floor(atSeconds / MINUTE));
    this.advanceHours(hour);
    this.advanceMinutes(minute);
    const failed = result.success ? 0 : 1;
    const h = (hour % HOUR_SLOTS) * 2;
    const counts = this.hourCounts;
    // Saturate rather than wrap (more checks than fit only with an interval under the floor).
    if (counts[h]! < 0xffff) {
      counts[h] = counts[h]! + 1;
      counts[h + 1] = counts[h + 1]! + failed;
    }
    const m = minute % MINUTE_SLOTS;
    const mc = this.minuteCounts;
    if (mc[m * 2]! < 0xff) {
      mc[m * 2] = mc[m * 2]! + 1;
      mc[m * 2 + 1] = mc[m * 2 + 1]! + failed;
      // Failed checks are marked, not averaged: a timeout's duration is the timeout, not a latency.
      if (result.success) this.minuteSum[m] = this.minuteSum[m]! + result.durationSeconds;
    }
    if (!result.success) {
      this.lastFailure = { at: atSeconds, reason: result.reason ?? 'error', message: (result.message ?? '').slice(0, MAX_MESSAGE_LENGTH) };
    }
  }

  /** Uptime over the `windowSeconds` before `nowSeconds` (at most 7 days). */
  uptime(nowSeconds: number, windowSeconds: number): Uptime {
    const start = nowSeconds - Math.min(windowSeconds, (HOUR_SLOTS - 1) * HOUR);
    const first = Math.floor(start / HOUR);
    const last = Math.min(this.hourHead, Math.floor(nowSeconds / HOUR));
    let checks = 0;
    let failures = 0;
    for (let hour = Math.max(first, this.hourHead - HOUR_SLOTS + 1); hour <= last; hour++) {
      const i = (hour % HOUR_SLOTS) * 2;
      const share = hour === first ? (hour * HOUR + HOUR - start) / HOUR : 1;
      checks += this.hourCounts[i]! * share;
      failures += this.hourCounts[i + 1]! * share;
    }
    return { ratio: checks > 0 ? (checks - failures) / checks : null, checks };
  }

  /** The last hour, one point a minute, oldest first (the current minute last). */
  minutes(nowSeconds: number): MinutePoint[] {
    const now = Math.floor(nowSeconds / MINUTE);
    const out: MinutePoint[] = [];
    for (let minute = now - MINUTE_SLOTS + 1; minute <= now; minute++) {
      // Only minutes the ring still holds: newer than its head minus its length, not after its head.
      const held = minute <= this.minuteHead && minute > this.minuteHead - MINUTE_SLOTS;
      const i = minute % MINUTE_SLOTS;
      const checks = held ? this.minuteCounts[i * 2]! : 0;
      const failures = held ? this.minuteCounts[i * 2 + 1]! : 0;
      out.push({ at: minute * MINUTE, checks, failures, meanSeconds: checks > failures ? this.minuteSum[i]! / (checks - failures) : null });
    }
    return out;
  }

  /** Moves the head to `hour`, emptying the slots it passes (at most the whole ring). */
  private advanceHours(hour: number): void {
    for (let h = Math.max(this.hourHead + 1, hour - HOUR_SLOTS + 1); h <= hour; h++) {
      const i = (h % HOUR_SLOTS) * 2;
      this.hourCounts[i] = 0;
      this.hourCounts[i + 1] = 0;
    }
    this.hourHead = hour;
  }

  private advanceMinutes(minute: number): void {
    for (let m = Math.max(this.minuteHead + 1, minute - MINUTE_SLOTS + 1); m <= minute; m++) {
      const i = m % MINUTE_SLOTS;
      this.minuteCounts[i * 2] = 0;
      this.minuteCounts[i * 2 + 1] = 0;
      this.minuteSum[i] = 0;
    }
    this.minuteHead = minute;
  }
}

/**
 * Every target's history by name. Kept apart from the scheduler's TargetStatus, which is
 * replaced when a target's settings change: an edited target keeps its uptime.
 */
export class StatusHistory {
  private readonly byName = new Map<string, TargetHistory>();

  record(name: string, atSeconds: number, result: ProbeResult): void {
    let h = this.byName.get(name);
    if (!h) this.byName.set(name, (h = new TargetHistory(atSeconds)));
    h.record(atSeconds, result);
  }

  get(name: string): TargetHistory | undefined {
    return this.byName.get(name);
  }

  /** Forgets targets no longer declared anywhere (paused ones are still declared: they keep theirs). */
  retain(names: ReadonlySet<string>): void {
    for (const name of this.byName.keys()) if (!names.has(name)) this.byName.delete(name);
  }

  get size(): number {
    return this.byName.size;
  }
}
