// Reading everything the families need about ONE process that belongs to a group. The
// collector reads only /proc/<pid>/stat for the processes that belong to none; these
// further reads (status, io, fd, limits, and task/*/status for multi-threaded processes)
// are paid only for grouped processes.
import { type Counts } from './accumulator.js';
import { stateIndex } from './families.js';
import { isDenied, isVanished, listPids, readProcFileSync } from '../procfs.js';
import { countFds, parseIo, parseOpenFilesLimit, parseStatus, type ProcStat } from './pid-files.js';

/** The fd soft limit rarely changes after start-up (nginx and systemd set it early), so it is re-read only this often. */
export const LIMITS_TTL_SECONDS = 60;

export interface ProcSample {
  readonly counts: Counts;
  readonly residentBytes: number;
  readonly virtualBytes: number;
  readonly swappedBytes: number;
  /** NaN when the fd directory could not be read. */
  readonly openFds: number;
  /** The fd soft limit: Infinity for unlimited, NaN if unknown. */
  readonly fdLimit: number;
  readonly numThreads: number;
  /** Threads per state, indexed like families.STATES. */
  readonly states: number[];
  /** io or fd count were refused (another user's process while not root). */
  readonly partial: boolean;
}

/** What is kept per process between scrapes to avoid re-reading /proc/<pid>/limits. */
export interface LimitsCache {
  fdLimit?: number;
  fdLimitReadAt?: number;
}

/**
 * Reads a grouped process's status, io, fd count, limits and (when it has several
 * threads) its threads' status. Throws when the process vanished before its status could
 * be read (isVanished) or status is unreadable; io, fd and limits that cannot be read are
 * reported as NaN, and as `partial` when refused.
 */
export function sampleProcess(procDir: string, stat: ProcStat, cache: LimitsCache, nowSeconds: number, young: boolean): ProcSample {
  const status = parseStatus(readProcFileSync(`${procDir}/status`));
  let partial = false;
  const optional = (err: unknown): number => {
    // A process exiting half-way is not an error: its next scrape will not list it.
    if (!isVanished(err)) partial = true;
    return NaN;
  };

  let readBytes = NaN;
  let writeBytes = NaN;
  try {
    ({ readBytes, writeBytes } = parseIo(readProcFileSync(`${procDir}/io`)));
  } catch (err) {
    optional(err);
  }

  let openFds: number;
  try {
    openFds = countFds(procDir);
  } catch (err) {
    openFds = optional(err);
  }

  if (cache.fdLimit === undefined || young || nowSeconds - (cache.fdLimitReadAt ?? 0) > LIMITS_TTL_SECONDS) {
    try {
      cache.fdLimit = parseOpenFilesLimit(readProcFileSync(`${procDir}/limits`));
      cache.fdLimitReadAt = nowSeconds;
    } catch (err) {
      if (!isVanished(err) && !isDenied(err)) throw err;
    }
  }

  // /proc/<pid>/status counts the context switches of the main thread only, so for a
  // multi-threaded process they are summed over task/*/status, as process-exporter does;
  // the same files give each thread's state.
  let voluntary = status.voluntaryCtxtSwitches;
  let nonvoluntary = status.nonvoluntaryCtxtSwitches;
  const states = [0, 0, 0, 0, 0];
  states[stateIndex(status.state)]!++;
  if (stat.numThreads > 1) {
    let tids: number[] = [];
    try {
      tids = listPids(`${procDir}/task`);
    } catch (err) {
      optional(err);
    }
    for (const tid of tids) {
      if (tid === stat.pid) continue;
      let thread;
      try {
        thread = parseStatus(readProcFileSync(`${procDir}/task/${tid}/status`));
      } catch (err) {
        if (isVanished(err)) continue; // a thread that just exited
        throw err;
      }
      voluntary += thread.voluntaryCtxtSwitches;
      nonvoluntary += thread.nonvoluntaryCtxtSwitches;
      states[stateIndex(thread.state)]!++;
    }
  }

  return {
    counts: {
      cpuUserTicks: stat.utime,
      cpuSystemTicks: stat.stime,
      readBytes,
      writeBytes,
      majorPageFaults: stat.majflt,
      minorPageFaults: stat.minflt,
      voluntaryCtxtSwitches: voluntary,
      nonvoluntaryCtxtSwitches: nonvoluntary,
    },
    // VmRSS is the same counter as stat's rss field (get_mm_rss), already in bytes: no page size needed.
    residentBytes: status.residentBytes,
    virtualBytes: stat.vsize,
    swappedBytes: status.swappedBytes,
    openFds,
    fdLimit: cache.fdLimit ?? NaN,
    numThreads: stat.numThreads,
    states,
    partial,
  };
}
