// The container collector: Docker containers' state, exit codes, restarts, health, CPU,
// memory, tasks, network and block I/O, through the Docker Engine API (or Podman's
// compatible one). Series are described in families.ts and docs/containers.md.
//
// What a scrape costs, and what it never does:
// - One GET /_ping (bounded by PING_TIMEOUT_MS): whether the engine answered this scrape.
//   When it does not (stopped, socket missing or not permitted, hung), the collector fails
//   with one stable sentence (the scrape engine logs it once, and `collector recovered`
//   when it answers again), tocsin_collector_success{collector="containers"} is 0 and every
//   other collector is served as usual. Recovery needs nothing: the cache reconnects.
// - No list and no inspect: the container list comes from the state cache (cache.ts), fed
//   by the events stream and resyncs in the background.
// - No stats API call: CPU, memory, tasks and block I/O come from cgroup files, network
//   from /proc/<pid>/net/dev (cgroup.ts), about seven small synchronous reads per running
//   container. Containers whose cgroups are invisible to the exporter get figures sampled
//   by the stats API in the background (stats-fallback.ts).
import type { Collector, CollectorDeps } from '../collector.js';
import type { CollectorsConfig } from '../../config/schema.js';
import { ContainerCache, type CacheOptions } from './cache.js';
import { CgroupReader, type FsView } from './cgroup.js';
import { EngineClient, EngineError, describeEngineError, resolveEndpoint } from './docker-client.js';
import { labelSchema, writeFamilies } from './families.js';
import { isLive } from './record.js';
import type { ResourceSample, ResourceSource } from './sample.js';
import { StatsFallback } from './stats-fallback.js';

/** How long a scrape waits for GET /_ping. */
export const PING_TIMEOUT_MS = 2_000;
/** How long a scrape waits for the container list after (re)connecting. */
export const SYNC_WAIT_MS = 5_000;

export interface ContainersCollectorOptions extends CacheOptions {
  readonly pingTimeoutMs?: number;
  readonly syncWaitMs?: number;
  readonly statsRefreshMs?: number;
  /** Replaces the real filesystem for the cgroup and /proc reads (tests). */
  readonly fs?: FsView;
}

export function createContainersCollector(
  config: CollectorsConfig['containers'],
  deps: CollectorDeps,
  options: ContainersCollectorOptions = {},
): Collector {
  const endpoint = resolveEndpoint(config.docker_host, config.tls);
  const client = new EngineClient(endpoint);
  const cache = new ContainerCache(client, deps.logger, options);
  const stats = new StatsFallback(client, deps.logger, options.statsRefreshMs);
  const cgroups = new CgroupReader(deps.paths, options.fs);
  const schema = labelSchema(config.label_allowlist);
  const pingTimeoutMs = options.pingTimeoutMs ?? PING_TIMEOUT_MS;
  const syncWaitMs = options.syncWaitMs ?? SYNC_WAIT_MS;
  if (schema.collisions.length > 0) {
    deps.logger.warn({ ignored: schema.collisions }, 'label_allowlist keys that give the same metric label name as an earlier key are ignored');
  }
  cache.start();

  return {
    name: 'containers',
    async collect({ registry, signal }) {
      try {
        await client.ping(signal, pingTimeoutMs);
      } catch (err) {
        // The scrape's own deadline says nothing about the engine.
        if (signal.aborted) throw err;
        cache.markDown(err instanceof EngineError ? err.message : describeEngineError(err, endpoint));
        throw new Error(cache.downCause);
      }
      if (!cache.isSynced) {
        cache.kick();
        if (!(await cache.waitSynced(signal, syncWaitMs))) {
          throw new Error(cache.downCause ?? `Docker engine at ${endpoint.display} answers, but the container list is not synced yet`);
        }
      }
      cache.markUp();

      const containers = cache.snapshot();
      const resources = new Map<string, ResourceSample>();
      const sources: Record<ResourceSource, number> = { cgroup: 0, stats_api: 0, none: 0 };
      const viaApi: string[] = [];
      const live = containers.filter(isLive);
      for (const r of live) {
        const location = cgroups.locate(r);
        const fromCgroup = cgroups.sample(r, location);
        const ownNetwork = !(r.networkMode === 'host' || r.networkMode.startsWith('container:'));
        const network = ownNetwork ? cgroups.network(r, location) : undefined;
        const needApi = fromCgroup === undefined || (ownNetwork && network === undefined);
        if (needApi) viaApi.push(r.id);
        const api = needApi ? stats.get(r.id) : undefined;
        if (fromCgroup) {
          resources.set(r.id, { ...fromCgroup, network: network ?? (ownNetwork ? api?.network : undefined) });
          sources.cgroup++;
        } else if (api) {
          const blkio = api.blkio?.map((b) => ({ ...b, device: cgroups.deviceName(b.major, b.minor) }));
          resources.set(r.id, { ...api, blkio, network: ownNetwork ? api.network : undefined });
          sources.stats_api++;
        } else {
          sources.none++;
        }
      }
      stats.want(viaApi);
      cgroups.retain(new Set(live.map((r) => r.id)));
      writeFamilies(registry, { containers, resources, sources, nowSeconds: Math.floor(Date.now() / 1000) }, schema);
    },
    async close() {
      stats.close();
      await cache.close();
    },
  };
}
