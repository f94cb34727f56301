// The probes feature as the exporter sees it: a scheduler for the configured targets and the
// collector that serves their results. Reconfigured in place on reload, so targets that did
// not change keep their state and schedule. Discovered targets (discovery.ts) are merged
// under the ones handed in (the config file's and the API's, whose names win); the
// connectivity check (connectivity.ts) holds failures while this machine is offline.
import type { Logger } from 'pino';
import type { Collector } from '../collectors/collector.js';
import type { ProbesConfig, ProbeTargetConfig } from '../config/probes.js';
import type { MaintenanceWindow } from '../config/maintenance.js';
import { createProbeCollector } from './collector.js';
import { Connectivity } from './connectivity.js';
import { Discovery, type DiscoveredTarget } from './discovery.js';
import { MaintenanceCalendar } from './maintenance.js';
import { ProbeScheduler } from './scheduler.js';
import { StatusHistory } from './status/history.js';

export interface Probes {
  readonly collector: Collector;
  readonly scheduler: ProbeScheduler;
  /** Uptime and latency history for the status page. */
  readonly history: StatusHistory;
  /** exporter.probes.maintenance and each target's own windows. */
  readonly calendar: MaintenanceCalendar;
  readonly discovery: Discovery;
  readonly connectivity: Connectivity;
  /** The discovered targets whose names are not taken by the config file or the API (paused ones too). */
  discovered(): readonly DiscoveredTarget[];
  /** Whether discovery sources or connectivity targets are configured (their series are served even without targets). */
  hasSources(): boolean;
  reconfigure(config: ProbesConfig): void;
  close(): void;
}

export interface ProbesOptions {
  /** Windows of a target kept in the target store (set through the API). */
  readonly maintenance?: (name: string) => readonly MaintenanceWindow[];
  /** Paused names (the targets API can pause a discovered target). */
  readonly paused?: (name: string) => boolean;
  /** The status page's history to go on with (read back from the data directory); empty by default. */
  readonly history?: StatusHistory;
}

export function createProbes(config: ProbesConfig, logger: Logger, options: ProbesOptions = {}): Probes {
  let current = config;
  let discovered: DiscoveredTarget[] = [];
  const connectivity = new Connectivity(config.connectivity, logger.child({ component: 'connectivity' }));
  const history = options.history ?? new StatusHistory();
  const scheduler = new ProbeScheduler({
    logger,
    maxConcurrent: config.max_concurrent,
    connectivityOk: (since) => connectivity.okSince(since),
    onResult: (name, result, at) => history.record(name, at, result),
  });
  const calendar = new MaintenanceCalendar(options.maintenance);
  /** The targets handed in, then the discovered ones whose names are free. */
  const apply = () => {
    const given: readonly ProbeTargetConfig[] = current.targets;
    discovered = discovery.withSources(new Set(given.map((t) => t.name)));
    const targets = [...given, ...discovered.filter((d) => !options.paused?.(d.target.name)).map((d) => d.target)];
    calendar.set(current.maintenance);
    calendar.setTargets(targets);
    scheduler.setTargets(targets);
    // The status page's history of targets gone from everywhere is dropped; paused ones (not
    // handed in, not scheduled) keep theirs.
    const names = new Set([...given.map((t) => t.name), ...discovered.map((d) => d.target.name)]);
    history.retain((name) => names.has(name) || options.paused?.(name) === true);
  };
  const discovery = new Discovery(config.discovery, { logger: logger.child({ component: 'discovery' }), onChange: apply });
  apply();
  const collector = createProbeCollector(scheduler, calendar, (registry) => {
    discovery.collect(registry);
    connectivity.collect(registry);
  });
  return {
    collector,
    scheduler,
    history,
    calendar,
    discovery,
    connectivity,
    discovered: () => discovered,
    hasSources: () => current.discovery.length > 0 || connectivity.configured(),
    reconfigure: (next) => {
      current = next;
      scheduler.setMaxConcurrent(next.max_concurrent);
      connectivity.reconfigure(next.connectivity);
      discovery.reconfigure(next.discovery);
      apply();
    },
    close: () => {
      scheduler.close();
      discovery.close();
      connectivity.close();
    },
  };
}
