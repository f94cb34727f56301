// What the collector reads under <procfs>/<container pid>: `cgroup` (where the container's
// cgroups are, and proof that the pid is really the container's) and `net/dev` (the
// interfaces of the container's network namespace, cheaper than any API call, parsed by
// the shared /proc/net/dev parser in ../procfs.ts). Pure parsers.
import { parseNetDev } from '../procfs.js';
import { isIgnoredInterface, type NetBytes } from './sample.js';

export interface ProcCgroup {
  /** The cgroup v2 path (the "0::" line), if any. */
  readonly unified: string | undefined;
  /** cgroup v1 controller -> path ("cpu,cpuacct" lines give both names). */
  readonly controllers: ReadonlyMap<string, string>;
}

/** /proc/<pid>/cgroup: "hierarchy-ID:controller-list:path" per line. */
export function parseProcCgroup(text: string): ProcCgroup {
  let unified: string | undefined;
  const controllers = new Map<string, string>();
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const list = line.slice(first + 1, second);
    const path = line.slice(second + 1);
    if (list === '') {
      if (line.slice(0, first) === '0') unified = path;
      continue;
    }
    for (const c of list.split(',')) if (!controllers.has(c)) controllers.set(c, path);
  }
  return { unified, controllers };
}

/**
 * /proc/<pid>/net/dev: bytes received and sent per interface, without the interfaces
 * cAdvisor leaves out (loopback, veth*, docker*). `all` keeps them. undefined when the text
 * is not /proc/net/dev (the process went away mid-read): unknown, not zero traffic.
 */
export function containerNetwork(text: string, all = false): NetBytes[] | undefined {
  let devices: ReturnType<typeof parseNetDev>;
  try {
    devices = parseNetDev(text);
  } catch {
    return undefined;
  }
  const out: NetBytes[] = [];
  for (const [iface, stats] of devices) {
    if (!all && isIgnoredInterface(iface)) continue;
    out.push({ iface, rxBytes: stats.receive_bytes, txBytes: stats.transmit_bytes });
  }
  return out;
}
