// The entries accepted and not yet done or dead, in acceptance order overall and per destination.
// Each keeps its add record as written (one flat string) rather than the entry's objects: a
// backlog of notification object graphs is what the garbage collector would otherwise copy and
// mark again and again. pending() and pendingFor() hand out fresh copies parsed from that line.
import type { OutboxEntry } from '../types.js';
import { Chain, type Link } from './chain.js';
import type { AddRecord } from './records.js';

export class Live {
  readonly inAll: Link<Live>;
  readonly inDestination: Link<Live>;
  /** On open, a try record not closed by a fail record: an earlier process may have delivered it. */
  attemptedBefore = false;
  /** The log holds a try record for it not closed by a fail record (kept through compaction). */
  tryLogged = false;
  /** Some attempt ended with an unknown outcome: it may be in the channel; its try stays open. */
  uncertain = false;

  constructor(
    readonly id: string,
    readonly destination: string,
    readonly acceptedAt: number,
    /** The add record, newline included. */
    readonly line: string,
    readonly bytes: number,
    all: Chain<Live>,
    inDestination: Chain<Live>,
  ) {
    this.inAll = all.push(this);
    this.inDestination = inDestination.push(this);
  }

  /** A fresh copy of the entry. */
  toEntry(): OutboxEntry {
    return (JSON.parse(this.line) as AddRecord).entry;
  }
}

export class PendingSet {
  private readonly byId = new Map<string, Live>();
  /** In acceptance order. */
  readonly order = new Chain<Live>();
  /** Per destination, in acceptance order; no empty chains. */
  private readonly byDestination = new Map<string, Chain<Live>>();
  /** Sum of the add records' sizes. */
  bytes = 0;

  get size(): number {
    return this.byId.size;
  }

  get(id: string): Live | undefined {
    return this.byId.get(id);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** `line` is the entry's add record, newline included; `bytes` its length in UTF-8. */
  add(entry: OutboxEntry, line: string, bytes: number): Live {
    let chain = this.byDestination.get(entry.destination);
    if (!chain) {
      chain = new Chain<Live>();
      this.byDestination.set(entry.destination, chain);
    }
    const l = new Live(entry.id, entry.destination, entry.acceptedAt, line, bytes, this.order, chain);
    this.byId.set(entry.id, l);
    this.bytes += bytes;
    return l;
  }

  remove(l: Live): void {
    this.byId.delete(l.id);
    this.bytes -= l.bytes;
    this.order.remove(l.inAll);
    const chain = this.byDestination.get(l.destination)!;
    chain.remove(l.inDestination);
    if (chain.size === 0) this.byDestination.delete(l.destination);
  }

  /** A destination's entries in acceptance order (live view: do not remove while iterating). */
  of(destination: string): Iterable<Live> {
    return this.byDestination.get(destination) ?? [];
  }

  countFor(destination: string): number {
    return this.byDestination.get(destination)?.size ?? 0;
  }

  oldestFor(destination: string): Live | undefined {
    return this.byDestination.get(destination)?.head?.value;
  }

  destinations(): string[] {
    return Array.from(this.byDestination.keys());
  }
}
