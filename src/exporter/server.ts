// Starts the exporter: collectors from config, the scrape engine, the HTTP app, a listener.
import type { Logger } from 'pino';
import type { Collector } from '../collectors/collector.js';
import type { Config } from '../config/schema.js';
import { createCollectors } from '../collectors/index.js';
import { changedPaths, parseListenAddress, type RunningServer } from '../http/listen.js';
import type { ServeContext } from '../http/server.js';
import { buildExporterApp } from './app.js';
import { Scraper } from './scrape.js';
import { createSelfRegistry } from '../telemetry/self-metrics.js';
import { createProbes } from '../probes/index.js';
import { TargetStore } from '../probes/target-store.js';
import { loadHistory, saveHistory, SAVE_INTERVAL_MS } from '../probes/status/persist.js';
import type { ProbesConfig, ProbeTargetConfig } from '../config/probes.js';

export async function startExporter(config: Config, logger: Logger, context: ServeContext = {}): Promise<RunningServer> {
  const ex = config.exporter;
  const log = logger.child({ component: 'exporter' });
  const collectors = createCollectors(ex.collectors, { logger: log, paths: ex.paths });
  // Probes outlive reloads (their schedules and states): reconfigured in place, never rebuilt.
  // Targets added through /api/v1/targets, layered over the config file's (whose names win).
  const store = await TargetStore.open(ex.probes.data_dir, log.child({ component: 'probes' }));
  let probesConfig = ex.probes;
  /** The targets in effect: the config file's and the API's, without paused ones. */
  const effective = (p: ProbesConfig): ProbeTargetConfig[] => {
    const names = new Set(p.targets.map((t) => t.name));
    return [...p.targets, ...store.targets().filter((t) => !names.has(t.name))].filter((t) => !store.paused(t.name));
  };
  /** A target by name, paused or not: the config file's first. */
  const findTarget = (name: string): ProbeTargetConfig | undefined => probesConfig.targets.find((t) => t.name === name) ?? store.get(name)?.target;
  // The status page's uptime history, kept next to the target store (probes/status/persist.ts).
  const history = await loadHistory(ex.probes.data_dir, log.child({ component: 'probes' }));
  const probes = createProbes({ ...ex.probes, targets: effective(ex.probes) }, log.child({ component: 'probes' }), {
    maintenance: (name) => store.maintenanceWindows(name),
    paused: (name) => store.paused(name),
    history,
  });
  const saveStatusHistory = () =>
    saveHistory(history, ex.probes.data_dir).catch((err: unknown) =>
      log.warn({ error: (err as NodeJS.ErrnoException).code ?? (err as Error).message }, 'cannot save the status page history'),
    );
  const historySaver = setInterval(() => void saveStatusHistory(), SAVE_INTERVAL_MS).unref();
  // Without targets there is nothing to report (not even a tocsin_collector_success series).
  // Discovery sources and connectivity targets report even while there are no targets.
  const withProbes = (list: Collector[], targets: readonly unknown[]) => (targets.length > 0 || probes.hasSources() ? [...list, probes.collector] : list);
  let probeModules = ex.probes.modules;
  const selfRegistry = createSelfRegistry();
  context.reloadStatus?.register(selfRegistry);
  let current = collectors;
  const scraper = new Scraper({ collectors: withProbes(collectors, effective(ex.probes)), logger: log, selfRegistry });
  /** Hands the scheduler (and the scraper) the targets in effect now: after an API change or a reload. */
  const applyTargets = () => {
    const targets = effective(probesConfig);
    probes.reconfigure({ ...probesConfig, targets });
    scraper.setCollectors(withProbes(current, targets));
  };
  const app = buildExporterApp({
    ...context,
    scraper,
    logger: log,
    telemetryPath: ex.telemetry_path,
    probeModules: () => probeModules,
    defaultTimeout: ex.scrape_timeout,
    targetsApi: {
      store,
      configTargets: () => probesConfig.targets,
      status: (name) => probes.scheduler.status(name),
      apply: applyTargets,
      discovered: () => probes.discovered(),
      credentials: () => probesConfig.api_auth,
      openReads: () => probesConfig.api_open_reads,
      history: probes.history,
      maintenance: (name) => {
        const target = findTarget(name);
        return target ? probes.calendar.at(Date.now())(target) : undefined;
      },
    },
    push: {
      lookup: findTarget,
      paused: (name) => store.paused(name),
      heartbeat: (name, result) => probes.scheduler.heartbeat(name, result),
      deadline: (name) => {
        const due = probes.scheduler.due(name);
        return due === undefined ? undefined : Math.round(due / 1000);
      },
    },
  });
  const { host, port } = parseListenAddress(ex.listen_address);
  const url = await app.listen({ host, port });
  log.info({ address: url, collectors: collectors.map((c) => c.name) }, 'exporter listening');
  return {
    url,
    async close() {
      await app.close();
      probes.close();
      clearInterval(historySaver);
      await saveStatusHistory();
      await scraper.close();
    },
    // Collectors (which run, their settings, the proc/sys paths) change at once; the
    // listener and its routes were fixed when it started.
    async reconfigure(next) {
      const fresh = createCollectors(next.exporter.collectors, { logger: log, paths: next.exporter.paths });
      probesConfig = next.exporter.probes;
      const targets = effective(probesConfig);
      probes.reconfigure({ ...probesConfig, targets });
      probeModules = next.exporter.probes.modules;
      current = fresh;
      const previous = scraper.setCollectors(withProbes(fresh, targets));
      await Promise.allSettled(previous.filter((c) => c !== probes.collector).map((c) => c.close?.()));
      log.info({ collectors: fresh.map((c) => c.name) }, 'exporter reconfigured');
      // The target store stays where it was opened: moving it under running API writes
      // would split the targets between two files.
      return [
        ...changedPaths('exporter', ex, next.exporter, ['listen_address', 'telemetry_path', 'scrape_timeout']),
        ...changedPaths('exporter.probes', ex.probes, next.exporter.probes, ['data_dir']),
      ];
    },
  };
}
