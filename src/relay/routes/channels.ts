// /api/v1/channels[/{name}]: where Slack messages go, changed at run time.
import type { FastifyPluginAsync } from 'fastify';
import { webhookUrlProblem } from '../../config/webhook-url.js';
import { HttpError } from '../../http/errors.js';
import { ChannelError, publicChannel, type ChannelStore } from '../channels.js';

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

export interface ChannelRoutesOptions {
  readonly channels: ChannelStore;
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
};
