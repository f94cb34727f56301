// POST /hooks/alertmanager: Alertmanager's webhook_configs receiver.
import type { FastifyPluginAsync } from 'fastify';
import { requireAuth, type Credentials } from '../../http/auth.js';
import { HttpError } from '../../http/errors.js';
import type { Intake } from '../intake.js';
import { alertmanagerPayloadSchema, payloadValidatorCompiler } from '../payload-schema.js';
import type { AlertmanagerNotification } from '../types.js';

export const WEBHOOK_PATH = '/hooks/alertmanager';

export interface AlertmanagerRouteOptions {
  readonly intake: Intake;
  readonly auth: Credentials;
  readonly maxBodyBytes: number;
}

export const alertmanagerRoute: FastifyPluginAsync<AlertmanagerRouteOptions> = async (app, o) => {
  app.post<{ Body: AlertmanagerNotification }>(
    WEBHOOK_PATH,
    {
      bodyLimit: o.maxBodyBytes,
      schema: { body: alertmanagerPayloadSchema },
      // Our own validator: no type coercion, bounded depth (see payload-schema.ts).
      validatorCompiler: payloadValidatorCompiler,
      onRequest: requireAuth(o.auth),
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
};
