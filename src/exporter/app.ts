// The exporter's HTTP surface, built without listening so tests can use app.inject().
// Listening happens in src/exporter/server.ts.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { OPENMETRICS, PROMETHEUS_TEXT, type ContentType, type Scraper } from './scrape.js';
import { metricsEncoding } from './accept-encoding.js';
import { landingPage } from '../http/landing.js';
import { VERSION } from '../telemetry/version.js';

export interface ExporterAppOptions {
  readonly scraper: Scraper;
  readonly logger: Logger;
  readonly telemetryPath: string;
  /** Seconds; used when the scraper sends no X-Prometheus-Scrape-Timeout-Seconds. */
  readonly defaultTimeout: number;
}

// Leave Prometheus time to receive the body before its own timeout cuts the scrape,
// as blackbox_exporter does with its --timeout-offset.
const TIMEOUT_OFFSET_SECONDS = 0.5;
const MIN_TIMEOUT_SECONDS = 0.5;

export function scrapeTimeout(header: string | string[] | undefined, fallback: number): number {
  const parsed = typeof header === 'string' ? Number.parseFloat(header) : NaN;
  if (!Number.isFinite(parsed) || parsed <= 0) return fallback;
  return Math.max(MIN_TIMEOUT_SECONDS, Math.min(parsed - TIMEOUT_OFFSET_SECONDS, fallback));
}

/** OpenMetrics when the scraper asks for it with a non-zero q, the 0.0.4 text format otherwise. */
export function negotiate(accept: string | undefined): ContentType {
  for (const part of (accept ?? '').split(',')) {
    const [type, ...params] = part.split(';').map((s) => s.trim());
    if (type !== 'application/openmetrics-text') continue;
    const q = params.find((p) => p.startsWith('q='));
    if (!q || Number(q.slice(2)) > 0) return OPENMETRICS;
  }
  return PROMETHEUS_TEXT;
}

export function buildExporterApp(options: ExporterAppOptions): FastifyInstance {
  const app: FastifyInstance = Fastify({ loggerInstance: options.logger as FastifyBaseLogger });
  // Scrapes every few seconds would drown the log: request lines only for warnings and up.
  app.addHook('onRoute', (route) => {
    route.logLevel ??= 'warn';
  });

  app.get(options.telemetryPath, async (request, reply) => {
    const timeout = scrapeTimeout(request.headers['x-prometheus-scrape-timeout-seconds'], options.defaultTimeout);
    const contentType = negotiate(request.headers.accept);
    const encoding = metricsEncoding(request.headers['accept-encoding']);
    const body = await options.scraper.scrapeBody(timeout, contentType, encoding);
    reply.header('vary', 'Accept-Encoding');
    if (encoding === 'gzip') reply.header('content-encoding', 'gzip');
    return reply.type(contentType).send(body);
  });

  app.get('/-/healthy', async (_request, reply) => reply.type('text/plain').send('Healthy.\n'));
  app.get('/-/ready', async (_request, reply) => reply.type('text/plain').send('Ready.\n'));
  app.get('/', async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(
      landingPage('Tocsin exporter', VERSION, [
        { href: options.telemetryPath.replace(/^\//, ''), text: 'Metrics' },
        { href: '-/healthy', text: 'Health' },
        { href: '-/ready', text: 'Readiness' },
      ]),
    ),
  );
  return app;
}
