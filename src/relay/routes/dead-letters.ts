// GET /api/v1/dead-letters: what could not be delivered, and why.
import type { FastifyPluginAsync } from 'fastify';
import type { Outbox } from '../outbox/index.js';

export interface DeadLetterRoutesOptions {
  readonly outbox: Outbox;
}

export const deadLetterRoutes: FastifyPluginAsync<DeadLetterRoutesOptions> = async (api, o) => {
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
};
