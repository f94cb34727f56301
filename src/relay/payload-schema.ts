// JSON Schema of Alertmanager's webhook payload (version 4). Lenient on purpose:
// Alertmanager adds fields over time, so unknown fields pass; what the relay needs is
// required and typed, and a missing map defaults to {}.
const stringMap = { type: 'object', additionalProperties: { type: 'string' }, default: {} } as const;
const status = { type: 'string', enum: ['firing', 'resolved'] } as const;

export const alertmanagerPayloadSchema = {
  type: 'object',
  required: ['status', 'alerts', 'receiver'],
  properties: {
    version: { type: 'string', default: '4' },
    groupKey: { type: 'string', default: '' },
    truncatedAlerts: { type: 'integer', minimum: 0, default: 0 },
    status,
    receiver: { type: 'string' },
    groupLabels: stringMap,
    commonLabels: stringMap,
    commonAnnotations: stringMap,
    externalURL: { type: 'string', default: '' },
    alerts: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['status', 'labels'],
        properties: {
          status,
          labels: stringMap,
          annotations: stringMap,
          startsAt: { type: 'string', default: '' },
          endsAt: { type: 'string', default: '' },
          generatorURL: { type: 'string', default: '' },
          fingerprint: { type: 'string', default: '' },
        },
      },
    },
  },
} as const;
