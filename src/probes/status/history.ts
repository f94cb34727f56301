// What the status page knows of a target beyond its last check: uptime over 24 hours and 7
// days, a latency graph of the last hour and the last failure. Uptime is the share of checks
// that succeeded (not of time spent "up" after the thresholds: a single failed check counts).
//
// Raw results would cost 60,480 entries a target for 7 days at a 10 s interval, so checks are
// folded into two rings of buckets as they come:
//
//   hours:   169 one-hour buckets (7 days and the current hour), checks and failures, Uint16
//            each (3,600 checks an hour at the 1 s floor fit): 676 bytes;
//   minutes: 60 one-minute buckets (the latency graph), the latency sum of successful checks
//            Float32, and checks and failures Uint8 each (60 a minute at most): 360 bytes.
//
// The buckets of 64 targets share one set of typed arrays (a Chunk), so a target costs its
// 1,036 bytes and one small object, not an ArrayBuffer, three views and a malloc of its own.
// Measured (50,000 targets, --expose-gc): 1,037 bytes of buffers and 199 of heap (object, map
// entry, name) a target, 12 MB for 10,000; with arrays of its own it was 1,033 + 536.
// A deleted target's slot is emptied and reused; chunks are kept (memory stays at the peak
// number of targets). Nothing grows with the interval.
//
// A window (24 h, 7 d) ends now and starts inside some hour bucket: that oldest bucket counts
// with the share of its hour that lies inside the window (its checks assumed even over the
// hour), so the figure moves smoothly instead of jumping by an hour's checks at once.
//
// Kept across restarts by persist.ts (status-history.bin in the probes' data_dir, written
// atomically every few minutes and at shutdown): the time the exporter was down has no checks,
// so it counts neither as up nor as down. The page says since when a target is counted.
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

/** The buckets of CHUNK_SIZE targets in three typed arrays, a target's at its index. */
export class Chunk {
  readonly minuteSum: Float32Array;
  /** [checks, failures] per hour slot. */
  readonly hourCounts: Uint16Array;
  /** [checks, failures] per minute slot. */
  readonly minuteCounts: Uint8Array;

  constructor(size: number) {
    this.minuteSum = new Float32Array(size * MINUTE_SLOTS);
    this.hourCounts = new Uint16Array(size * HOUR_SLOTS * 2);
    this.minuteCounts = new Uint8Array(size * MINUTE_SLOTS * 2);
  }

  /** Empties the buckets of the target at `index` (before its slot is reused). */
  clear(index: number): void {
    this.minuteSum.fill(0, index * MINUTE_SLOTS, (index + 1) * MINUTE_SLOTS);
    this.hourCounts.fill(0, index * HOUR_SLOTS * 2, (index + 1) * HOUR_SLOTS * 2);
    this.minuteCounts.fill(0, index * MINUTE_SLOTS * 2, (index + 1) * MINUTE_SLOTS * 2);
  }
}

export const CHUNK_SIZE = 64;
/** Bytes of one target's buckets. */
export const TARGET_BYTES = MINUTE_SLOTS * 4 + HOUR_SLOTS * 4 + MINUTE_SLOTS * 2;

export interface TargetSnapshot {
  readonly since: number;
  readonly hourHead: number;
  readonly minuteHead: number;
  readonly lastFailure?: LastFailure | undefined;
  readonly bytes: Uint8Array;
}

export class TargetHistory {
  private readonly minuteSum: Float32Array;
  private readonly hourCounts: Uint16Array;
  private readonly minuteCounts: Uint8Array;
  /** Where this target's buckets start in the chunk's arrays. */
  private readonly sumBase: number;
  private readonly hourBase: number;
  private readonly minuteBase: number;
  /** The hour and minute numbers (Unix seconds / 3600, / 60) of the newest slots. */
  private hourHead: number;
  private minuteHead: number;
  /** When counting began (the first check), Unix seconds. */
  readonly since: number;
  lastFailure: LastFailure | undefined;

  /** A target's history in slot `index` of `chunk` (empty); alone in a chunk of its own by default. */
  constructor(
    firstCheckSeconds: number,
    readonly chunk: Chunk = new Chunk(1),
    readonly index = 0,
  ) {
    this.minuteSum = chunk.minuteSum;
    this.hourCounts = chunk.hourCounts;
    this.minuteCounts = chunk.minuteCounts;
    this.sumBase = index * MINUTE_SLOTS;
    this.hourBase = index * HOUR_SLOTS * 2;
    this.minuteBase = index * MINUTE_SLOTS * 2;
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
    const h = this.hourBase + (hour % HOUR_SLOTS) * 2;
    const counts = this.hourCounts;
    // Saturate rather than wrap (more checks than fit only with an interval under the floor).
    if (counts[h]! < 0xffff) {
      counts[h] = counts[h]! + 1;
      counts[h + 1] = counts[h + 1]! + failed;
    }
    const m = minute % MINUTE_SLOTS;
    const mc = this.minuteCounts;
    const c = this.minuteBase + m * 2;
    if (mc[c]! < 0xff) {
      mc[c] = mc[c]! + 1;
      mc[c + 1] = mc[c + 1]! + failed;
      // Failed checks are marked, not averaged: a timeout's duration is the timeout, not a latency.
      if (result.success) this.minuteSum[this.sumBase + m] = this.minuteSum[this.sumBase + m]! + result.durationSeconds;
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
      const i = this.hourBase + (hour % HOUR_SLOTS) * 2;
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
      const checks = held ? this.minuteCounts[this.minuteBase + i * 2]! : 0;
      const failures = held ? this.minuteCounts[this.minuteBase + i * 2 + 1]! : 0;
      out.push({ at: minute * MINUTE, checks, failures, meanSeconds: checks > failures ? this.minuteSum[this.sumBase + i]! / (checks - failures) : null });
    }
    return out;
  }

  /** This target's buckets as bytes (TARGET_BYTES, platform byte order) and what places them in time. */
  snapshot(): TargetSnapshot {
    const bytes = new Uint8Array(TARGET_BYTES);
    let at = 0;
    for (const [array, base, length] of this.regions()) {
      const view = new Uint8Array(array.buffer, array.byteOffset + base * array.BYTES_PER_ELEMENT, length * array.BYTES_PER_ELEMENT);
      bytes.set(view, at);
      at += view.length;
    }
    return { since: this.since, hourHead: this.hourHead, minuteHead: this.minuteHead, ...(this.lastFailure ? { lastFailure: this.lastFailure } : {}), bytes };
  }

  /** Takes the buckets and heads of a snapshot (this target's slot is empty). */
  restore(s: TargetSnapshot): void {
    let at = 0;
    for (const [array, base, length] of this.regions()) {
      const size = length * array.BYTES_PER_ELEMENT;
      new Uint8Array(array.buffer, array.byteOffset + base * array.BYTES_PER_ELEMENT, size).set(s.bytes.subarray(at, at + size));
      at += size;
    }
    this.hourHead = s.hourHead;
    this.minuteHead = s.minuteHead;
    this.lastFailure = s.lastFailure;
  }

  private regions(): [Float32Array | Uint16Array | Uint8Array, number, number][] {
    return [
      [this.minuteSum, this.sumBase, MINUTE_SLOTS],
      [this.hourCounts, this.hourBase, HOUR_SLOTS * 2],
      [this.minuteCounts, this.minuteBase, MINUTE_SLOTS * 2],
    ];
  }

  /** Moves the head to `hour`, emptying the slots it passes (at most the whole ring). */
  private advanceHours(hour: number): void {
    for (let h = Math.max(this.hourHead + 1, hour - HOUR_SLOTS + 1); h <= hour; h++) {
      const i = this.hourBase + (h % HOUR_SLOTS) * 2;
      this.hourCounts[i] = 0;
      this.hourCounts[i + 1] = 0;
    }
    this.hourHead = hour;
  }

  private advanceMinutes(minute: number): void {
    for (let m = Math.max(this.minuteHead + 1, minute - MINUTE_SLOTS + 1); m <= minute; m++) {
      const i = m % MINUTE_SLOTS;
      this.minuteCounts[this.minuteBase + i * 2] = 0;
      this.minuteCounts[this.minuteBase + i * 2 + 1] = 0;
      this.minuteSum[this.sumBase + i] = 0;
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
  private readonly chunks: Chunk[] = [];
  /** Slots (chunk * CHUNK_SIZE + index) of deleted targets, emptied, for the next new ones. */
  private readonly free: number[] = [];

  record(name: string, atSeconds: number, result: ProbeResult): void {
    (this.byName.get(name) ?? this.add(name, atSeconds)).record(atSeconds, result);
  }

  /** Puts back a target's history saved by an earlier run (persist.ts). */
  restore(name: string, snapshot: TargetSnapshot): void {
    if (this.byName.has(name)) return;
    this.add(name, snapshot.since).restore(snapshot);
  }

  entries(): IterableIterator<[string, TargetHistory]> {
    return this.byName.entries();
  }

  /** A new, empty history in a free slot (a new chunk when none is free). */
  private add(name: string, since: number): TargetHistory {
    const slot = this.free.pop() ?? this.chunks.length * CHUNK_SIZE;
    if (slot === this.chunks.length * CHUNK_SIZE) {
      this.chunks.push(new Chunk(CHUNK_SIZE));
      // The rest of the new chunk is free, lowest slot first.
      for (let s = slot + CHUNK_SIZE - 1; s > slot; s--) this.free.push(s);
    }
    const h = new TargetHistory(since, this.chunks[Math.floor(slot / CHUNK_SIZE)]!, slot % CHUNK_SIZE);
    this.byName.set(name, h);
    return h;
  }

  get(name: string): TargetHistory | undefined {
    return this.byName.get(name);
  }

  /** Forgets the targets `keep` says no to (those no longer declared anywhere). */
  retain(keep: (name: string) => boolean): void {
    for (const [name, h] of this.byName) {
      if (keep(name)) continue;
      this.byName.delete(name);
      h.chunk.clear(h.index);
      this.free.push(this.chunks.indexOf(h.chunk) * CHUNK_SIZE + h.index);
    }
  }

  get size(): number {
    return this.byName.size;
  }

  /** Bytes of bucket arrays held (for tests and the bench). */
  get bytes(): number {
    return this.chunks.length * CHUNK_SIZE * TARGET_BYTES;
  }
}
