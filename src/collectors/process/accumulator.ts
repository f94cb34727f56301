// Per-group counters that never go down, whatever the processes under them do.
//
// As process-exporter does, a group's counter is the sum of the *increases* observed in
// its processes, kept after they exit: a group's cpu_seconds_total keeps the CPU of a
// worker that exited. Each process contributes, scrape after scrape, how much each of its
// counters grew since the previous scrape (never a negative amount: a multi-threaded
// process's context switches drop when a thread exits and takes its own with it).
//
// Where a process starts from, also as process-exporter: a process already running when
// the collector was created contributes only what it uses from then on; one started later
// contributes everything since its start. Counting the whole lifetime of processes found
// at startup would make every exporter restart look, to rate(), like all the CPU those
// processes ever used was spent in one scrape interval.

export const COUNTER_KEYS = [
  'cpuUserTicks',
  'cpuSystemTicks',
  'readBytes',
  'writeBytes',
  'majorPageFaults',
  'minorPageFaults',
  'voluntaryCtxtSwitches',
  'nonvoluntaryCtxtSwitches',
] as const;
export type CounterKey = (typeof COUNTER_KEYS)[number];
/** A process's (or group's) counters. NaN means "could not be read" (e.g. /proc/<pid>/io of another user). */
export type Counts = Record<CounterKey, number>;

export function zeroCounts(): Counts {
  return {
    cpuUserTicks: 0,
    cpuSystemTicks: 0,
    readBytes: 0,
    writeBytes: 0,
    majorPageFaults: 0,
    minorPageFaults: 0,
    voluntaryCtxtSwitches: 0,
    nonvoluntaryCtxtSwitches: 0,
  };
}

/**
 * Adds to `total` how much each of a process's counters grew from `last` to `current`,
 * and moves `last` to `current`. An unreadable value (NaN) adds nothing and keeps the old
 * baseline; a value read for the first time becomes the baseline without adding anything.
 * A value that went down adds nothing and becomes the new baseline.
 */
export function advance(last: Counts, current: Counts, total: Counts): void {
  for (const key of COUNTER_KEYS) {
    const now = current[key];
    if (Number.isNaN(now)) continue;
    const before = last[key];
    if (now > before) total[key] += now - before; // false when before is NaN
    last[key] = now;
  }
}

/** How long a template group's totals are remembered after its last process left. */
export const TEMPLATE_GROUP_MEMORY_SECONDS = 3600;

interface Totals {
  readonly counts: Counts;
  readonly fixed: boolean;
  /** Collector time (seconds) at which the group last had a process. */
  lastActive: number;
}

/**
 * The accumulated counters of every group. Fixed groups are kept for the life of the
 * collector; a template group ("{comm}") is forgotten an hour after its last process left,
 * so a template over a changing value (a job id in argv) cannot grow memory forever. If it
 * comes back later its counters restart from 0, which Prometheus treats as a reset.
 */
export class GroupTotals {
  private readonly totals = new Map<string, Totals>();

  constructor(fixedNames: readonly string[]) {
    for (const name of fixedNames) this.totals.set(name, { counts: zeroCounts(), fixed: true, lastActive: 0 });
  }

  /** The running totals of `name`, marked active at `now`. */
  active(name: string, now: number): Counts {
    let t = this.totals.get(name);
    if (!t) {
      t = { counts: zeroCounts(), fixed: false, lastActive: now };
      this.totals.set(name, t);
    }
    t.lastActive = now;
    return t.counts;
  }

  /** The totals of a group, if it has any. */
  get(name: string): Counts | undefined {
    return this.totals.get(name)?.counts;
  }

  /** Forgets template groups idle for longer than TEMPLATE_GROUP_MEMORY_SECONDS. */
  prune(now: number): void {
    for (const [name, t] of this.totals) {
      if (!t.fixed && now - t.lastActive > TEMPLATE_GROUP_MEMORY_SECONDS) this.totals.delete(name);
    }
  }

  get size(): number {
    return this.totals.size;
  }
}
