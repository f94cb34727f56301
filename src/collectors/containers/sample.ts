// One running container's resource figures, wherever they came from: its cgroup files and
// /proc/<pid>/net/dev (cgroup.ts, pid-files.ts), or the engine's stats API where the exporter
// cannot see those (stats-fallback.ts). Every field is optional: a file that cannot be read
// leaves its family out for that container rather than failing the scrape.

export interface BlkioBytes {
  /** "/dev/sda" when <sysfs>/dev/block names it, else "major:minor". */
  readonly device: string;
  readonly major: number;
  readonly minor: number;
  readonly readBytes: number;
  readonly writeBytes: number;
}

export interface NetBytes {
  readonly iface: string;
  readonly rxBytes: number;
  readonly txBytes: number;
}

export interface ResourceSample {
  readonly cpuSeconds?: number | undefined;
  readonly memoryUsageBytes?: number | undefined;
  /** usage minus inactive file pages, as cAdvisor and the kubelet compute it. */
  readonly memoryWorkingSetBytes?: number | undefined;
  /** Tasks (threads) in the cgroup: pids.current. */
  readonly threads?: number | undefined;
  readonly blkio?: readonly BlkioBytes[] | undefined;
  readonly network?: readonly NetBytes[] | undefined;
}

export type ResourceSource = 'cgroup' | 'stats_api' | 'none';

/** cAdvisor's working set: usage less inactive file pages, never below zero. */
export function workingSet(usage: number | undefined, inactiveFile: number | undefined): number | undefined {
  if (usage === undefined) return undefined;
  if (inactiveFile === undefined || inactiveFile > usage) return inactiveFile === undefined ? usage : 0;
  return usage - inactiveFile;
}

/**
 * Interfaces cAdvisor leaves out of container_network_*: loopback and the host side of
 * bridges (container/libcontainer/handler.go, ignoredDevicePrefixes).
 */
export function isIgnoredInterface(name: string): boolean {
  const n = name.toLowerCase();
  return n.startsWith('lo') || n.startsWith('veth') || n.startsWith('docker') || n.startsWith('nerdctl');
}
