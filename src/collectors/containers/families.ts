// The container collector's series. Two groups (docs/containers.md lists them all):
// - container_*: cAdvisor's names, label names, units and help texts, for running (and
//   paused) containers only, as cAdvisor has them, so existing container dashboards and
//   rules work, including the common `time() - container_last_seen > 60` for a container
//   that is gone.
// - tocsin_container_*: what cAdvisor lacks, for every container the engine knows, running
//   or not: state, exit code, OOM kill, restarts, health, start and finish times, and the
//   collector's own view (containers by state, where resource figures came from).
//
// Labels on every container series: `id` (the 12-character id `docker ps` shows; cAdvisor's
// `id` is the cgroup path instead, see docs/containers.md), `name`, `image`, and one
// `container_label_<key>` per allow-listed container label (cAdvisor's prefix and name
// sanitising), empty when the container does not have the label.
import type { Registry } from 'prom-client';
import { counter, gauge } from '../collector.js';
import { CONTAINER_STATES, HEALTH_STATUSES, isLive, type ContainerRecord } from './record.js';
import type { ResourceSample, ResourceSource } from './sample.js';

export const CONTAINER_LABEL_PREFIX = 'container_label_';

/** cAdvisor's sanitizeLabelName: anything but [a-zA-Z0-9_] becomes "_". */
export function containerLabelName(key: string): string {
  return CONTAINER_LABEL_PREFIX + key.replace(/[^a-zA-Z0-9_]/g, '_');
}

export interface LabelSchema {
  /** id, name, image, then the container_label_* names. */
  readonly names: readonly string[];
  /** [metric label name, container label key] for the allow-list. */
  readonly fromContainer: readonly (readonly [string, string])[];
  /** Allow-listed keys left out because they sanitise to a name an earlier key has. */
  readonly collisions: readonly string[];
}

export function labelSchema(allowlist: readonly string[]): LabelSchema {
  const fromContainer: [string, string][] = [];
  const collisions: string[] = [];
  const seen = new Set<string>();
  for (const key of allowlist) {
    const name = containerLabelName(key);
    if (seen.has(name)) {
      collisions.push(key);
      continue;
    }
    seen.add(name);
    fromContainer.push([name, key]);
  }
  return { names: ['id', 'name', 'image', ...fromContainer.map(([n]) => n)], fromContainer, collisions };
}

export function identity(r: ContainerRecord, schema: LabelSchema): Record<string, string> {
  const labels: Record<string, string> = { id: r.shortId, name: r.name, image: r.image };
  for (const [name, key] of schema.fromContainer) labels[name] = r.labels[key] ?? '';
  return labels;
}

export interface CollectedView {
  /** Every container the engine lists. */
  readonly containers: readonly ContainerRecord[];
  /** Figures of live containers, by full id (absent: none available). */
  readonly resources: ReadonlyMap<string, ResourceSample>;
  /** Live containers by where their figures came from. */
  readonly sources: Readonly<Record<ResourceSource, number>>;
  /** Unix seconds of this collection (container_last_seen). */
  readonly nowSeconds: number;
}

type Labels = Record<string, string>;
interface Family {
  set(labels: Labels, value: number): void;
}

export function writeFamilies(registry: Registry, view: CollectedView, schema: LabelSchema): void {
  const base = schema.names;
  // Families are registered on first use, so a scrape shows no family without samples
  // (no running container: no container_* families at all).
  const lazy = (make: () => { set(labels: Labels, value: number): void }): Family => {
    let made: { set(labels: Labels, value: number): void } | undefined;
    return { set: (labels, value) => (made ??= make()).set(labels, value) };
  };
  const g = (name: string, help: string, extra: readonly string[] = []): Family =>
    lazy(() => gauge(registry, name, help, [...base, ...extra]));
  const c = (name: string, help: string, extra: readonly string[] = []): Family =>
    lazy(() => {
      const m = counter(registry, name, help, [...base, ...extra]);
      // The registry is new every scrape: a counter's value is set by one inc().
      return { set: (labels: Labels, value: number) => m.inc(labels, value) };
    });

  // ---- the engine's view of every container (tocsin_container_*) ----
  const state = g('tocsin_container_state', 'Container state as the engine reports it: 1 for the current state, 0 for the others.', ['state']);
  const exitCode = g('tocsin_container_exit_code', "Exit code of the container's last run (0 while it runs and if it never ran).");
  const oomKilled = g('tocsin_container_oom_killed', "Whether the kernel OOM killer ended the container's last run (1) or not (0).");
  const restarts = c(
    'tocsin_container_restarts_total',
    'Times the engine restarted the container under its restart policy (Docker resets it to 0 when the container is started by hand).',
  );
  const started = g('tocsin_container_start_time_seconds', "Unix time the container's last run started; absent if it never ran.");
  const finished = g('tocsin_container_finish_time_seconds', "Unix time the container's last run ended; absent if no run ended yet.");
  const health = g(
    'tocsin_container_health_status',
    'Health of a running container: 1 for the current status (starting, healthy, unhealthy; none when it has no health check), 0 for the others.',
    ['status'],
  );
  const failingStreak = g('tocsin_container_health_failing_streak', 'Consecutive failed health checks of a running container with a health check.');
  const byState = gauge(registry, 'tocsin_containers', 'Containers the engine knows, by state.', ['state']);
  const sources = gauge(
    registry,
    'tocsin_container_resource_sources',
    'Running containers by where their resource figures came from: cgroup files, the stats API (cgroups not visible to the exporter), or none yet.',
    ['source'],
  );

  // ---- cAdvisor's families, for live containers ----
  const lastSeen = g('container_last_seen', 'Last time a container was seen by the exporter');
  const startTime = g('container_start_time_seconds', 'Start time of the container since unix epoch in seconds.');
  const healthState = g('container_health_state', "The result of the container's health check");
  const memoryLimit = g('container_spec_memory_limit_bytes', 'Memory limit for the container.');
  // cAdvisor's raw CFS figures (microseconds); present only for containers with a CPU limit.
  const cpuQuota = g('container_spec_cpu_quota', 'CPU quota of the container.');
  const cpuPeriod = g('container_spec_cpu_period', 'CPU period of the container.');
  const cpu = c('container_cpu_usage_seconds_total', 'Cumulative cpu time consumed in seconds.', ['cpu']);
  const memoryUsage = g('container_memory_usage_bytes', 'Current memory usage in bytes, including all memory regardless of when it was accessed');
  const workingSet = g('container_memory_working_set_bytes', 'Current working set in bytes.');
  const threads = g('container_threads', 'Number of threads running inside the container');
  const rx = c('container_network_receive_bytes_total', 'Cumulative count of bytes received', ['interface']);
  const tx = c('container_network_transmit_bytes_total', 'Cumulative count of bytes transmitted', ['interface']);
  const reads = c('container_fs_reads_bytes_total', 'Cumulative count of bytes read', ['device']);
  const writes = c('container_fs_writes_bytes_total', 'Cumulative count of bytes written', ['device']);

  const counts = Object.fromEntries(CONTAINER_STATES.map((s) => [s, 0])) as Record<(typeof CONTAINER_STATES)[number], number>;
  for (const r of view.containers) {
    const id = identity(r, schema);
    counts[r.state]++;
    for (const s of CONTAINER_STATES) state.set({ ...id, state: s }, s === r.state ? 1 : 0);
    exitCode.set(id, r.exitCode);
    oomKilled.set(id, r.oomKilled ? 1 : 0);
    restarts.set(id, r.restartCount);
    if (r.startedAt !== undefined) started.set(id, r.startedAt);
    if (r.finishedAt !== undefined) finished.set(id, r.finishedAt);
    if (!isLive(r)) continue;

    // A stopped container's last health status is stale (Docker keeps "unhealthy"): running ones only.
    if (r.health) {
      for (const s of HEALTH_STATUSES) health.set({ ...id, status: s }, s === r.health.status ? 1 : 0);
      failingStreak.set(id, r.health.failingStreak);
    } else {
      health.set({ ...id, status: 'none' }, 1);
    }
    healthState.set(id, r.health === undefined ? -1 : r.health.status === 'healthy' ? 1 : 0);
    lastSeen.set(id, view.nowSeconds);
    if (r.startedAt !== undefined) startTime.set(id, r.startedAt);
    memoryLimit.set(id, r.memoryLimitBytes);
    if (r.cpuLimit) {
      cpuQuota.set(id, r.cpuLimit.quotaMicros);
      cpuPeriod.set(id, r.cpuLimit.periodMicros);
    }

    const s = view.resources.get(r.id);
    if (!s) continue;
    if (s.cpuSeconds !== undefined) cpu.set({ ...id, cpu: 'total' }, s.cpuSeconds);
    if (s.memoryUsageBytes !== undefined) memoryUsage.set(id, s.memoryUsageBytes);
    if (s.memoryWorkingSetBytes !== undefined) workingSet.set(id, s.memoryWorkingSetBytes);
    if (s.threads !== undefined) threads.set(id, s.threads);
    for (const n of s.network ?? []) {
      rx.set({ ...id, interface: n.iface }, n.rxBytes);
      tx.set({ ...id, interface: n.iface }, n.txBytes);
    }
    for (const b of s.blkio ?? []) {
      reads.set({ ...id, device: b.device }, b.readBytes);
      writes.set({ ...id, device: b.device }, b.writeBytes);
    }
  }
  for (const s of CONTAINER_STATES) byState.set({ state: s }, counts[s]);
  for (const [source, n] of Object.entries(view.sources)) sources.set({ source }, n);
}
