// The files of /proc/<pid>/* for the process collector: pure parsers (unit-tested against
// fixtures in test/fixtures/process/) and the few readers of links and directories. The
// file reader itself, and why it is synchronous, are in ../procfs.ts (readProcFileSync).
//
// Libraries we deliberately do not use: pidusage keeps an fd per pid for 60 s and
// reports cpu 0 on its first call; systeminformation.processes() spawns `ps` and then
// one `cat` per pid. Neither gives the per-group counters process-exporter users expect.
import { readdirSync, readlinkSync, statSync } from 'node:fs';

/** The fields of /proc/<pid>/stat the collector uses (see proc(5); numbers are proc(5)'s). */
export interface ProcStat {
  readonly pid: number;
  /** (2) The executable's name as the kernel keeps it: at most 15 bytes, may hold spaces and parentheses. */
  readonly comm: string;
  /** (3) One letter: R, S, D, Z, T, t, X, I, ... */
  readonly state: string;
  readonly ppid: number;
  readonly minflt: number;
  readonly majflt: number;
  /** (14, 15) CPU time in USER_HZ ticks, summed over the process's threads. */
  readonly utime: number;
  readonly stime: number;
  readonly numThreads: number;
  /** (22) Start time in ticks since boot: with the pid, it identifies a process. */
  readonly starttime: number;
  /** (23) Virtual memory size in bytes. */
  readonly vsize: number;
  /** (24) Resident set size in pages. */
  readonly rss: number;
}

export class ProcParseError extends Error {
  constructor(file: string, text: string) {
    super(`cannot parse ${file}: ${JSON.stringify(text.slice(0, 80))}`);
    this.name = 'ProcParseError';
  }
}

// comm sits between the first '(' and the *last* ')': it can itself contain ") (" and
// spaces ("(my (weird) p)"), but every field after it is numeric or a single letter.
function commBounds(text: string): [open: number, close: number] {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new ProcParseError('stat', text);
  return [open, close];
}

/** Just comm and starttime, for the ~all processes that belong to no group: no split, no allocation per field. */
export function parseStatIdentity(text: string): { comm: string; starttime: number } {
  const [open, close] = commBounds(text);
  // After ") " come fields 3, 4, ...; starttime (22) follows the 19th space after the state letter.
  let pos = close + 2;
  for (let field = 3; field < 22; field++) {
    pos = text.indexOf(' ', pos) + 1;
    if (pos === 0) throw new ProcParseError('stat', text);
  }
  const end = text.indexOf(' ', pos);
  const starttime = Number(text.slice(pos, end < 0 ? undefined : end));
  if (!Number.isFinite(starttime)) throw new ProcParseError('stat', text);
  return { comm: text.slice(open + 1, close), starttime };
}

export function parseStat(text: string): ProcStat {
  const [open, close] = commBounds(text);
  // f[0] is field 3 (state), so field N is f[N - 3].
  const f = text.slice(close + 2).trimEnd().split(' ');
  if (f.length < 22) throw new ProcParseError('stat', text);
  const n = (field: number) => Number(f[field - 3]);
  return {
    pid: Number(text.slice(0, open - 1)),
    comm: text.slice(open + 1, close),
    state: f[0]!,
    ppid: n(4),
    minflt: n(10),
    majflt: n(12),
    utime: n(14),
    stime: n(15),
    numThreads: n(20),
    starttime: n(22),
    vsize: n(23),
    rss: n(24),
  };
}

/** The fields of /proc/<pid>/status (or /proc/<pid>/task/<tid>/status) the collector uses. */
export interface ProcStatus {
  /** The state letter of this task ("S" from "State:\tS (sleeping)"). */
  readonly state: string;
  /** VmRSS and VmSwap in bytes; 0 when absent (kernel threads, zombies). */
  readonly residentBytes: number;
  readonly swappedBytes: number;
  /** Per task: /proc/<pid>/status counts only the main thread. */
  readonly voluntaryCtxtSwitches: number;
  readonly nonvoluntaryCtxtSwitches: number;
}

function lineValue(text: string, key: string): string | undefined {
  // Keys are matched at a line start; the first line ("Name:") is never one we look up.
  const at = text.indexOf(`\n${key}:`);
  if (at < 0) return undefined;
  const start = at + key.length + 2;
  const end = text.indexOf('\n', start);
  return text.slice(start, end < 0 ? undefined : end).trim();
}

function kiloBytes(value: string | undefined): number {
  // "  123456 kB"
  return value === undefined ? 0 : Number.parseInt(value, 10) * 1024;
}

export function parseStatus(text: string): ProcStatus {
  const state = lineValue(text, 'State');
  const vol = lineValue(text, 'voluntary_ctxt_switches');
  const nonvol = lineValue(text, 'nonvoluntary_ctxt_switches');
  if (state === undefined || vol === undefined || nonvol === undefined) throw new ProcParseError('status', text);
  return {
    state: state.charAt(0),
    residentBytes: kiloBytes(lineValue(text, 'VmRSS')),
    swappedBytes: kiloBytes(lineValue(text, 'VmSwap')),
    voluntaryCtxtSwitches: Number(vol),
    nonvoluntaryCtxtSwitches: Number(nonvol),
  };
}

/** /proc/<pid>/io: bytes the process caused to be read from / written to the storage layer. */
export function parseIo(text: string): { readBytes: number; writeBytes: number } {
  // "\nwrite_bytes:" and not "write_bytes:", which would also find cancelled_write_bytes.
  const read = lineValue(text, 'read_bytes');
  const write = lineValue(text, 'write_bytes');
  if (read === undefined || write === undefined) throw new ProcParseError('io', text);
  return { readBytes: Number(read), writeBytes: Number(write) };
}

/** The soft "Max open files" limit of /proc/<pid>/limits; Infinity for "unlimited". */
export function parseOpenFilesLimit(text: string): number {
  const m = /^Max open files\s+(\S+)/m.exec(text);
  if (!m) throw new ProcParseError('limits', text);
  return m[1] === 'unlimited' ? Infinity : Number(m[1]);
}

/**
 * /proc/<pid>/cmdline as argv. Trailing NULs are trimmed before splitting, as
 * process-exporter (prometheus/procfs) does: daemons that rewrite their argv (nginx,
 * postgres, node's process.title) leave one string followed by NUL padding.
 */
export function parseCmdline(text: string): string[] {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0) end--;
  return end === 0 ? [] : text.slice(0, end).split('\0');
}

/** btime of /proc/stat: the boot time in whole seconds since the epoch. */
export function parseBootTime(text: string): number {
  const m = /^btime\s+(\d+)/m.exec(text);
  if (!m) throw new ProcParseError('stat', text);
  return Number(m[1]);
}

/** /proc/uptime: seconds since boot (first field). */
export function parseUptime(text: string): number {
  const seconds = Number.parseFloat(text);
  if (!Number.isFinite(seconds)) throw new ProcParseError('uptime', text);
  return seconds;
}

/**
 * The executable's path from the /proc/<pid>/exe link; undefined for kernel threads.
 * A binary replaced on disk while running (a package upgrade) reads "... (deleted)":
 * the suffix is dropped so the process keeps matching.
 */
export function readExe(procDir: string): string | undefined {
  let target: string;
  try {
    target = readlinkSync(`${procDir}/exe`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return target.endsWith(' (deleted)') ? target.slice(0, -' (deleted)'.length) : target;
}

/**
 * Open file descriptors. Since Linux 6.2 stat() of /proc/<pid>/fd reports the count as
 * the directory's size, one syscall and allowed even for other users' processes; older
 * kernels report 0 and we list the directory instead (EACCES for other users' processes).
 */
export function countFds(procDir: string): number {
  const size = statSync(`${procDir}/fd`).size;
  if (size > 0) return size;
  return readdirSync(`${procDir}/fd`).length;
}
