// The series of the process collector: process-exporter's names, labels and help texts
// (checked against prometheus-process-exporter 0.7.10 by test/compat/process-exporter.test.ts),
// so its dashboards and alerts work unchanged.
import type { Registry } from 'prom-client';
import { counter, gauge } from '../collector.js';
import { USER_HZ } from '../procfs.js';
import type { Counts } from './accumulator.js';

export const STATES = ['Running', 'Sleeping', 'Waiting', 'Zombie', 'Other'] as const;

/** Index into STATES of a state letter of /proc/<pid>/stat or status: R, S, D, Z; the rest (T, t, X, I, P...) is Other. */
export function stateIndex(letter: string): number {
  switch (letter) {
    case 'R':
      return 0;
    case 'S':
      return 1;
    case 'D':
      return 2;
    case 'Z':
      return 3;
    default:
      return 4;
  }
}

/** One group as reported in a scrape: gauges from its live processes, counters from GroupTotals. */
export interface GroupView {
  procs: number;
  counts: Counts;
  residentBytes: number;
  virtualBytes: number;
  swappedBytes: number;
  openFds: number;
  worstFdRatio: number;
  /** Seconds since the epoch, whole seconds as process-exporter reports it; 0 for an empty group. */
  oldestStartTime: number;
  numThreads: number;
  /** Threads per state, indexed like STATES. */
  states: number[];
}

export function emptyGroup(counts: Counts): GroupView {
  return {
    procs: 0,
    counts,
    residentBytes: 0,
    virtualBytes: 0,
    swappedBytes: 0,
    openFds: 0,
    worstFdRatio: 0,
    oldestStartTime: 0,
    numThreads: 0,
    states: [0, 0, 0, 0, 0],
  };
}

/** Cumulative error counts of the collector, process-exporter's namedprocess_scrape_* series. */
export interface ErrorCounts {
  /** Collections that failed as a whole (e.g. the procfs directory could not be listed). */
  scrape: number;
  /** Processes in a group that could not be read at all, for another reason than having exited. */
  procread: number;
  /** Processes in a group read only partly: io or fd count not permitted (another user's process). */
  partial: number;
}

const P = 'namedprocess_namegroup_';

export function writeFamilies(registry: Registry, groups: ReadonlyMap<string, GroupView>, errors: ErrorCounts): void {
  const g = ['groupname'] as const;
  const numProcs = gauge(registry, `${P}num_procs`, 'number of processes in this group', g);
  const cpu = counter(registry, `${P}cpu_seconds_total`, 'Cpu user usage in seconds', ['groupname', 'mode'] as const);
  const readBytes = counter(registry, `${P}read_bytes_total`, 'number of bytes read by this group', g);
  const writeBytes = counter(registry, `${P}write_bytes_total`, 'number of bytes written by this group', g);
  const majflt = counter(registry, `${P}major_page_faults_total`, 'Major page faults', g);
  const minflt = counter(registry, `${P}minor_page_faults_total`, 'Minor page faults', g);
  const ctxsw = counter(registry, `${P}context_switches_total`, 'Context switches', ['groupname', 'ctxswitchtype'] as const);
  const memory = gauge(registry, `${P}memory_bytes`, 'number of bytes of memory in use', ['groupname', 'memtype'] as const);
  const openFds = gauge(registry, `${P}open_filedesc`, 'number of open file descriptors for this group', g);
  const worstFd = gauge(
    registry,
    `${P}worst_fd_ratio`,
    'the worst (closest to 1) ratio between open fds and max fds among all procs in this group',
    g,
  );
  const oldest = gauge(
    registry,
    `${P}oldest_start_time_seconds`,
    'start time in seconds since 1970/01/01 of oldest process in group',
    g,
  );
  const threads = gauge(registry, `${P}num_threads`, 'Number of threads', g);
  const states = gauge(
    registry,
    `${P}states`,
    'Number of processes in states Running, Sleeping, Waiting, Zombie, or Other',
    ['groupname', 'state'] as const,
  );

  for (const name of [...groups.keys()].sort()) {
    const v = groups.get(name)!;
    const l = { groupname: name };
    numProcs.set(l, v.procs);
    cpu.inc({ groupname: name, mode: 'user' }, v.counts.cpuUserTicks / USER_HZ);
    cpu.inc({ groupname: name, mode: 'system' }, v.counts.cpuSystemTicks / USER_HZ);
    readBytes.inc(l, v.counts.readBytes);
    writeBytes.inc(l, v.counts.writeBytes);
    majflt.inc(l, v.counts.majorPageFaults);
    minflt.inc(l, v.counts.minorPageFaults);
    ctxsw.inc({ groupname: name, ctxswitchtype: 'voluntary' }, v.counts.voluntaryCtxtSwitches);
    ctxsw.inc({ groupname: name, ctxswitchtype: 'nonvoluntary' }, v.counts.nonvoluntaryCtxtSwitches);
    memory.set({ groupname: name, memtype: 'resident' }, v.residentBytes);
    memory.set({ groupname: name, memtype: 'virtual' }, v.virtualBytes);
    memory.set({ groupname: name, memtype: 'swapped' }, v.swappedBytes);
    openFds.set(l, v.openFds);
    worstFd.set(l, v.worstFdRatio);
    oldest.set(l, v.oldestStartTime);
    threads.set(l, v.numThreads);
    STATES.forEach((state, i) => states.set({ groupname: name, state }, v.states[i]!));
  }

  // process-exporter calls these namedprocess_scrape_*errors, counters without the _total
  // suffix that promtool requires; they are about the exporter, not the processes, so they
  // live under tocsin_ with proper names (dashboards rarely chart them).
  counter(registry, 'tocsin_process_scrape_errors_total', 'Process collections that collected nothing (e.g. /proc unreadable or the scrape deadline passed).').inc(
    errors.scrape,
  );
  counter(registry, 'tocsin_process_read_errors_total', "Processes whose metrics could not be read at all (other than by exiting).").inc(errors.procread);
  counter(
    registry,
    'tocsin_process_partial_read_errors_total',
    "Grouped processes whose metrics were read only in part, e.g. unreadable /proc/<pid>/io of another user's process.",
  ).inc(errors.partial);
}
