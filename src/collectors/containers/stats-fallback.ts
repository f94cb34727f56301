// Resource figures from the engine's stats API, for running containers whose cgroup files
// the exporter cannot see (an exporter without the host's /sys, a remote engine over tcp)
// or whose network namespace it cannot reach (no host PID namespace).
//
// Never on the scrape path: `docker stats --no-stream` waits for two samples a second
// apart, per container. A background loop asks for one sample per container with
// stream=false&one-shot=true (one call, no wait; engines that ignore one-shot take the
// second), at most STATS_CONCURRENCY at a time, every refresh interval; scrapes serve the
// latest sample, so figures are up to one interval old. A container is sampled as soon as
// a scrape first asks for it, and forgotten when no scrape asks any more.
import type { Logger } from 'pino';
import type { EngineClient } from './docker-client.js';
import { isIgnoredInterface, workingSet, type BlkioBytes, type NetBytes, type ResourceSample } from './sample.js';
import { SingleFlight } from '../../util/single-flight.js';

export const DEFAULT_STATS_REFRESH_MS = 15_000;
export const STATS_CONCURRENCY = 4;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** GET /containers/{id}/stats (one sample) -> figures; Docker on cgroup v1 and v2, and Podman. */
export function sampleFromStats(json: unknown): ResourceSample {
  const s = obj(json);
  const cpu = obj(obj(s.cpu_stats).cpu_usage);
  const mem = obj(s.memory_stats);
  const memStats = obj(mem.stats);
  const usage = num(mem.usage);
  const inactive = num(memStats.total_inactive_file) ?? num(memStats.inactive_file);
  const totalNs = num(cpu.total_usage);
  const blkio = new Map<string, Omit<BlkioBytes, 'device'> & { device: string }>();
  const entries = obj(s.blkio_stats).io_service_bytes_recursive;
  for (const e of Array.isArray(entries) ? entries : []) {
    const entry = obj(e);
    const major = num(entry.major);
    const minor = num(entry.minor);
    const op = typeof entry.op === 'string' ? entry.op.toLowerCase() : '';
    const value = num(entry.value) ?? 0;
    if (major === undefined || minor === undefined || (op !== 'read' && op !== 'write')) continue;
    const key = `${major}:${minor}`;
    const b = blkio.get(key) ?? { device: key, major, minor, readBytes: 0, writeBytes: 0 };
    blkio.set(key, op === 'read' ? { ...b, readBytes: b.readBytes + value } : { ...b, writeBytes: b.writeBytes + value });
  }
  const network: NetBytes[] = [];
  for (const [iface, n] of Object.entries(obj(s.networks))) {
    if (isIgnoredInterface(iface)) continue;
    network.push({ iface, rxBytes: num(obj(n).rx_bytes) ?? 0, txBytes: num(obj(n).tx_bytes) ?? 0 });
  }
  return {
    cpuSeconds: totalNs === undefined ? undefined : totalNs / 1e9,
    memoryUsageBytes: usage,
    memoryWorkingSetBytes: workingSet(usage, inactive),
    threads: num(obj(s.pids_stats).current),
    blkio: [...blkio.values()],
    // Absent networks (--network none, host, container:) is no interfaces, not zero traffic.
    network: s.networks === undefined ? undefined : network,
  };
}

export class StatsFallback {
  private readonly samples = new Map<string, { readonly sample: ResourceSample; readonly at: number }>();
  private wanted = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly passes = new SingleFlight<'pass', void>();
  private again = false;
  private readonly controller = new AbortController();

  constructor(
    private readonly client: EngineClient,
    private readonly logger: Logger,
    private readonly refreshMs = DEFAULT_STATS_REFRESH_MS,
  ) {}

  /** The containers that need the stats API from now on; new ones are sampled at once. */
  want(ids: Iterable<string>): void {
    const next = new Set(ids);
    const fresh = [...next].some((id) => !this.wanted.has(id));
    this.wanted = next;
    for (const id of this.samples.keys()) if (!next.has(id)) this.samples.delete(id);
    if (next.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    this.timer ??= setInterval(() => void this.refresh(), this.refreshMs).unref();
    if (fresh) void this.refresh();
  }

  /** The latest sample, if not older than three refresh intervals. */
  get(id: string): ResourceSample | undefined {
    const s = this.samples.get(id);
    return s && performance.now() - s.at < 3 * this.refreshMs ? s.sample : undefined;
  }

  close(): void {
    clearInterval(this.timer);
    this.controller.abort();
  }

  private refresh(): Promise<void> {
    // One pass at a time; a container asked for during a pass gets another pass right after.
    if (this.passes.has('pass')) this.again = true;
    return this.passes.run('pass', async () => {
      do {
        this.again = false;
        await this.pass();
      } while (this.again && !this.controller.signal.aborted);
    });
  }

  private async pass(): Promise<void> {
    const queue = [...this.wanted];
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined && !this.controller.signal.aborted; id = queue.shift()) {
        try {
          const json = await this.client.statsOnce(id, this.controller.signal);
          if (json !== undefined && this.wanted.has(id)) this.samples.set(id, { sample: sampleFromStats(json), at: performance.now() });
        } catch (err) {
          this.logger.debug({ id: id.slice(0, 12), err: (err as Error).message }, 'stats API sample failed');
        }
      }
    };
    await Promise.all(Array.from({ length: STATS_CONCURRENCY }, worker));
  }
}
