// The one fastify factory every Tocsin listener uses (exporter, relay, and what comes next):
// the shared logger, the error handler, request logging only for what needs attention,
// and whatever the web config file asks for (TLS, basic auth, response headers).
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { installErrorHandler, type ErrorObserver } from './errors.js';

/** A request slower than this is logged at warn (a scrape or a webhook should take far less). */
export const SLOW_REQUEST_MS = 10_000;

export interface ServerOptions {
  readonly logger: Logger;
  /** Sees every error response (for the relay's rejection counter). */
  readonly observeError?: ErrorObserver;
  readonly slowRequestMs?: number;
}

export function createServer(o: ServerOptions): FastifyInstance {
  // Prometheus scrapes every few seconds: a line per request would drown the log (236 of
  // 247 lines in 12 minutes). Requests are logged when they need attention: 5xx at error,
  // slow ones at warn, 4xx at debug. Only method, URL and status: never headers, so an
  // Authorization header cannot reach the log.
  const app: FastifyInstance = Fastify({ loggerInstance: o.logger as FastifyBaseLogger, disableRequestLogging: true });
  installErrorHandler(app, o.observeError);
  const slowMs = o.slowRequestMs ?? SLOW_REQUEST_MS;
  app.addHook('onResponse', async (request, reply) => {
    const status = reply.statusCode;
    const ms = Math.round(reply.elapsedTime);
    const fields = { method: request.method, url: request.url, statusCode: status, responseTimeMs: ms };
    if (status >= 500) request.log.error(fields, 'request failed');
    else if (ms >= slowMs) request.log.warn(fields, 'slow request');
    else if (status >= 400) request.log.debug(fields, 'request rejected');
  });
  return app;
}
