// /api/v1/queues: what waits for each destination, and dropping it on purpose.
//   GET  /api/v1/queues                         pending depth per destination, also for destinations
//                                               that are disabled or no longer configured (missing)
//   POST /api/v1/queues/{destination}/purge     moves the destination's pending notifications to the
//                                               dead letters (reason "purged"): they can be re-driven
// A purge that would push older dead letters out of the bounded list answers 409 unless
// `?forget_oldest=true`.
import type { FastifyPluginAsync } from 'fastify';
import { HttpError } from '../../http/errors.js';
import type { ChannelStore } from '../channels.js';
import { PurgeWouldForgetError, type Outbox } from '../outbox/index.js';

export interface QueueRoutesOptions {
  readonly outbox: Outbox;
  readonly channels: ChannelStore;
  /** A destination whose credentials are refused (the dispatcher's `unauthorized`). */
  readonly held?: (destination: string) => boolean;
}

export const queueRoutes: FastifyPluginAsync<QueueRoutesOptions> = async (api, o) => {
  // The dispatcher's words for a destination's state (tocsin_relay_destination_pending{state}).
  const stateOf = (name: string) => {
    const c = o.channels.get(name);
    if (!c) return 'missing';
    if (!c.enabled) return 'disabled';
    return o.held?.(name) ? 'unauthorized' : 'active';
  };
  api.get('/queues', async () => {
    const deadBy = new Map<string, number>();
    for (const d of o.outbox.deadLetters()) deadBy.set(d.entry.destination, (deadBy.get(d.entry.destination) ?? 0) + 1);
    const names = new Set([...o.channels.list().map((c) => c.name), ...o.outbox.destinationsWithPending(), ...deadBy.keys()]);
    return [...names].sort().map((destination) => {
      const oldest = o.outbox.oldestAcceptedAtFor(destination);
      return {
        destination,
        state: stateOf(destination),
        pending: o.outbox.pendingCount(destination),
        oldestAcceptedAt: oldest === undefined ? null : new Date(oldest).toISOString(),
        deadLetters: deadBy.get(destination) ?? 0,
      };
    });
  });
  api.post<{ Params: { destination: string }; Querystring: Record<string, unknown> }>('/queues/:destination/purge', async (request) => {
    const { destination } = request.params;
    const forget = request.query.forget_oldest;
    if (forget !== undefined && forget !== 'true' && forget !== 'false') {
      throw new HttpError(400, 'query.forget_oldest: must be true or false');
    }
    if (!o.channels.get(destination) && o.outbox.pendingCount(destination) === 0) {
      throw new HttpError(404, `destination: "${destination}" is not configured and has nothing pending`);
    }
    try {
      const result = await o.outbox.purgePending(destination, { forgetOldest: forget === 'true' });
      request.log.info({ destination, ...result }, 'queue purged');
      return { destination, ...result };
    } catch (err) {
      if (err instanceof PurgeWouldForgetError) throw new HttpError(409, `${err.message}; re-drive or wait, or add ?forget_oldest=true`);
      throw err;
    }
  });
};
