// The exporter's HTTP surface, built without listening so tests can use app.inject().
// Listening happens in src/exporter/server.ts.
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { OPENMETRICS, PROMETHEUS_TEXT, type ContentType, type Scraper } from './scrape.js';
import { metricsEncoding } from '../http/accept-encoding.js';
import { opsRoutes } from '../http/ops.js';
import { createServer, type ServeContext } from '../http/server.js';
import { VERSION } from '../telemetry/version.js';
import type { ProbeModuleConfig } from '../config/probes.js';
import { probeRoute } from '../probes/routes.js';
import { declaredTargets, targetRoutes, type TargetRoutesOptions } from '../probes/api-routes.js';
import type { StatusHistory } from '../probes/status/history.js';
import { statusRoutes } from '../probes/status/routes.js';
import { pushRoutes, type PushRoutesOptions } from '../probes/push.js';
import { authRequired, callerFromAuthorization, requireAuth, type Credentials } from '../http/auth.js';
import { HttpError } from '../http/errors.js';

export interface MetricsRouteOptions {
  readonly scraper: Scraper;
  readonly telemetryPath: string;
  /** Seconds; used when the scraper sends no X-Prometheus-Scrape-Timeout-Seconds. */
  readonly defaultTimeout: number;
}

export interface ExporterAppOptions extends MetricsRouteOptions, ServeContext {
  readonly logger: Logger;
  /** The probe modules now (exporter.probes.modules): serves GET /probe when given. */
  readonly probeModules?: () => Readonly<Record<string, ProbeModuleConfig>>;
  /** Serves /api/v1/targets when given. */
  readonly targetsApi?: TargetsApiOptions;
  /** Serves POST /api/v1/push/{name} (heartbeats of push targets, each with its own token) when given. */
  readonly push?: PushRoutesOptions;
}

export interface TargetsApiOptions extends Omit<TargetRoutesOptions, 'who'> {
  /** exporter.probes.api_auth (now: it changes on reload). */
  readonly credentials: () => Credentials;
  /** exporter.probes.api_open_reads: reads need no credentials. */
  readonly openReads: () => boolean;
  /** Serves the status page (/status) when given. */
  readonly history?: StatusHistory;
}

const READ_ONLY =
  'the targets API is read-only: changes need authentication, set exporter.probes.api_auth.bearer_token (or bearer_token_file), or users in --web.config.file';

/**
 * Writes need a caller: the api_auth token, or a web-config user (the server already checked
 * those). With neither configured, writes answer 403 naming the setting.
 */
function targetsAccess(o: TargetsApiOptions & { webUsers: () => boolean }) {
  return async (request: FastifyRequest) => {
    const read = request.method === 'GET' || request.method === 'HEAD';
    if (read && o.openReads()) return;
    const credentials = o.credentials();
    if (!authRequired(credentials) && !o.webUsers()) throw new HttpError(403, read ? READ_ONLY.replace('changes need', 'reads (exporter.probes.api_open_reads: false) and changes need') : READ_ONLY);
    await requireAuth(credentials)?.(request);
  };
}

const targetsApi: FastifyPluginAsync<TargetsApiOptions & { webUsers: () => boolean }> = async (api, o) => {
  api.addHook('onRequest', targetsAccess(o));
  await api.register(targetRoutes, { store: o.store, configTargets: o.configTargets, status: o.status, apply: o.apply, ...(o.maintenance ? { maintenance: o.maintenance } : {}), ...(o.discovered ? { discovered: o.discovered } : {}), who: (request) => callerFromAuthorization(request.headers.authorization) });
};

/** The status page and its JSON: readable by whoever may read the targets API. */
const statusPages: FastifyPluginAsync<TargetsApiOptions & { webUsers: () => boolean; history: StatusHistory }> = async (app, o) => {
  app.addHook('onRequest', targetsAccess(o));
  await app.register(statusRoutes, {
    targets: () => declaredTargets(o.store, o.configTargets(), o.discovered?.()),
    status: o.status,
    history: o.history,
    ...(o.maintenance ? { maintenance: o.maintenance } : {}),
  });
};

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

/** The telemetry path: one scrape per request, shared by concurrent scrapers. */
export const metricsRoute: FastifyPluginAsync<MetricsRouteOptions> = async (app, o) => {
  app.get(o.telemetryPath, async (request, reply) => {
    const timeout = scrapeTimeout(request.headers['x-prometheus-scrape-timeout-seconds'], o.defaultTimeout);
    const contentType = negotiate(request.headers.accept);
    const encoding = metricsEncoding(request.headers['accept-encoding']);
    const body = await o.scraper.scrapeBody(timeout, contentType, encoding);
    reply.header('vary', 'Accept-Encoding');
    if (encoding === 'gzip') reply.header('content-encoding', 'gzip');
    return reply.type(contentType).send(body);
  });
};

export function buildExporterApp(options: ExporterAppOptions): FastifyInstance {
  const app = createServer({ logger: options.logger, ...(options.web ? { web: options.web } : {}) });
  app.register(metricsRoute, options);
  if (options.probeModules) {
    const header = (h: string | string[] | undefined) => {
      const seconds = scrapeTimeout(h, Infinity);
      return Number.isFinite(seconds) ? seconds : undefined;
    };
    app.register(probeRoute, { modules: options.probeModules, scrapeTimeout: header });
  }
  if (options.targetsApi) {
    const web = options.web;
    const webUsers = () => (web?.current.users.size ?? 0) > 0;
    app.register(targetsApi, { ...options.targetsApi, webUsers, prefix: '/api/v1' });
    const history = options.targetsApi.history;
    if (history) app.register(statusPages, { ...options.targetsApi, webUsers, history });
  }
  // Outside the targets API's hook: each push target authenticates its own heartbeats.
  if (options.push) app.register(pushRoutes, { ...options.push, prefix: '/api/v1' });
  app.register(opsRoutes, {
    title: 'Tocsin exporter',
    version: VERSION,
    links: [{ href: options.telemetryPath.replace(/^\//, ''), text: 'Metrics' }, ...(options.targetsApi?.history ? [{ href: 'status', text: 'Status page' }] : [])],
    ...(options.reload ? { reload: options.reload } : {}),
  });
  return app;
}
