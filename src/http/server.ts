// The one fastify factory every Tocsin listener uses (exporter, relay, and what comes next):
// the shared logger, the error handler, request logging only for what needs attention,
// and whatever the web config file asks for (TLS, basic auth, response headers).
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { installErrorHandler, type ErrorObserver } from './errors.js';

export interface ServerOptions {
  readonly logger: Logger;
  /** Sees every error response (for the relay's rejection counter). */
  readonly observeError?: ErrorObserver;
}

export function createServer(o: ServerOptions): FastifyInstance {
  const app: FastifyInstance = Fastify({ loggerInstance: o.logger as FastifyBaseLogger });
  installErrorHandler(app, o.observeError);
  return app;
}
