// The relay's HTTP surface, built without listening (tests use app.inject()):
//   POST /hooks/alertmanager       Alertmanager's webhook_configs receiver   (routes/alertmanager.ts)
//   /api/v1/channels[/{name}]      channel management                       (routes/channels.ts)
//   /api/v1/dead-letters[...]      what could not be delivered; re-drive    (routes/dead-letters.ts)
//   /api/v1/queues[...]            pending per destination; purge           (routes/queues.ts)
//   /metrics, /-/healthy, /-/ready, /
// Errors are JSON {statusCode, error, message} and name the bad field (src/http/errors.ts).
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { authRequired, requireAuth, type Credentials } from '../http/auth.js';
import { installErrorHandler } from '../http/errors.js';
import { landingPage } from '../http/landing.js';
import { VERSION } from '../telemetry/version.js';
import type { ChannelStore } from './channels.js';
import type { Intake } from './intake.js';
import type { RelayMetrics } from './metrics.js';
import type { Outbox } from './outbox/index.js';
import { alertmanagerRoute, WEBHOOK_PATH } from './routes/alertmanager.js';
import { callerFromAuthorization, channelRoutes, type WriteAccess } from './routes/channels.js';
import { deadLetterRoutes } from './routes/dead-letters.js';
import { queueRoutes } from './routes/queues.js';

export { WEBHOOK_PATH };

export interface RelayAppOptions {
  readonly intake: Intake;
  readonly channels: ChannelStore;
  readonly outbox: Outbox;
  readonly metrics: RelayMetrics;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly webhookAuth: Credentials;
  readonly apiAuth: Credentials;
  readonly maxBodyBytes: number;
  /** Who may change channels; by default, callers with the api_auth credentials, nobody without them. */
  readonly channelWriteAccess?: WriteAccess;
}

/** Channel writes need a caller to name: with no api_auth configured, the channel API is read-only. */
export function apiAuthWriteAccess(apiAuth: Credentials): WriteAccess {
  return {
    refusal: authRequired(apiAuth)
      ? undefined
      : 'the channel API is read-only: changes need authentication, set relay.api_auth.bearer_token (or bearer_token_file) to allow them',
    who: (request) => callerFromAuthorization(request.headers.authorization),
  };
}

function rejectReason(statusCode: number): string {
  if (statusCode === 400) return 'invalid';
  if (statusCode === 401) return 'unauthorized';
  if (statusCode === 413) return 'too_large';
  if (statusCode === 415) return 'unsupported_media_type';
  return statusCode >= 500 ? 'store_failed' : 'other';
}

export function buildRelayApp(o: RelayAppOptions): FastifyInstance {
  // Request logs carry method, URL and status only: fastify's default serializers leave
  // out headers, so Authorization never reaches the log.
  const app: FastifyInstance = Fastify({ loggerInstance: o.logger as FastifyBaseLogger });

  installErrorHandler(app, (statusCode, url) => {
    if (url === WEBHOOK_PATH) o.metrics.rejected.inc({ reason: rejectReason(statusCode) });
  });

  app.register(alertmanagerRoute, { intake: o.intake, auth: o.webhookAuth, maxBodyBytes: o.maxBodyBytes });
  app.register(
    async (api) => {
      const guard = requireAuth(o.apiAuth);
      if (guard) api.addHook('onRequest', guard);
      await api.register(channelRoutes, { channels: o.channels, writeAccess: o.channelWriteAccess ?? apiAuthWriteAccess(o.apiAuth) });
      await api.register(deadLetterRoutes, { outbox: o.outbox });
      await api.register(queueRoutes, { outbox: o.outbox, channels: o.channels });
    },
    { prefix: '/api/v1' },
  );

  app.get('/metrics', async (_request, reply) => reply.type(o.registry.contentType).send(await o.registry.metrics()));
  app.get('/-/healthy', async (_request, reply) => reply.type('text/plain').send('Healthy.\n'));
  app.get('/-/ready', async (_request, reply) => reply.type('text/plain').send('Ready.\n'));
  app.get('/', async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(
      landingPage('Tocsin relay', VERSION, [
        { href: 'metrics', text: 'Metrics' },
        { href: 'api/v1/channels', text: 'Channels' },
        { href: 'api/v1/dead-letters', text: 'Dead letters' },
        { href: '-/healthy', text: 'Health' },
      ]),
    ),
  );
  return app;
}
