// /api/v1/channels[/{name}]: where Slack messages go, changed at run time. Reads are open to
// whoever passes the API's authentication; writes redirect or silence alerts, so they need a
// caller the relay can name: without configured credentials the API is read-only. Every change
// is logged (who, which channel, which fields, enabled; never the URL).
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { webhookUrlProblem } from '../../config/webhook-url.js';
import { HttpError } from '../../http/errors.js';
import { ChannelError, publicChannel, type Channel, type ChannelStore } from '../channels.js';

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
    // The value is a secret: the message never repeats it.
    const problem = webhookUrlProblem(b.webhook_url);
    if (problem) throw new HttpError(400, `body.webhook_url: required, a Slack incoming webhook URL; this one ${problem}`);
  }
  if (b.enabled !== undefined && typeof b.enabled !== 'boolean') throw new HttpError(400, 'body.enabled: must be true or false');
  return { name: b.name as string | undefined, webhookUrl: b.webhook_url as string | undefined, enabled: b.enabled as boolean | undefined };
}

/**
 * Who may change channels. Pluggable: a credential source (the API token today, web-config users
 * next) says whether writes are possible at all and names the caller of an authenticated request.
 */
export interface WriteAccess {
  /** Why writes are refused (answered 403), or undefined when authenticated callers may write. */
  readonly refusal: string | undefined;
  /** The caller of a request that passed authentication, for the audit log. */
  who(request: FastifyRequest): string;
}

// Moved to src/http/auth.ts (the exporter's targets API names callers too); re-exported for existing imports.
export { callerFromAuthorization } from '../../http/auth.js';

export interface ChannelRoutesOptions {
  readonly channels: ChannelStore;
  readonly writeAccess: WriteAccess;
}

export const channelRoutes: FastifyPluginAsync<ChannelRoutesOptions> = async (api, o) => {
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
  /** The audit line of a change: never the URL, only that it was set. */
  const audit = (request: FastifyRequest, action: string, name: string, fields: readonly string[], channel: Channel | undefined) => {
    request.log.info(
      { audit: 'channel', user: o.writeAccess.who(request), action, channel: name, fields, ...(channel && { enabled: channel.enabled }) },
      'channel changed',
    );
  };
  const fieldsOf = (b: { webhookUrl?: string | undefined; enabled?: boolean | undefined }) => [
    ...(b.webhookUrl !== undefined ? ['webhook_url'] : []),
    ...(b.enabled !== undefined ? ['enabled'] : []),
  ];

  api.get('/channels', async () => o.channels.list().map(publicChannel));
  api.post('/channels', async (request, reply) => {
    const b = channelBody(request.body, { name: true, webhookUrl: true });
    const c = await wrap(() => o.channels.create(b.name!, b.webhookUrl!, b.enabled ?? true));
    audit(request, 'create', c.name, ['webhook_url', 'enabled'], c);
    return reply.status(201).send(publicChannel(c));
  });
  api.get<{ Params: { name: string } }>('/channels/:name', async (request) => publicChannel(find(request.params.name)));
  api.put<{ Params: { name: string } }>('/channels/:name', async (request, reply) => {
    const b = channelBody(request.body, { webhookUrl: true });
    if (b.name !== undefined && b.name !== request.params.name) throw new HttpError(400, 'body.name: must match the name in the path');
    if (!NAME.test(request.params.name)) throw new HttpError(400, 'name: letters, digits, ".", "_" or "-" (at most 63)');
    const { channel, created } = await wrap(() => o.channels.replace(request.params.name, b.webhookUrl!, b.enabled ?? true));
    audit(request, created ? 'create' : 'replace', channel.name, ['webhook_url', 'enabled'], channel);
    return reply.status(created ? 201 : 200).send(publicChannel(channel));
  });
  api.patch<{ Params: { name: string } }>('/channels/:name', async (request) => {
    const b = channelBody(request.body, {});
    if (b.name !== undefined && b.name !== request.params.name) throw new HttpError(400, 'body.name: renaming is not supported');
    const channel = await wrap(() => o.channels.patch(request.params.name, { webhookUrl: b.webhookUrl, enabled: b.enabled }));
    audit(request, 'update', channel.name, fieldsOf(b), channel);
    return publicChannel(channel);
  });
  api.delete<{ Params: { name: string } }>('/channels/:name', async (request, reply) => {
    const reset = await wrap(() => o.channels.delete(request.params.name));
    if (reset) {
      // A config file channel: the API's settings are gone, the file's apply again.
      audit(request, 'reset', reset.name, [], reset);
      return reply.status(200).send(publicChannel(reset));
    }
    audit(request, 'delete', request.params.name, [], undefined);
    return reply.status(204).send();
  });
};
