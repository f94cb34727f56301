// The relay's HTTP surface, built without listening (tests use app.inject()):
//   POST /hooks/alertmanager       Alertmanager's webhook_configs receiver   (routes/alertmanager.ts)
//   POST /hooks/sns                Amazon SNS's HTTP(S) subscriber            (routes/sns.ts)
//   /api/v1/channels[/{name}]      channel management                       (routes/channels.ts)
//   /api/v1/dead-letters[...]      what could not be delivered; re-drive    (routes/dead-letters.ts)
//   /api/v1/queues[...]            pending per destination; purge           (routes/queues.ts)
//   /metrics, and /-/healthy, /-/ready, /-/reload, / from src/http/ops.ts
// Errors are JSON {statusCode, error, message} and name the bad field (src/http/errors.ts).
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { authRequired, requireAuth, type Credentials } from '../http/auth.js';
import { HttpError } from '../http/errors.js';
import { opsRoutes } from '../http/ops.js';
import { createServer, type ServeContext } from '../http/server.js';
import { VERSION } from '../telemetry/version.js';
import type { ChannelStore } from './channels.js';
import type { Intake } from './intake.js';
import type { RelayMetrics } from './metrics.js';
import type { Outbox } from './outbox/index.js';
import { alertmanagerRoute, WEBHOOK_PATH } from './routes/alertmanager.js';
import { callerFromAuthorization, channelRoutes, type WriteAccess } from './routes/channels.js';
import { deadLetterRoutes } from './routes/dead-letters.js';
import { queueRoutes } from './routes/queues.js';
import { snsRoute, type SnsRouteOptions } from './routes/sns.js';

export { WEBHOOK_PATH };

export interface RelayAppOptions extends ServeContext {
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
  /** Whether a destination is held because its credentials are refused (the Slack app's token). */
  readonly held?: (destination: string) => boolean;
  /** The SNS endpoint (CloudWatch alarms); without it /hooks/sns is not served. */
  readonly sns?: Omit<SnsRouteOptions, 'intake' | 'logger' | 'maxBodyBytes'>;
}

/** Channel writes need a caller to name: with no api_auth configured, the channel API is read-only. */
export function apiAuthWriteAccess(apiAuth: Credentials): WriteAccess {
  return {
    refusal: authRequired(apiAuth)
      ? undefined
      : 'the relay API is read-only: changes need authentication, set relay.api_auth.bearer_token (or bearer_token_file) to allow them',
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
  const app = createServer({
    logger: o.logger,
    ...(o.web ? { web: o.web } : {}),
    observeError: (statusCode, url) => {
      if (url === WEBHOOK_PATH) o.metrics.rejected.inc({ reason: rejectReason(statusCode) });
    },
  });

  app.register(alertmanagerRoute, { intake: o.intake, auth: o.webhookAuth, maxBodyBytes: o.maxBodyBytes });
  if (o.sns) app.register(snsRoute, { ...o.sns, intake: o.intake, logger: o.logger, maxBodyBytes: o.maxBodyBytes });
  app.register(
    async (api) => {
      const guard = requireAuth(o.apiAuth);
      if (guard) api.addHook('onRequest', guard);
      // Every change (channels, re-driving dead letters, purging a queue) needs a caller to name.
      const writeAccess = o.channelWriteAccess ?? apiAuthWriteAccess(o.apiAuth);
      api.addHook('onRequest', async (request) => {
        if (request.method !== 'GET' && request.method !== 'HEAD' && writeAccess.refusal !== undefined) {
          throw new HttpError(403, writeAccess.refusal);
        }
      });
      await api.register(channelRoutes, { channels: o.channels, writeAccess });
      await api.register(deadLetterRoutes, { outbox: o.outbox });
      await api.register(queueRoutes, { outbox: o.outbox, channels: o.channels, ...(o.held ? { held: o.held } : {}) });
    },
    { prefix: '/api/v1' },
  );

  app.get('/metrics', async (_request, reply) => reply.type(o.registry.contentType).send(await o.registry.metrics()));
  app.register(opsRoutes, {
    title: 'Tocsin relay',
    version: VERSION,
    links: [
      { href: 'metrics', text: 'Metrics' },
      { href: 'api/v1/channels', text: 'Channels' },
      { href: 'api/v1/dead-letters', text: 'Dead letters' },
    ],
    ...(o.reload ? { reload: o.reload } : {}),
  });
  return app;
}
