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

export async function startExporter(config: Config, logger: Logger, context: ServeContext = {}): Promise<RunningServer> {
  const ex = config.exporter;
  const log = logger.child({ component: 'exporter' });
  const collectors = createCollectors(ex.collectors, { logger: log, paths: ex.paths });
  // Probes outlive reloads (their schedules and states): reconfigured in place, never rebuilt.
  const probes = createProbes(ex.probes, log.child({ component: 'probes' }));
  // Without targets there is nothing to report (not even a tocsin_collector_success series).
  const withProbes = (list: Collector[], targets: readonly unknown[]) => (targets.length > 0 ? [...list, probes.collector] : list);
  let probeModules = ex.probes.modules;
  const selfRegistry = createSelfRegistry();
  context.reloadStatus?.register(selfRegistry);
  const scraper = new Scraper({ collectors: withProbes(collectors, ex.probes.targets), logger: log, selfRegistry });
  const app = buildExporterApp({
    ...context,
    scraper,
    logger: log,
    telemetryPath: ex.telemetry_path,
    probeModules: () => probeModules,
    defaultTimeout: ex.scrape_timeout,
  });
  const { host, port } = parseListenAddress(ex.listen_address);
  const url = await app.listen({ host, port });
  log.info({ address: url, collectors: collectors.map((c) => c.name) }, 'exporter listening');
  return {
    url,
    async close() {
      await app.close();
      probes.close();
      await scraper.close();
    },
    // Collectors (which run, their settings, the proc/sys paths) change at once; the
    // listener and its routes were fixed when it started.
    async reconfigure(next) {
      const fresh = createCollectors(next.exporter.collectors, { logger: log, paths: next.exporter.paths });
      probes.reconfigure(next.exporter.probes);
      probeModules = next.exporter.probes.modules;
      const previous = scraper.setCollectors(withProbes(fresh, next.exporter.probes.targets));
      await Promise.allSettled(previous.filter((c) => c !== probes.collector).map((c) => c.close?.()));
      log.info({ collectors: fresh.map((c) => c.name) }, 'exporter reconfigured');
      return changedPaths('exporter', ex, next.exporter, ['listen_address', 'telemetry_path', 'scrape_timeout']);
    },
  };
}
