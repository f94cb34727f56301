// The records of the outbox log, one JSON object per line, and the check of their shape.
//   {"t":"add","entry":{...}}                       accepted (OutboxEntry)
//   {"t":"try","ids":[...]}                         a delivery attempt started (see Outbox.wasAttempted)
//   {"t":"fail","ids":[...]}                        ...and definitely failed (the destination said no)
//   {"t":"done","ids":[...]}                        confirmed by the destination
//   {"t":"dead","id":..,"reason":..,"at":..,"entry"?:{...}}   given up on
import type { OutboxEntry } from '../types.js';

export type AddRecord = { t: 'add'; entry: OutboxEntry };
export type TryRecord = { t: 'try'; ids: string[] };
export type FailRecord = { t: 'fail'; ids: string[] };
export type DoneRecord = { t: 'done'; ids: string[] };
export type DeadRecord = { t: 'dead'; id: string; reason: string; at: number; entry?: OutboxEntry };
export type OutboxRecord = AddRecord | TryRecord | FailRecord | DoneRecord | DeadRecord;

/** The record a line holds, or undefined when it is not one. */
export function parseRecord(text: string): OutboxRecord | undefined {
  let r: unknown;
  try {
    r = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof r !== 'object' || r === null) return undefined;
  const o = r as Record<string, unknown>;
  switch (o.t) {
    case 'add': {
      const e = o.entry as Record<string, unknown> | undefined;
      return e && typeof e.id === 'string' ? (o as AddRecord) : undefined;
    }
    case 'try':
    case 'fail':
    case 'done':
      return Array.isArray(o.ids) && o.ids.every((id) => typeof id === 'string')
        ? (o as TryRecord | FailRecord | DoneRecord)
        : undefined;
    case 'dead':
      return typeof o.id === 'string' && typeof o.reason === 'string' && typeof o.at === 'number'
        ? (o as DeadRecord)
        : undefined;
    default:
      return undefined;
  }
}

/** One record as a log line, newline included. */
export function encodeRecord(r: OutboxRecord): string {
  return JSON.stringify(r) + '\n';
}
