// JSON Schema of Alertmanager's webhook payload (version 4), and the validator the webhook route
// uses. Lenient about fields on purpose: Alertmanager adds fields over time, so unknown fields pass;
// what the relay needs is required and typed, and a missing map defaults to {}. Strict about
// types: Alertmanager sends strings, so `receiver: null` or a numeric label value is a broken
// sender, answered 400 (fastify's own validator would coerce them into "" and "5").
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

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

/**
 * How deep the stored JSON may nest. Alertmanager's payload nests four levels
 * (body.alerts[0].labels.name); unknown fields get room to grow, but not a nesting that
 * overflows the stack when the notification is stored or copied.
 */
export const MAX_PAYLOAD_DEPTH = 32;

/**
 * The field (as "body.name", the top-level one it sits under) where `value` nests deeper than
 * `max` levels, or undefined. Iterative, so safe at any depth.
 */
export function tooDeep(value: unknown, max: number): string | undefined {
  const stack: { v: unknown; field: string; depth: number }[] = [{ v: value, field: 'body', depth: 0 }];
  while (stack.length > 0) {
    const { v, field, depth } = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= max) return field;
    for (const [k, child] of Object.entries(v)) {
      stack.push({ v: child, field: depth === 0 ? `body.${k}` : field, depth: depth + 1 });
    }
  }
  return undefined;
}

/** "/alerts/0/labels/x" -> "body.alerts[0].labels.x" */
function fieldPath(e: ErrorObject): string {
  let path = 'body';
  for (const part of e.instancePath.split('/').slice(1)) {
    const p = part.replace(/~1/g, '/').replace(/~0/g, '~');
    path += /^\d+$/.test(p) ? `[${p}]` : `.${p}`;
  }
  if (e.keyword === 'required') path += `.${(e.params as { missingProperty: string }).missingProperty}`;
  return path;
}

export class PayloadError extends Error {}

// No coercion (the point of having our own), defaults filled in, unknown fields kept.
const ajv = new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: false, allErrors: false });

/** A fastify validatorCompiler for the webhook route: the schema's checks, a depth bound, field paths in messages. */
export function payloadValidatorCompiler({ schema }: { schema: object }) {
  const validate: ValidateFunction = ajv.compile(schema);
  return (data: unknown): { value: unknown } | { error: Error } => {
    const deep = tooDeep(data, MAX_PAYLOAD_DEPTH);
    if (deep) return { error: new PayloadError(`${deep}: nested deeper than ${MAX_PAYLOAD_DEPTH} levels`) };
    if (validate(data)) return { value: data };
    const e = validate.errors![0]!;
    const message = e.keyword === 'required' ? 'required' : e.message;
    return { error: new PayloadError(`${fieldPath(e)}: ${message}`) };
  };
}
