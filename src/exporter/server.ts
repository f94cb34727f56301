// Starts the exporter: collectors from config, the scrape engine, the HTTP app, a listener.
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { createCollectors } from '../collectors/index.js';
import { parseListenAddress, type RunningServer } from '../http/listen.js';
import type { ServeContext } from '../http/server.js';
import { buildExporterApp } from './app.js';
import { Scraper } from './scrape.js';
import { createSelfRegistry } from '../telemetry/self-metrics.js';

export async function startExporter(config: Config, logger: Logger, context: ServeContext = {}): Promise<RunningServer> {
  const ex = config.exporter;
  const log = logger.child({ component: 'exporter' });
  const collectors = createCollectors(ex.collectors, { logger: log, paths: ex.paths });
  const scraper = new Scraper({ collectors, logger: log, selfRegistry: createSelfRegistry() });
  const app = buildExporterApp({
    ...context,
    scraper,
    logger: log,
    telemetryPath: ex.telemetry_path,
    defaultTimeout: ex.scrape_timeout,
  });
  const { host, port } = parseListenAddress(ex.listen_address);
  const url = await app.listen({ host, port });
  log.info({ address: url, collectors: collectors.map((c) => c.name) }, 'exporter listening');
  return {
    url,
    async close() {
      await app.close();
      await scraper.close();
    },
  };
}
