// node_exporter's filesystem collector: size, free and inode figures of every mounted
// filesystem, from statfs(2) (Node's fs.promises.statfs; never `df`, which would cost a
// process per scrape and hang with it on a dead NFS server).
//
// Like node_exporter 1.5:
// - Mounts come from <procfs>/1/mounts, init's mount table, not /proc/self/mounts: in a
//   container sharing the host's PID namespace, PID 1 is the host's init, so the host's
//   filesystems are listed rather than the container's overlay and bind mounts. Where
//   /proc/1 is hidden by hidepid it falls back to <procfs>/mounts (node_exporter does so
//   when /proc/1 is invisible, hidepid=2; Tocsin also when it is unreadable, hidepid=1,
//   where node_exporter's collector fails).
// - With a rootfs other than "/" (the host's / bind-mounted at, say, /host/root), each
//   mount point is statfs'd at <rootfs>/<mountpoint>, and mount points listed under the
//   rootfs (/host/root/boot, as a container without the host's PID namespace sees them)
//   lose that prefix, so labels read as on the host ("/boot").
// - A statfs that fails or takes longer than the mount timeout (a hung NFS server) gives
//   node_filesystem_device_error 1 and no other series for that mount; the collector
//   itself succeeds. A mount whose statfs is still stuck from an earlier scrape is not
//   statfs'd again until that call returns: each hung call holds one of libuv's four
//   threadpool threads, which every file read in the process shares.
// - Mounts with the same device, mount point and type (the same tmpfs mounted twice) are
//   reported once.
import { readFile, statfs as fsStatfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { Collector, CollectorDeps } from '../collector.js';
import { gauge } from '../collector.js';
import type { CollectorsConfig } from '../../config/schema.js';
import { excluder, fields } from '../procfs.js';
import { SingleFlight } from '../../util/single-flight.js';
import { withDeadline } from '../../util/deadline.js';

export interface MountEntry {
  readonly device: string;
  readonly mountPoint: string;
  readonly fsType: string;
  readonly options: string;
}

/** What the collector needs of statfs(2); Node's StatFs has these fields. */
export interface StatfsResult {
  readonly bsize: number;
  readonly blocks: number;
  readonly bfree: number;
  readonly bavail: number;
  readonly files: number;
  readonly ffree: number;
}

export interface FilesystemOptions {
  /** Replaces fs.promises.statfs (tests pass a fake that hangs or fails). */
  readonly statfs?: (path: string) => Promise<StatfsResult>;
  /** How long one statfs may take before its mount is reported as failed. */
  readonly mountTimeoutMs?: number;
}

/** node_exporter's --collector.filesystem.mount-timeout default. */
export const DEFAULT_MOUNT_TIMEOUT_MS = 5_000;

function trimTrailingSlashes(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}

/**
 * A mount point as seen from the host: the rootfs prefix removed ("/host/root/boot" ->
 * "/boot", "/host/root" -> "/"). node_exporter uses a plain string prefix, which would also
 * turn "/host/rootfs" into "fs"; here only whole path components match.
 */
export function stripRootfs(mountPoint: string, rootfs: string): string {
  const root = trimTrailingSlashes(rootfs);
  if (root === '/') return mountPoint;
  if (mountPoint === root) return '/';
  if (mountPoint.startsWith(`${root}/`)) return mountPoint.slice(root.length);
  return mountPoint;
}

/** Where to statfs a host mount point: under the rootfs, cleaned like Go's filepath.Join. */
export function statfsPath(rootfs: string, mountPoint: string): string {
  return trimTrailingSlashes(join(rootfs, mountPoint));
}

/**
 * The entries of a mounts file (fstab(5) format). Only the space and tab escapes in mount
 * points are decoded, as node_exporter does, so the mountpoint labels are identical to its.
 */
export function parseMounts(text: string, rootfs = '/'): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const parts = fields(line);
    if (parts.length === 0) continue;
    if (parts.length < 4) throw new Error(`malformed mount point information: ${JSON.stringify(line)}`);
    const mountPoint = parts[1]!.replaceAll('\\040', ' ').replaceAll('\\011', '\t');
    out.push({ device: parts[0]!, mountPoint: stripRootfs(mountPoint, rootfs), fsType: parts[2]!, options: parts[3]! });
  }
  return out;
}

/** Whether the mount options make the filesystem read-only (node_exporter's node_filesystem_readonly). */
export function isReadOnly(options: string): boolean {
  return options.split(',').includes('ro');
}

/**
 * The mounts to report: exclusions applied to the host-side mount point and the type,
 * then one entry per (device, mount point, type), the first listed winning.
 */
export function selectMounts(
  mounts: readonly MountEntry[],
  mountPointsExcluded: (mountPoint: string) => boolean,
  fsTypesExcluded: (fsType: string) => boolean,
): MountEntry[] {
  const seen = new Set<string>();
  const out: MountEntry[] = [];
  for (const m of mounts) {
    if (mountPointsExcluded(m.mountPoint) || fsTypesExcluded(m.fsType)) continue;
    const key = JSON.stringify([m.device, m.mountPoint, m.fsType]);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(m);
  }
  return out;
}

async function readMounts(procfs: string, signal: AbortSignal): Promise<string> {
  try {
    return await readFile(join(procfs, '1/mounts'), { encoding: 'utf8', signal });
  } catch (err) {
    // hidepid=2 hides /proc/1 (ENOENT); hidepid=1 leaves it visible but unreadable.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'EACCES' && code !== 'EPERM') throw err;
    return readFile(join(procfs, 'mounts'), { encoding: 'utf8', signal });
  }
}

type Outcome = { readonly stats: StatfsResult } | { readonly error: string };

export function createFilesystemCollector(
  config: CollectorsConfig['filesystem'],
  deps: CollectorDeps,
  options: FilesystemOptions = {},
): Collector {
  const mountPointsExcluded = excluder(config.mount_points_exclude);
  const fsTypesExcluded = excluder(config.fs_types_exclude);
  const statfs = options.statfs ?? ((path: string) => fsStatfs(path));
  const timeoutMs = options.mountTimeoutMs ?? DEFAULT_MOUNT_TIMEOUT_MS;
  // statfs calls that have not returned yet, by path, across scrapes.
  const inflight = new SingleFlight<string, Outcome>();

  async function stat(path: string, signal: AbortSignal): Promise<Outcome> {
    const call = inflight.start(path, () =>
      statfs(path).then(
        (stats): Outcome => ({ stats }),
        (err: unknown): Outcome => ({ error: (err as Error)?.message ?? String(err) }),
      ),
    );
    if (!call) return { error: 'an earlier statfs has not returned yet' };
    const result = await withDeadline(call, { ms: timeoutMs, signal });
    if (result.done) return result.value;
    const error = result.reason === 'timeout' ? `statfs did not return within ${timeoutMs} ms` : 'scrape deadline passed';
    // Logged once per hung call, not per scrape: later scrapes skip the mount until it returns.
    deps.logger.warn({ path, err: error }, 'statfs has not returned; reporting device_error until it does');
    void call.then(() => deps.logger.info({ path }, 'statfs returned; mount monitored again'));
    return { error };
  }

  return {
    name: 'filesystem',
    async collect({ registry, signal }) {
      const { procfs, rootfs } = deps.paths;
      const mounts = selectMounts(parseMounts(await readMounts(procfs, signal), rootfs), mountPointsExcluded, fsTypesExcluded);
      if (mounts.length === 0) return;
      // Two entries can share a path (a mount point mounted over): one statfs serves both.
      const calls = new Map<string, Promise<Outcome>>();
      const outcomes = await Promise.all(
        mounts.map((m) => {
          const path = statfsPath(rootfs, m.mountPoint);
          if (!calls.has(path)) calls.set(path, stat(path, signal));
          return calls.get(path)!;
        }),
      );

      const labelNames = ['device', 'fstype', 'mountpoint'] as const;
      const deviceError = gauge(
        registry,
        'node_filesystem_device_error',
        'Whether an error occurred while getting statistics for the given device.',
        labelNames,
      );
      mounts.forEach((m, i) => {
        const outcome = outcomes[i]!;
        if ('error' in outcome) deps.logger.debug({ mountpoint: m.mountPoint, rootfs, err: outcome.error }, 'statfs failed');
        deviceError.set({ device: m.device, fstype: m.fsType, mountpoint: m.mountPoint }, 'error' in outcome ? 1 : 0);
      });
      // The other families only exist when some statfs succeeded, so a scrape where every
      // mount failed shows no empty families, as with node_exporter.
      if (outcomes.every((o) => 'error' in o)) return;
      const size = gauge(registry, 'node_filesystem_size_bytes', 'Filesystem size in bytes.', labelNames);
      const free = gauge(registry, 'node_filesystem_free_bytes', 'Filesystem free space in bytes.', labelNames);
      const avail = gauge(registry, 'node_filesystem_avail_bytes', 'Filesystem space available to non-root users in bytes.', labelNames);
      const files = gauge(registry, 'node_filesystem_files', 'Filesystem total file nodes.', labelNames);
      const filesFree = gauge(registry, 'node_filesystem_files_free', 'Filesystem total free file nodes.', labelNames);
      const readonly = gauge(registry, 'node_filesystem_readonly', 'Filesystem read-only status.', labelNames);
      mounts.forEach((m, i) => {
        const outcome = outcomes[i]!;
        if ('error' in outcome) return;
        const labels = { device: m.device, fstype: m.fsType, mountpoint: m.mountPoint };
        const s = outcome.stats;
        size.set(labels, s.blocks * s.bsize);
        free.set(labels, s.bfree * s.bsize);
        avail.set(labels, s.bavail * s.bsize);
        files.set(labels, s.files);
        filesFree.set(labels, s.ffree);
        readonly.set(labels, isReadOnly(m.options) ? 1 : 0);
      });
    },
  };
}
