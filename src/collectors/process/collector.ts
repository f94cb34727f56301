// The process-group collector: process-exporter's namedprocess_namegroup_* series for the
// groups of `exporter.collectors.process.groups` (matching rules in matcher.ts, counter
// semantics in accumulator.ts, series in families.ts).
//
// Cost, the primary constraint (this runs on every host, next to the Slack relay):
// - Every scrape lists /proc. A process whose group is settled (older than
//   RECHECK_YOUNGER_THAN_SECONDS) and that belongs to no group costs one stat() of its
//   /proc/<pid> directory: the directory's inode number changes when the pid is reused
//   (procfs makes a new inode, numbered from a global counter, for a new process), so an
//   unchanged number means the same process and nothing more to read. That is about a
//   third of reading /proc/<pid>/stat, and on a busy host most processes are in no group.
// - Every other process has its /proc/<pid>/stat read: it gives comm and starttime, and
//   (pid, starttime) identifies a process across pid reuse.
// - A process's group is decided once, when it is first seen; cmdline and exe are read
//   only then and only if a group's matcher or name needs them (comm is tried first).
//   Processes younger than RECHECK_YOUNGER_THAN_SECONDS are re-matched on every scrape,
//   re-reading cmdline and exe: they may not have exec'd yet, and nginx, postgres and
//   node (process.title) rewrite their argv right after start.
// - status, io, fd, limits (cached LIMITS_TTL_SECONDS) and task/*/status are read only
//   for the processes of a group.
// - Reads are synchronous (see ../procfs.ts for the measurements), in slices of at most
//   SLICE_SIZE pids or SLICE_MS with the event loop let through between slices, so a
//   collection over thousands of processes never holds the loop for more than ~2 ms.
// - State of processes that are gone is dropped at the end of each complete pass.
import { statSync } from 'node:fs';
import type { CollectContext, Collector, CollectorDeps } from '../collector.js';
import type { CollectorsConfig } from '../../config/schema.js';
import { advance, GroupTotals, zeroCounts, type Counts } from './accumulator.js';
import { emptyGroup, writeFamilies, type ErrorCounts, type GroupView } from './families.js';
import { compileGroups, type GroupMatcher, type ProcessFacts } from './matcher.js';
import { isDenied, isVanished, listPids, readProcFileSync, USER_HZ } from '../procfs.js';
import { SingleFlight } from '../../util/single-flight.js';
import { parseBootTime, parseCmdline, parseStat, parseStatIdentity, parseUptime, readExe } from './pid-files.js';
import { sampleProcess, type LimitsCache, type ProcSample } from './sample.js';

/**
 * The event loop is let through after SLICE_SIZE pids or SLICE_MS of reading, whichever
 * comes first: ~150 stat reads take ~2 ms, but a first pass (cmdline and exe too) or a
 * slice of grouped processes (status, io, fd, limits, threads) costs several times that.
 */
export const SLICE_SIZE = 150;
export const SLICE_MS = 1.5;
/** Processes younger than this are re-matched on each scrape (see above). */
export const RECHECK_YOUNGER_THAN_SECONDS = 5;

/** What is remembered about one process, keyed by pid and checked against starttime. */
interface Tracked extends LimitsCache {
  readonly starttime: number;
  /** Inode number of /proc/<pid> when first seen (see above); undefined if unknown. */
  ino: number | undefined;
  /** undefined: in no group. */
  group: string | undefined;
  /** Counter values at the previous scrape (accumulator.ts); undefined until first sampled. */
  last?: Counts;
  /** The collection that last saw it, to drop processes that are gone. */
  seen: number;
}

interface Sampled {
  readonly t: Tracked;
  readonly group: string;
  readonly sample: ProcSample;
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

class ProcessCollector implements Collector {
  readonly name = 'process';
  private readonly matcher: GroupMatcher;
  private readonly totals: GroupTotals;
  private readonly tracked = new Map<number, Tracked>();
  private readonly errors: ErrorCounts = { scrape: 0, procread: 0, partial: 0 };
  private bootTime: number | undefined;
  /** Ticks since boot when the collector was created: processes started later count from zero. */
  private createdAtTicks: number | undefined;
  private serial = 0;
  /** One collection at a time: they share the per-process state above. */
  private readonly collecting = new SingleFlight<'collect', void>();

  constructor(
    config: CollectorsConfig['process'],
    private readonly deps: CollectorDeps,
  ) {
    this.matcher = compileGroups(config.groups);
    this.totals = new GroupTotals(this.matcher.fixedNames);
    if (this.matcher.size > 0) {
      try {
        this.createdAtTicks = this.uptimeTicks();
      } catch {
        // procfs not readable yet: the first collection sets it (and reports the error).
      }
    }
  }

  async collect({ registry, signal }: CollectContext): Promise<void> {
    if (this.matcher.size === 0) return; // no groups configured: nothing to read at all
    const run = this.collecting.start('collect', async () => {
      try {
        writeFamilies(registry, await this.update(signal), this.errors);
      } catch (err) {
        this.errors.scrape++;
        throw err;
      }
    });
    if (!run) throw new Error('previous process collection still running');
    return run;
  }

  close(): void {
    this.tracked.clear();
  }

  private uptimeTicks(): number {
    return Math.floor(parseUptime(readProcFileSync(`${this.deps.paths.procfs}/uptime`)) * USER_HZ);
  }

  private async update(signal: AbortSignal): Promise<Map<string, GroupView>> {
    signal.throwIfAborted();
    let sliceStart = performance.now();
    const procfs = this.deps.paths.procfs;
    this.bootTime ??= parseBootTime(readProcFileSync(`${procfs}/stat`));
    const nowTicks = this.uptimeTicks();
    this.createdAtTicks ??= nowTicks;
    const pids = listPids(procfs);
    const serial = ++this.serial;
    const sampled: Sampled[] = [];
    let inSlice = 0;
    for (const pid of pids) {
      if (++inSlice > SLICE_SIZE || performance.now() - sliceStart > SLICE_MS) {
        await yieldToLoop();
        signal.throwIfAborted();
        sliceStart = performance.now();
        inSlice = 1;
      }
      this.visit(pid, nowTicks, serial, sampled);
    }
    for (const [pid, t] of this.tracked) if (t.seen !== serial) this.tracked.delete(pid);
    return this.aggregate(sampled, nowTicks / USER_HZ);
  }

  private visit(pid: number, nowTicks: number, serial: number, out: Sampled[]): void {
    const dir = `${this.deps.paths.procfs}/${pid}`;
    let t = this.tracked.get(pid);
    const settled = t !== undefined && nowTicks - t.starttime >= RECHECK_YOUNGER_THAN_SECONDS * USER_HZ;
    let ino: number | undefined;
    if (t === undefined || (settled && t.group === undefined)) {
      // Taken before reading stat: if the pid is reused in between, the next scrape sees
      // a different number and simply reads it again.
      try {
        ino = statSync(dir).ino;
      } catch (err) {
        this.readFailed(pid, err, false);
        return;
      }
      if (t !== undefined && t.ino === ino) {
        t.seen = serial; // the same process, in no group: nothing to read
        return;
      }
    }

    let text: string;
    let identity: { comm: string; starttime: number };
    try {
      text = readProcFileSync(`${dir}/stat`);
      identity = parseStatIdentity(text);
    } catch (err) {
      this.readFailed(pid, err, false);
      return;
    }

    const isNew = t === undefined || t.starttime !== identity.starttime; // unseen, or the pid was reused
    if (t === undefined || isNew) {
      t = { starttime: identity.starttime, ino, group: undefined, seen: serial };
      this.tracked.set(pid, t);
    } else if (ino !== undefined) {
      t.ino = ino; // same process, new inode (procfs let the old one go)
    }
    t.seen = serial;
    const young = nowTicks - identity.starttime < RECHECK_YOUNGER_THAN_SECONDS * USER_HZ;
    if (isNew || young) {
      // A process that moves to another group keeps its counter baseline (t.last): what it
      // used so far stays with the old group, the new one counts from now on.
      try {
        t.group = this.matcher.match(this.facts(dir, identity.comm));
      } catch (err) {
        t.group = undefined;
        // Not allowed to read its cmdline (hidepid): left out for its lifetime. Otherwise
        // (it exited, or a transient error) forgotten, so a next scrape tries again.
        if (!isDenied(err)) this.tracked.delete(pid);
        this.readFailed(pid, err, false);
        return;
      }
    }
    if (t.group === undefined) return;

    try {
      out.push({ t, group: t.group, sample: sampleProcess(dir, parseStat(text), t, nowTicks / USER_HZ, young) });
    } catch (err) {
      this.readFailed(pid, err, true);
    }
  }

  /** Lazy exe and argv, each read at most once per match. */
  private facts(dir: string, comm: string): ProcessFacts {
    let argv: string[] | undefined;
    let exe: string | null | undefined;
    const readArgv = () => (argv ??= parseCmdline(readProcFileSync(`${dir}/cmdline`)));
    return {
      comm,
      argv: readArgv,
      exe: () => {
        if (exe === undefined) {
          try {
            exe = readExe(dir) ?? null;
          } catch (err) {
            if (!isDenied(err)) throw err;
            exe = readArgv()[0] || null; // another user's process while not root
          }
        }
        return exe ?? undefined;
      },
    };
  }

  /**
   * Exited while we read it: not an error. Not allowed to read it (procfs mounted with
   * hidepid): an error only for a process already known to be in a group, as in
   * process-exporter, so other users' processes do not count on every scrape.
   */
  private readFailed(pid: number, err: unknown, grouped: boolean): void {
    if (isVanished(err) || (!grouped && isDenied(err))) return;
    this.errors.procread++;
    this.deps.logger.debug({ pid, err }, 'cannot read process');
  }

  private aggregate(sampled: readonly Sampled[], now: number): Map<string, GroupView> {
    const groups = new Map<string, GroupView>();
    for (const name of this.matcher.fixedNames) groups.set(name, emptyGroup(this.totals.get(name)!));
    for (const { t, group, sample } of sampled) {
      const totals = this.totals.active(group, now);
      t.last ??= t.starttime > this.createdAtTicks! ? zeroCounts() : { ...sample.counts };
      advance(t.last, sample.counts, totals);

      let v = groups.get(group);
      if (!v) groups.set(group, (v = emptyGroup(totals)));
      v.procs++;
      v.residentBytes += sample.residentBytes;
      v.virtualBytes += sample.virtualBytes;
      v.swappedBytes += sample.swappedBytes;
      if (!Number.isNaN(sample.openFds)) v.openFds += sample.openFds;
      const ratio = sample.openFds / sample.fdLimit; // NaN when unknown, 0 when unlimited
      if (ratio > v.worstFdRatio) v.worstFdRatio = ratio;
      const start = this.bootTime! + Math.floor(t.starttime / USER_HZ);
      if (v.oldestStartTime === 0 || start < v.oldestStartTime) v.oldestStartTime = start;
      v.numThreads += sample.numThreads;
      for (let i = 0; i < sample.states.length; i++) v.states[i]! += sample.states[i]!;
      if (sample.partial) this.errors.partial++;
    }
    this.totals.prune(now);
    return groups;
  }
}

/** The `process` collector; throws GroupConfigError for a group name with an unknown placeholder. */
export function createProcessCollector(config: CollectorsConfig['process'], deps: CollectorDeps): Collector {
  return new ProcessCollector(config, deps);
}
