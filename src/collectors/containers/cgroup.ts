// A running container's CPU, memory, task and block I/O figures from its cgroup files, the
// way cAdvisor reads them, on cgroup v2 (today's hosts) and v1 (older ones, and hybrid
// hosts like this project's CI: v1 controllers with an empty v2 hierarchy beside them).
//
// Where the files are: the hierarchy is under <sysfs>/fs/cgroup (so an exporter in a
// container reads the host's through a /host/sys mount). A container's cgroup is found
// from /proc/<pid>/cgroup of its main process, which works for every cgroup driver and
// parent (cgroupfs "/docker/<id>", systemd "/system.slice/docker-<id>.scope", Podman
// "libpod-<id>.scope", rootless, custom --cgroup-parent); the path must contain the
// container id, which also proves the pid is the container's when the exporter does not
// share the host's PID namespace. Paths relative to a private cgroup namespace ("/../..")
// and well-known layouts are tried next. Found paths are cached per container and pid;
// a container whose cgroups cannot be found is retried every RETRY_MS and served by the
// stats API meanwhile (stats-fallback.ts).
//
// Reads are synchronous: cgroupfs and procfs files are generated in memory, a read costs a
// few microseconds and never waits on a device, and about seven per container keep a
// collection of 100 containers in the low milliseconds.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerRecord } from './record.js';
import { containerNetwork, parseProcCgroup } from './pid-files.js';
import { workingSet, type BlkioBytes, type NetBytes, type ResourceSample } from './sample.js';

/** A container whose cgroups were not found is looked for again after this long. */
export const RETRY_MS = 30_000;

export interface FsView {
  /** The file's text, or undefined when it is missing or unreadable. */
  read(path: string): string | undefined;
  exists(path: string): boolean;
  list(dir: string): string[];
}

export const realFs: FsView = {
  read(path) {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  },
  exists: (path) => existsSync(path),
  list(dir) {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  },
};

const V1_CONTROLLERS = ['cpuacct', 'memory', 'pids', 'blkio'] as const;
type V1Controller = (typeof V1_CONTROLLERS)[number];

export type CgroupLayout =
  | { readonly version: 2; readonly root: string }
  | { readonly version: 1; readonly mounts: Readonly<Partial<Record<V1Controller, string>>> };

export type ContainerCgroups =
  | { readonly version: 2; readonly dir: string }
  | { readonly version: 1; readonly dirs: Readonly<Partial<Record<V1Controller, string>>> };

/**
 * The hierarchy under `root` (<sysfs>/fs/cgroup): v2 when its root has cgroup.controllers,
 * else the v1 controller mounts ("cpu,cpuacct" directories and their symlinks both count),
 * else a lone v2 hierarchy at root/unified. undefined: no cgroups visible.
 */
export function detectLayout(root: string, fs: FsView = realFs): CgroupLayout | undefined {
  if (fs.exists(join(root, 'cgroup.controllers'))) return { version: 2, root };
  const entries = fs.list(root);
  const mounts: Partial<Record<V1Controller, string>> = {};
  // Exact names first ("cpuacct" before "cpu,cpuacct"), so a symlink and its target agree.
  for (const entry of [...entries].sort((a, b) => Number(a.includes(',')) - Number(b.includes(',')))) {
    for (const c of entry.split(',')) {
      if ((V1_CONTROLLERS as readonly string[]).includes(c) && !mounts[c as V1Controller]) mounts[c as V1Controller] = join(root, entry);
    }
  }
  if (Object.keys(mounts).length > 0) return { version: 1, mounts };
  const unified = join(root, 'unified');
  if (fs.exists(join(unified, 'cgroup.controllers'))) return { version: 2, root: unified };
  return undefined;
}

/** "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice" (systemd's slice nesting). */
export function expandSlice(slice: string): string {
  const base = slice.replace(/\.slice$/, '');
  if (base === '' || base === '-') return '/';
  const parts = base.split('-');
  let path = '';
  let prefix = '';
  for (const p of parts) {
    prefix = prefix === '' ? p : `${prefix}-${p}`;
    path += `/${prefix}.slice`;
  }
  return path;
}

/** Where Docker and Podman put a container's cgroup by default, for when /proc cannot tell. */
export function guessedPaths(id: string, cgroupParent: string): string[] {
  const out: string[] = [];
  if (cgroupParent !== '') {
    if (cgroupParent.endsWith('.slice')) out.push(`${expandSlice(cgroupParent)}/docker-${id}.scope`);
    else out.push(`${cgroupParent.startsWith('/') ? '' : '/'}${cgroupParent.replace(/\/$/, '')}/${id}`);
  }
  out.push(
    `/docker/${id}`,
    `/system.slice/docker-${id}.scope`,
    `/machine.slice/libpod-${id}.scope/container`,
    `/machine.slice/libpod-${id}.scope`,
    `/libpod_parent/libpod-${id}`,
  );
  return out;
}

/**
 * Candidate paths for a /proc/<pid>/cgroup path. Seen from a private cgroup namespace (an
 * exporter in a container on a cgroup v2 host), other containers' paths are relative to the
 * exporter's own cgroup: "/../docker-<id>.scope". The ancestor is then the hierarchy root or
 * one of its top-level directories (system.slice, docker, machine.slice), which covers where
 * engines put containers.
 */
export function candidatesFor(procPath: string, topLevel: readonly string[]): string[] {
  if (!procPath.startsWith('/..')) return [procPath];
  const rest = procPath.replace(/^(\/\.\.)+/, '');
  return [rest, ...topLevel.map((d) => `/${d}${rest}`)];
}

export interface Location {
  readonly cgroups: ContainerCgroups | undefined;
  /** Whether <procfs>/<pid> is the container's main process (its cgroup names the container). */
  readonly pidVerified: boolean;
}

/**
 * The container's cgroup directories, from its /proc/<pid>/cgroup text (undefined when
 * unreadable) or the well-known layouts. Only paths that contain the container id and exist.
 */
export function locateCgroups(
  layout: CgroupLayout,
  record: Pick<ContainerRecord, 'id' | 'cgroupParent'>,
  procCgroupText: string | undefined,
  fs: FsView = realFs,
): Location {
  const proc = procCgroupText === undefined ? undefined : parseProcCgroup(procCgroupText);
  const ownPath = (p: string | undefined) => p !== undefined && p.includes(record.id);
  const pidVerified =
    proc !== undefined && (ownPath(proc.unified) || [...proc.controllers.values()].some((p) => ownPath(p)));
  const guesses = guessedPaths(record.id, record.cgroupParent);
  const find = (mount: string, procPath: string | undefined, probe: string): string | undefined => {
    const fromProc = ownPath(procPath) ? candidatesFor(procPath!, topLevelDirs(mount, fs)) : [];
    for (const rel of [...fromProc, ...guesses]) {
      const dir = join(mount, rel);
      if (rel.includes(record.id) && fs.exists(join(dir, probe))) return dir;
    }
    return undefined;
  };
  if (layout.version === 2) {
    const dir = find(layout.root, proc?.unified, 'cgroup.procs');
    return { cgroups: dir ? { version: 2, dir } : undefined, pidVerified };
  }
  const dirs: Partial<Record<V1Controller, string>> = {};
  for (const c of V1_CONTROLLERS) {
    const mount = layout.mounts[c];
    if (!mount) continue;
    const dir = find(mount, proc?.controllers.get(c), 'cgroup.procs');
    if (dir) dirs[c] = dir;
  }
  return { cgroups: Object.keys(dirs).length > 0 ? { version: 1, dirs } : undefined, pidVerified };
}

function topLevelDirs(mount: string, fs: FsView): string[] {
  return fs.list(mount).filter((e) => !e.includes('.') || e.endsWith('.slice') || e.endsWith('.scope'));
}

// ---- pure parsers ----

/** "key value" lines (cpu.stat, memory.stat) -> numbers. */
export function parseFlatKeyed(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp <= 0) continue;
    const v = Number(line.slice(sp + 1).trim());
    if (Number.isFinite(v)) out.set(line.slice(0, sp), v);
  }
  return out;
}

/** A one-number file (memory.current, pids.current, cpuacct.usage); "max" is Infinity. */
export function parseSingle(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (t === 'max') return Infinity;
  if (t === '') return undefined;
  const v = Number(t);
  return Number.isFinite(v) ? v : undefined;
}

/** cgroup v2 io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N" per device. */
export function parseIoStat(text: string): Omit<BlkioBytes, 'device'>[] {
  const out: Omit<BlkioBytes, 'device'>[] = [];
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    const dev = /^(\d+):(\d+)$/.exec(parts[0] ?? '');
    if (!dev) continue;
    let readBytes = 0;
    let writeBytes = 0;
    for (const kv of parts.slice(1)) {
      const [k, v] = kv.split('=');
      if (k === 'rbytes') readBytes = Number(v);
      else if (k === 'wbytes') writeBytes = Number(v);
    }
    out.push({ major: Number(dev[1]), minor: Number(dev[2]), readBytes, writeBytes });
  }
  return out;
}

/** cgroup v1 blkio.*io_service_bytes*: "MAJ:MIN Read|Write|Sync|Async|Discard|Total N" lines. */
export function parseBlkioV1(text: string): Omit<BlkioBytes, 'device'>[] {
  const byDevice = new Map<string, { major: number; minor: number; readBytes: number; writeBytes: number }>();
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    const dev = /^(\d+):(\d+)$/.exec(parts[0] ?? '');
    if (!dev || parts.length < 3) continue;
    const op = parts[1]!.toLowerCase();
    if (op !== 'read' && op !== 'write') continue;
    const key = parts[0]!;
    const entry = byDevice.get(key) ?? { major: Number(dev[1]), minor: Number(dev[2]), readBytes: 0, writeBytes: 0 };
    if (op === 'read') entry.readBytes += Number(parts[2]);
    else entry.writeBytes += Number(parts[2]);
    byDevice.set(key, entry);
  }
  return [...byDevice.values()];
}

/** The cgroup figures of one container (network comes from /proc, see CgroupReader.network). */
export function readCgroupSample(cg: ContainerCgroups, fs: FsView = realFs): Omit<ResourceSample, 'network'> & { blkioRaw?: Omit<BlkioBytes, 'device'>[] } {
  if (cg.version === 2) {
    const cpu = fs.read(join(cg.dir, 'cpu.stat'));
    const usageUsec = cpu === undefined ? undefined : parseFlatKeyed(cpu).get('usage_usec');
    const memory = parseSingle(fs.read(join(cg.dir, 'memory.current')));
    const stat = fs.read(join(cg.dir, 'memory.stat'));
    const io = fs.read(join(cg.dir, 'io.stat'));
    return {
      cpuSeconds: usageUsec === undefined ? undefined : usageUsec / 1e6,
      memoryUsageBytes: memory,
      memoryWorkingSetBytes: workingSet(memory, stat === undefined ? undefined : parseFlatKeyed(stat).get('inactive_file')),
      threads: parseSingle(fs.read(join(cg.dir, 'pids.current'))),
      ...(io === undefined ? {} : { blkioRaw: parseIoStat(io) }),
    };
  }
  const { cpuacct, memory: memDir, pids, blkio } = cg.dirs;
  const usageNs = cpuacct ? parseSingle(fs.read(join(cpuacct, 'cpuacct.usage'))) : undefined;
  const memory = memDir ? parseSingle(fs.read(join(memDir, 'memory.usage_in_bytes'))) : undefined;
  const stat = memDir ? fs.read(join(memDir, 'memory.stat')) : undefined;
  let io: string | undefined;
  if (blkio) {
    // The throttle files count every device on current kernels; the CFQ ones only where CFQ runs.
    for (const f of ['blkio.throttle.io_service_bytes_recursive', 'blkio.throttle.io_service_bytes', 'blkio.io_service_bytes_recursive']) {
      io = fs.read(join(blkio, f));
      if (io !== undefined) break;
    }
  }
  return {
    cpuSeconds: usageNs === undefined ? undefined : usageNs / 1e9,
    memoryUsageBytes: memory,
    memoryWorkingSetBytes: workingSet(memory, stat === undefined ? undefined : parseFlatKeyed(stat).get('total_inactive_file')),
    threads: pids ? parseSingle(fs.read(join(pids, 'pids.current'))) : undefined,
    ...(io === undefined ? {} : { blkioRaw: parseBlkioV1(io) }),
  };
}

interface Located extends Location {
  readonly pid: number;
  readonly at: number;
}

/**
 * Finds and reads containers' cgroups under deps.paths, remembering where each container's
 * are (per pid: a restart makes a new cgroup on some drivers) and the names of block devices.
 */
export class CgroupReader {
  private layout: CgroupLayout | undefined;
  private layoutAt = -Infinity;
  private readonly located = new Map<string, Located>();
  private readonly deviceNames = new Map<string, string>();

  constructor(
    private readonly paths: { readonly procfs: string; readonly sysfs: string },
    private readonly fs: FsView = realFs,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Where the container's cgroups are; undefined cgroups: not visible to the exporter. */
  locate(record: ContainerRecord): Location {
    const now = this.now();
    const known = this.located.get(record.id);
    if (known && known.pid === record.pid && (known.cgroups !== undefined || now - known.at < RETRY_MS)) return known;
    const layout = this.currentLayout(now);
    const procText = record.pid > 0 ? this.fs.read(join(this.paths.procfs, String(record.pid), 'cgroup')) : undefined;
    const found: Location = layout
      ? locateCgroups(layout, record, procText, this.fs)
      : { cgroups: undefined, pidVerified: procText !== undefined && procText.includes(record.id) };
    this.located.set(record.id, { ...found, pid: record.pid, at: now });
    return found;
  }

  /** The container's figures from its cgroup files; undefined when none could be read (it just went away). */
  sample(record: ContainerRecord, location: Location): ResourceSample | undefined {
    if (!location.cgroups) return undefined;
    const { blkioRaw, ...figures } = readCgroupSample(location.cgroups, this.fs);
    if (figures.cpuSeconds === undefined && figures.memoryUsageBytes === undefined && figures.threads === undefined) {
      this.located.delete(record.id); // look again next time
      return undefined;
    }
    return { ...figures, ...(blkioRaw ? { blkio: blkioRaw.map((b) => ({ ...b, device: this.deviceName(b.major, b.minor) })) } : {}) };
  }

  /** Interfaces of the container's network namespace, when its pid is verified; else undefined. */
  network(record: ContainerRecord, location: Location): NetBytes[] | undefined {
    if (!location.pidVerified || record.pid <= 0) return undefined;
    const text = this.fs.read(join(this.paths.procfs, String(record.pid), 'net', 'dev'));
    return text === undefined ? undefined : containerNetwork(text);
  }

  /** Drops what is remembered about containers not in `ids`. */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.located.keys()) if (!ids.has(id)) this.located.delete(id);
  }

  private currentLayout(now: number): CgroupLayout | undefined {
    if (this.layout === undefined && now - this.layoutAt >= RETRY_MS) {
      this.layout = detectLayout(join(this.paths.sysfs, 'fs', 'cgroup'), this.fs);
      this.layoutAt = now;
    }
    return this.layout;
  }

  /** "/dev/sda" from <sysfs>/dev/block/MAJ:MIN/uevent, like cAdvisor's device label; else "MAJ:MIN". */
  deviceName(major: number, minor: number): string {
    const key = `${major}:${minor}`;
    let name = this.deviceNames.get(key);
    if (name === undefined) {
      const uevent = this.fs.read(join(this.paths.sysfs, 'dev', 'block', key, 'uevent'));
      const m = uevent === undefined ? null : /^DEVNAME=(.+)$/m.exec(uevent);
      name = m ? `/dev/${m[1]!.trim()}` : key;
      this.deviceNames.set(key, name);
    }
    return name;
  }
}
