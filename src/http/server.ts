// The one fastify factory every Tocsin listener uses (exporter, relay, and what comes next):
// the shared logger, the error handler, request logging only for what needs attention,
// and what the web config file asks for (TLS, basic auth, response headers).
import type { Server as HttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { markAuthenticated } from './auth.js';
import { BasicAuthVerifier } from './basic-auth.js';
import { HttpError, installErrorHandler, type ErrorObserver } from './errors.js';
import type { ReloadStatus } from '../telemetry/reload-status.js';
import { WebSettings, type ClientAuthType, type TlsSettings } from './web-config.js';

/** A request slower than this is logged at warn (a scrape or a webhook should take far less). */
export const SLOW_REQUEST_MS = 10_000;

/** Route config of a route that authenticates its callers itself (see the onRequest hook). */
export interface RouteAuthConfig {
  readonly ownCredentials?: boolean;
}

/** What the process hands each server it starts: the shared web settings and the reload action. */
export interface ServeContext {
  readonly web?: WebSettings;
  /** Re-reads the configuration files (POST /-/reload); rejects with what is wrong. */
  readonly reload?: () => Promise<void>;
  /** The outcome of the last reload, for /metrics. */
  readonly reloadStatus?: ReloadStatus;
}

export interface ServerOptions {
  readonly logger: Logger;
  /** TLS, basic auth users and headers from --web.config.file; none by default. */
  readonly web?: WebSettings;
  /** Sees every error response (for the relay's rejection counter). */
  readonly observeError?: ErrorObserver;
  readonly slowRequestMs?: number;
}

export function createServer(o: ServerOptions): FastifyInstance {
  const web = o.web ?? new WebSettings();
  const tls = web.current.tls;
  // Prometheus scrapes every few seconds: a line per request would drown the log (236 of
  // 247 lines in 12 minutes). Requests are logged when they need attention: 5xx at error,
  // slow ones at warn, 4xx at debug. Only method, URL and status: never headers, so an
  // Authorization header cannot reach the log.
  const app = Fastify({
    loggerInstance: o.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    // Probe target names in paths (/api/v1/targets/{name}, /status/{name}) are up to 128
    // characters, each of which may arrive percent-encoded: fastify's default of 100 answered 414.
    routerOptions: { maxParamLength: 512 },
    ...(tls ? { https: { ...tls.context, ...clientAuthOptions(tls.clientAuth) } } : {}),
  }) as unknown as FastifyInstance;
  if (tls) {
    const server = app.server as unknown as HttpsServer;
    enforceClientCert(server, tls.clientAuth);
    // A reload with a new certificate (or CA, ciphers, versions) applies to new connections.
    const off = web.onChange((next) => next.tls && server.setSecureContext(next.tls.context));
    app.addHook('onClose', async () => void off());
  }
  installErrorHandler(app, o.observeError);

  const verifier = new BasicAuthVerifier();
  // Every route of the listener, 404s included, as the exporter-toolkit does. A request that
  // passes is marked so route-level checks (the relay's webhook token) accept it as well.
  // Routes declared with `config: { ownCredentials: true }` (a push target's heartbeat, which
  // carries that target's own bearer token) check their caller themselves: a cron job cannot
  // send a web-config user's Basic credentials and its token in one Authorization header.
  app.addHook('onRequest', async (request) => {
    const users = web.current.users;
    if (users.size === 0) return;
    if ((request.routeOptions.config as RouteAuthConfig | undefined)?.ownCredentials === true) return;
    if (!(await verifier.verify(users, request.headers.authorization))) {
      throw new HttpError(401, 'Unauthorized: missing or wrong credentials', { 'www-authenticate': 'Basic' });
    }
    markAuthenticated(request);
  });
  app.addHook('onSend', async (_request, reply) => {
    for (const [name, value] of Object.entries(web.current.headers)) reply.header(name, value);
  });

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

/** Go's tls.ClientAuthType in Node's terms; the two "any certificate" modes need enforceClientCert too. */
function clientAuthOptions(type: ClientAuthType): { requestCert: boolean; rejectUnauthorized: boolean } {
  return { requestCert: type !== 'NoClientCert', rejectUnauthorized: type === 'RequireAndVerifyClientCert' };
}

/**
 * Node can ask for a client certificate and either verify it or not, but cannot by itself
 * require one without verifying it (RequireAnyClientCert) or verify one only if given
 * (VerifyClientCertIfGiven): close such connections right after the handshake.
 */
function enforceClientCert(server: HttpsServer, type: TlsSettings['clientAuth']): void {
  if (type !== 'RequireAnyClientCert' && type !== 'VerifyClientCertIfGiven') return;
  server.on('secureConnection', (socket: TLSSocket) => {
    const given = Object.keys(socket.getPeerCertificate() ?? {}).length > 0;
    if (type === 'RequireAnyClientCert' ? !given : given && !socket.authorized) socket.destroy();
  });
}
