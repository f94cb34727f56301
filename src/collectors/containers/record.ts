// What the collector knows about one container, normalised from GET /containers/{id}/json
// (docker inspect). Pure: the state cache (cache.ts) keeps one record per container and
// replaces it on every inspect.

/** Docker's container states (State.Status), in lifecycle order. */
export const CONTAINER_STATES = ['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'] as const;
export type ContainerState = (typeof CONTAINER_STATES)[number];

/** Health statuses of a container that has a health check. */
export const HEALTH_STATUSES = ['starting', 'healthy', 'unhealthy'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

export interface ContainerRecord {
  /** The full 64-hex id. */
  readonly id: string;
  /** The 12-character id `docker ps` shows. */
  readonly shortId: string;
  /** Without the leading slash. */
  readonly name: string;
  /** The image as the container was created from it (Config.Image), e.g. "nginx:1.27". */
  readonly image: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly state: ContainerState;
  /** Exit code of the last run; 0 when running or never run. */
  readonly exitCode: number;
  /** Whether the kernel OOM killer ended the last run. */
  readonly oomKilled: boolean;
  /** Restarts done by the restart policy (Docker resets it when the container is started by hand). */
  readonly restartCount: number;
  /** Main process id in the engine's PID namespace; 0 when not running. */
  readonly pid: number;
  /** Unix seconds; undefined when never started / never finished. */
  readonly startedAt: number | undefined;
  readonly finishedAt: number | undefined;
  /** undefined: the container has no health check. */
  readonly health: { readonly status: HealthStatus; readonly failingStreak: number } | undefined;
  /** HostConfig.Memory in bytes; 0 when unlimited. */
  readonly memoryLimitBytes: number;
  /** CFS quota and period in microseconds (`--cpus` or `--cpu-quota`); undefined when unlimited. */
  readonly cpuLimit: { readonly quotaMicros: number; readonly periodMicros: number } | undefined;
  /** HostConfig.NetworkMode: "none", "bridge", "host", "container:<id>", a network name. */
  readonly networkMode: string;
  /** HostConfig.CgroupParent ("" for the engine's default). */
  readonly cgroupParent: string;
}

/** Unix seconds of a Docker timestamp; undefined for Go's zero time (0001-01-01) or garbage. */
export function parseDockerTime(text: unknown): number | undefined {
  if (typeof text !== 'string' || text === '') return undefined;
  const ms = Date.parse(text);
  if (!Number.isFinite(ms) || ms <= 0) return undefined;
  // Date.parse keeps milliseconds; the nanoseconds Docker adds are below a scrape's resolution.
  return ms / 1000;
}

/**
 * Docker's state, and Podman's compat API where it says something else (Podman reports
 * "configured" and "stopped" in some versions).
 */
export function normaliseState(status: unknown, running?: unknown): ContainerState {
  const s = typeof status === 'string' ? status.toLowerCase() : '';
  if ((CONTAINER_STATES as readonly string[]).includes(s)) return s as ContainerState;
  switch (s) {
    case 'configured':
    case 'initialized':
      return 'created';
    case 'stopped':
    case 'stopping':
      return 'exited';
    default:
      return running === true ? 'running' : 'exited';
  }
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export function recordFromInspect(json: unknown): ContainerRecord {
  const c = obj(json);
  const state = obj(c.State);
  const config = obj(c.Config);
  const host = obj(c.HostConfig);
  const id = str(c.Id);
  if (!/^[0-9a-f]{12,}$/i.test(id)) throw new Error(`inspect answer without a container id: ${JSON.stringify(c.Id)}`);
  const healthJson = obj(state.Health);
  const healthStatus = str(healthJson.Status) as HealthStatus;
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj(config.Labels))) if (typeof v === 'string') labels[k] = v;
  return {
    id,
    shortId: id.slice(0, 12),
    name: str(c.Name).replace(/^\//, ''),
    image: str(config.Image) || str(c.Image),
    labels,
    state: normaliseState(state.Status, state.Running),
    exitCode: num(state.ExitCode),
    oomKilled: state.OOMKilled === true,
    restartCount: num(c.RestartCount),
    pid: num(state.Pid),
    startedAt: parseDockerTime(state.StartedAt),
    finishedAt: parseDockerTime(state.FinishedAt),
    health: (HEALTH_STATUSES as readonly string[]).includes(healthStatus)
      ? { status: healthStatus, failingStreak: num(healthJson.FailingStreak) }
      : undefined,
    memoryLimitBytes: num(host.Memory),
    cpuLimit: cpuLimit(num(host.NanoCpus), num(host.CpuQuota), num(host.CpuPeriod)),
    networkMode: str(host.NetworkMode),
    cgroupParent: str(host.CgroupParent),
  };
}

// Docker's CFS period when none is set; `--cpus` always uses it (Docker's daemon does the same).
const DEFAULT_CPU_PERIOD_MICROS = 100_000;

/** `--cpus N` (NanoCpus) or `--cpu-quota/--cpu-period`, as the kernel's quota and period. */
export function cpuLimit(nanoCpus: number, quota: number, period: number): ContainerRecord['cpuLimit'] {
  if (nanoCpus > 0) return { quotaMicros: (nanoCpus / 1e9) * DEFAULT_CPU_PERIOD_MICROS, periodMicros: DEFAULT_CPU_PERIOD_MICROS };
  if (quota > 0) return { quotaMicros: quota, periodMicros: period > 0 ? period : DEFAULT_CPU_PERIOD_MICROS };
  return undefined;
}

/** Whether the container has processes, hence cgroups and resource figures. */
export function isLive(r: Pick<ContainerRecord, 'state'>): boolean {
  return r.state === 'running' || r.state === 'paused';
}
