// /api/v1/dead-letters: what could not be delivered, and why; and putting it back in the queue.
//   GET  /api/v1/dead-letters                              the kept dead letters, oldest first
//   POST /api/v1/dead-letters/{id}/retry                   one dead letter back to pending
//   POST /api/v1/dead-letters/retry?destination=NAME       all of a destination's dead letters back
// A re-driven notification is delivered like a new one (at the end of its destination's queue).
import type { FastifyPluginAsync } from 'fastify';
import { HttpError } from '../../http/errors.js';
import type { Outbox } from '../outbox/index.js';
import type { OutboxEntry } from '../types.js';

export interface DeadLetterRoutesOptions {
  readonly outbox: Outbox;
}

const summary = (e: OutboxEntry) => ({
  id: e.id,
  destination: e.destination,
  acceptedAt: new Date(e.acceptedAt).toISOString(),
  groupKey: e.notification.groupKey,
  status: e.notification.status,
  alerts: e.notification.alerts.length,
});

export const deadLetterRoutes: FastifyPluginAsync<DeadLetterRoutesOptions> = async (api, o) => {
  api.get('/dead-letters', async () =>
    o.outbox.deadLetters().map((d) => ({ ...summary(d.entry), reason: d.reason, at: new Date(d.at).toISOString() })),
  );
  api.post<{ Querystring: Record<string, unknown> }>('/dead-letters/retry', async (request) => {
    const destination = request.query.destination;
    if (typeof destination !== 'string' || destination === '') {
      throw new HttpError(400, 'query.destination: required, the destination whose dead letters to retry');
    }
    const retried = await o.outbox.redriveDeadLettersFor(destination);
    request.log.info({ destination, retried }, 'dead letters re-driven');
    return { destination, retried };
  });
  api.post<{ Params: { id: string } }>('/dead-letters/:id/retry', async (request) => {
    const entry = await o.outbox.redriveDeadLetter(request.params.id);
    if (!entry) throw new HttpError(404, `id: no dead letter "${request.params.id}"`);
    request.log.info({ id: entry.id, destination: entry.destination }, 'dead letter re-driven');
    return { ...summary(entry), pending: true };
  });
};
