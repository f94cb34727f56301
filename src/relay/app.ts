// The relay's HTTP surface, built without listening (tests use app.inject()):
//   POST /hooks/alertmanager       Alertmanager's webhook_configs receiver
//   /api/v1/channels[/{name}]      channel management (bearer token when configured)
//   GET /api/v1/dead-letters       what could not be delivered, and why
//   /metrics, /-/healthy, /-/ready, /
// Errors are JSON {statusCode, error, message} and name the bad field.
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { authorized, authRequired, type Credentials } from '../http/auth.js';
import { ChannelError, publicChannel, type ChannelStore } from './channels.js';
import type { Intake } from './intake.js';
import type { RelayMetrics } from './metrics.js';
import type { Outbox } from './outbox.js';
import { alertmanagerPayloadSchema } from './payload-schema.js';
import type { AlertmanagerNotification } from './types.js';
import { landingPage } from '../http/landing.js';
import { VERSION } from '../telemetry/version.js';

export const WEBHOOK_PATH = '/hooks/alertmanager';

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
}

class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

const NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/i;

/** Validates a channel API body by hand so unknown fields are refused, not dropped. */
function channelBody(body: unknown, need: { name?: boolean; webhookUrl?: boolean }) {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'body must be a JSON object');
  const b = body as Record<string, unknown>;
  for (const key of Object.keys(b)) {
    if (!['name', 'webhook_url', 'enabled'].includes(key)) throw new HttpError(400, `body.${key}: unknown field`);
  }
  if (need.name && (typeof b.name !== 'string' || !NAME.test(b.name))) {
    throw new HttpError(400, 'body.name: required, letters, digits, ".", "_" or "-" (at most 63)');
  }
  if (b.webhook_url !== undefined || need.webhookUrl) {
    let ok = false;
    try {
      const u = new URL(String(b.webhook_url));
      ok = typeof b.webhook_url === 'string' && (u.protocol === 'https:' || u.protocol === 'http:');
    } catch {
      ok = false;
    }
    // The value is a secret: the message never repeats it.
    if (!ok) throw new HttpError(400, 'body.webhook_url: required, an http(s) URL (Slack incoming webhook)');
  }
  if (b.enabled !== undefined && typeof b.enabled !== 'boolean') throw new HttpError(400, 'body.enabled: must be true or false');
  return { name: b.name as string | undefined, webhookUrl: b.webhook_url as string | undefined, enabled: b.enabled as boolean | undefined };
}

function guard(credentials: Credentials) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (!authorized(credentials, request.headers.authorization)) {
      const scheme = credentials.bearerToken ? 'Bearer' : 'Basic';
      reply.header('www-authenticate', `${scheme} realm="tocsin"`);
      throw new HttpError(401, 'missing or wrong credentials');
    }
  };
}

export function buildRelayApp(o: RelayAppOptions): FastifyInstance {
  // Request logs carry method, URL and status only: fastify's default serializers leave
  // out headers, so Authorization never reaches the log.
  const app: FastifyInstance = Fastify({ loggerInstance: o.logger as FastifyBaseLogger });

  app.setErrorHandler((err: FastifyError | HttpError, request, reply) => {
    const statusCode = err.statusCode ?? 500;
    if (request.routeOptions.url === WEBHOOK_PATH) {
      const reason =
        statusCode === 400 ? 'invalid' : statusCode === 401 ? 'unauthorized' : statusCode === 413 ? 'too_large' : statusCode === 415 ? 'unsupported_media_type' : statusCode >= 500 ? 'store_failed' : 'other';
      o.metrics.rejected.inc({ reason });
    }
    if (statusCode >= 500) request.log.error({ err: err.message }, 'request failed');
    const message = statusCode >= 500 && !(err instanceof HttpError) ? 'internal error' : err.message;
    return reply.status(statusCode).send({ statusCode, error: statusCode >= 500 ? 'Server Error' : 'Bad Request', message });
  });

  app.post<{ Body: AlertmanagerNotification }>(
    WEBHOOK_PATH,
    {
      bodyLimit: o.maxBodyBytes,
      schema: { body: alertmanagerPayloadSchema },
      onRequest: authRequired(o.webhookAuth) ? guard(o.webhookAuth) : undefined,
    },
    async (request, reply) => {
      let result;
      try {
        result = await o.intake.accept(request.body);
      } catch (err) {
        // Not stored: a 5xx makes Alertmanager keep the notification and retry it.
        throw new HttpError(503, `notification not stored: ${(err as Error).message}`);
      }
      return reply.status(200).send(result);
    },
  );

  const apiGuard = authRequired(o.apiAuth) ? guard(o.apiAuth) : undefined;
  app.register(
    async (api) => {
      if (apiGuard) api.addHook('onRequest', apiGuard);
      const find = (name: string) => {
        const c = o.channels.get(name);
        if (!c) throw new HttpError(404, `channel "${name}" not found`);
        return c;
      };
      const wrap = async <T>(work: () => Promise<T>): Promise<T> => {
        try {
          return await work();
        } catch (err) {
          if (err instanceof ChannelError) throw new HttpError(err.statusCode, err.message);
          throw err;
        }
      };
      api.get('/channels', async () => o.channels.list().map(publicChannel));
      api.post('/channels', async (request, reply) => {
        const b = channelBody(request.body, { name: true, webhookUrl: true });
        const c = await wrap(() => o.channels.create(b.name!, b.webhookUrl!, b.enabled ?? true));
        return reply.status(201).send(publicChannel(c));
      });
      api.get<{ Params: { name: string } }>('/channels/:name', async (request) => publicChannel(find(request.params.name)));
      api.put<{ Params: { name: string } }>('/channels/:name', async (request, reply) => {
        const b = channelBody(request.body, { webhookUrl: true });
        if (b.name !== undefined && b.name !== request.params.name) throw new HttpError(400, 'body.name: must match the name in the path');
        if (!NAME.test(request.params.name)) throw new HttpError(400, 'name: letters, digits, ".", "_" or "-" (at most 63)');
        const { channel, created } = await wrap(() => o.channels.replace(request.params.name, b.webhookUrl!, b.enabled ?? true));
        return reply.status(created ? 201 : 200).send(publicChannel(channel));
      });
      api.patch<{ Params: { name: string } }>('/channels/:name', async (request) => {
        const b = channelBody(request.body, {});
        if (b.name !== undefined && b.name !== request.params.name) throw new HttpError(400, 'body.name: renaming is not supported');
        return publicChannel(await wrap(() => o.channels.patch(request.params.name, { webhookUrl: b.webhookUrl, enabled: b.enabled })));
      });
      api.delete<{ Params: { name: string } }>('/channels/:name', async (request, reply) => {
        await wrap(() => o.channels.delete(request.params.name));
        return reply.status(204).send();
      });
      api.get('/dead-letters', async () =>
        o.outbox.deadLetters().map((d) => ({
          id: d.entry.id,
          destination: d.entry.destination,
          reason: d.reason,
          at: new Date(d.at).toISOString(),
          acceptedAt: new Date(d.entry.acceptedAt).toISOString(),
          groupKey: d.entry.notification.groupKey,
          status: d.entry.notification.status,
          alerts: d.entry.notification.alerts.length,
        })),
      );
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
