// The records of the outbox log, one JSON object per line, and the check of their shape.
//   {"t":"add","entry":{...}}                       accepted (OutboxEntry)
//   {"t":"try","ids":[...]}                         a delivery attempt started (see Outbox.wasAttempted)
//   {"t":"fail","ids":[...]}                        ...and definitely failed (the destination said no)
//   {"t":"done","ids":[...]}                        confirmed by the destination
//   {"t":"dead","id":..,"reason":..,"at":..,"entry"?:{...}}   given up on (or purged)
//   {"t":"redrive","entry":{...}}                   a dead letter put back to pending
import { z } from 'zod';
import type { OutboxEntry } from '../types.js';

export type AddRecord = { t: 'add'; entry: OutboxEntry };
export type TryRecord = { t: 'try'; ids: string[] };
export type FailRecord = { t: 'fail'; ids: string[] };
export type DoneRecord = { t: 'done'; ids: string[] };
export type DeadRecord = { t: 'dead'; id: string; reason: string; at: number; entry?: OutboxEntry };
export type RedriveRecord = { t: 'redrive'; entry: OutboxEntry };
export type OutboxRecord = AddRecord | TryRecord | FailRecord | DoneRecord | DeadRecord | RedriveRecord;

// Every record read back is checked against the shape the code relies on (what the intake stores,
// see types.ts), so a wrong-shaped record is skipped and reported when the log is loaded instead of
// crashing the relay at start or answering 500 later. Unknown extra fields are kept.
const stringMap = z.record(z.string(), z.string());
const status = z.enum(['firing', 'resolved']);
const alert = z.looseObject({
  status,
  labels: stringMap,
  annotations: stringMap,
  startsAt: z.string(),
  endsAt: z.string(),
  generatorURL: z.string(),
  fingerprint: z.string(),
});
const notification = z.looseObject({
  version: z.string(),
  groupKey: z.string(),
  truncatedAlerts: z.number().optional(),
  status,
  receiver: z.string(),
  groupLabels: stringMap,
  commonLabels: stringMap,
  commonAnnotations: stringMap,
  externalURL: z.string(),
  alerts: z.array(alert),
});
const entry = z.looseObject({
  id: z.string().min(1),
  acceptedAt: z.number(),
  destination: z.string().min(1),
  presentation: z.looseObject({
    mention: z.string().optional(),
    titleTemplate: z.string().optional(),
    textTemplate: z.string().optional(),
  }),
  notification,
});
const ids = z.array(z.string());
const recordSchema = z.discriminatedUnion('t', [
  z.looseObject({ t: z.literal('add'), entry }),
  z.looseObject({ t: z.literal('try'), ids }),
  z.looseObject({ t: z.literal('fail'), ids }),
  z.looseObject({ t: z.literal('done'), ids }),
  z.looseObject({ t: z.literal('dead'), id: z.string(), reason: z.string(), at: z.number(), entry: entry.optional() }),
  z.looseObject({ t: z.literal('redrive'), entry }),
]);

export type CheckedRecord = { readonly record: OutboxRecord } | { readonly why: string };

/** The record a line holds, or why it is not one (never quoting the line: it may hold anything). */
export function checkRecord(text: string): CheckedRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { why: 'not valid JSON' };
  }
  const r = recordSchema.safeParse(value);
  if (r.success) return { record: value as OutboxRecord };
  const issue = r.error.issues[0]!;
  const path = issue.path.map(String).join('.');
  if (path === 't') return { why: 'unknown record type (field t)' };
  return { why: `${path || 'record'}: ${issue.message.replace(/^Invalid input: /, '')}` };
}

/** One record as a log line, newline included. */
export function encodeRecord(r: OutboxRecord): string {
  return JSON.stringify(r) + '\n';
}
