// The dead letters the outbox keeps: what it gave up on (or what was purged), oldest first, at most
// `max` of them (the oldest are forgotten first), with their size as stored so they count against
// the outbox's bound on live data.
import type { OutboxEntry } from '../types.js';
import { encodeRecord } from './records.js';

export interface DeadLetter {
  readonly entry: OutboxEntry;
  readonly reason: string;
  /** Unix milliseconds. */
  readonly at: number;
}

interface Dead extends DeadLetter {
  readonly bytes: number;
}

export class DeadLetterList {
  private list: Dead[] = [];
  /** Sum of their dead records' sizes. */
  bytes = 0;

  constructor(readonly max: number) {}

  get size(): number {
    return this.list.length;
  }

  /** Adds one; returns how many older ones were forgotten to stay within max. */
  add(entry: OutboxEntry, reason: string, at: number): number {
    const bytes = Buffer.byteLength(encodeRecord({ t: 'dead', id: entry.id, reason, at, entry }));
    this.list.push({ entry, reason, at, bytes });
    this.bytes += bytes;
    if (this.list.length <= this.max) return 0;
    const drop = this.list.length - this.max;
    for (const d of this.list.slice(0, drop)) this.bytes -= d.bytes;
    this.list = this.list.slice(drop);
    return drop;
  }

  /** Removes every dead letter with this id. */
  remove(id: string): void {
    for (const d of this.list) if (d.entry.id === id) this.bytes -= d.bytes;
    this.list = this.list.filter((d) => d.entry.id !== id);
  }

  /** The most recent one with this id. */
  find(id: string): DeadLetter | undefined {
    return this.list.findLast((d) => d.entry.id === id);
  }

  /** Oldest first (copies of the list, sharing the entries). */
  all(): DeadLetter[] {
    return this.list.map(({ entry, reason, at }) => ({ entry, reason, at }));
  }
}
