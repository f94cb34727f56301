// The relay's durable outbox: every notification accepted from Alertmanager is here until Slack
// confirmed it (done) or the relay gave up on it (dead letter). Alertmanager gets its 200 only
// after append() resolved, i.e. after the data reached the disk, so a crash or restart loses
// nothing: on open the log is replayed and the dispatcher starts again from what is pending.
//
// Where the data lives: one append-only file, `<dir>/outbox.log` (dir from the configuration, e.g.
// /var/lib/tocsin/outbox), one JSON record per line:
//   {"t":"add","entry":{...}}                       accepted (OutboxEntry)
//   {"t":"try","ids":[...]}                         a delivery attempt started (see wasAttempted)
//   {"t":"fail","ids":[...]}                        ...and definitely failed (the destination said no)
//   {"t":"done","ids":[...]}                        confirmed by the destination
//   {"t":"dead","id":..,"reason":..,"at":..,"entry"?:{...}}   given up on
// A compaction writes `<dir>/outbox.log.compact` and renames it over outbox.log; a leftover
// .compact file (crash during compaction) is deleted on open, the old log being authoritative.
// One process per directory: the file is not locked against a second process.
//
// Durability: records are written in batches, each batch followed by one fdatasync (group commit):
// appends that arrive while a batch is being written and synced wait and go together into the
// next batch, so one fsync serves many callers and throughput grows with concurrency. append()
// resolves after its batch is synced. Done, try, fail and dead marks take the same path (the
// dispatcher does not wait long for them); a mark lost in a crash only means a resend (counted by
// the dispatcher as a redelivery) or a dead letter retried once more.
//
// Attempt marks: an entry whose delivery started (try) and whose outcome was never recorded may
// already be in the channel; after a restart, sending it again is counted as a possible duplicate
// (wasAttempted). An attempt the destination answered with an error (4xx, 429, 5xx) reached
// nothing, and markFailed() closes its try with a fail record, so it does not count. An attempt
// that ended any other way (timeout, network error, shutdown, crash) is never closed: once that
// happened to an entry it stays "maybe delivered": its try stays open, and later attempts on it
// write neither try nor fail. So an attempt adds at most one try and one fail record.
//
// Crash recovery: a crash mid-write leaves a torn last line (no newline, or garbage after the last
// good record); open() truncates it away. Such a line was never acknowledged (acknowledgement waits
// for the sync of the whole batch, newline included). A bad line followed by good records (disk
// corruption) is skipped and logged, never the records after it.
//
// How big it grows: live entries (accepted, not done) plus up to maxDeadLetters dead letters, plus
// the garbage of done/dead records until the next compaction. Compaction runs when the file is at
// least compactMinBytes (4 MiB) and more than half of it is garbage, and before a batch that would
// push the file past maxBytes (if that reclaims at least maxBytes/16; so the file stays within
// about maxBytes * 17/16). The live data (pending entries plus kept dead letters) is bounded by
// maxBytes (128 MiB by default): an append that would exceed it is rejected with OutboxFullError
// (the receiver answers 503 and Alertmanager retries later); nothing is dropped. All live data is
// also held in memory: pending entries as their log line (about their size on disk), dead letters
// as objects.
//
// Cost: pending entries are kept in acceptance order overall and per destination (linked lists
// with O(1) append and removal), so append, the marks and pendingFor(destination, n) do not depend
// on how many entries are pending; only pending(), compaction and open walk them all.
import { mkdir, open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import type { OutboxEntry } from './types.js';

export const DEFAULT_OUTBOX_MAX_BYTES = 128 * 1024 * 1024;
export const DEFAULT_COMPACT_MIN_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_DEAD_LETTERS = 1000;
export const OUTBOX_FILE = 'outbox.log';
const COMPACT_SUFFIX = '.compact';
const WRITE_CHUNK_BYTES = 1024 * 1024;

export interface OutboxOptions {
  readonly logger?: Logger;
  /** Bound on live data (pending entries + kept dead letters), in bytes as stored. */
  readonly maxBytes?: number;
  /** Do not compact files smaller than this. */
  readonly compactMinBytes?: number;
  /** Dead letters kept (the oldest are forgotten first). */
  readonly maxDeadLetters?: number;
}

export interface DeadLetter {
  readonly entry: OutboxEntry;
  readonly reason: string;
  /** Unix milliseconds. */
  readonly at: number;
}

export interface OutboxStats {
  /** fdatasync calls on the log (compactions not included). */
  readonly syncs: number;
  /** Batches written; each one sync. */
  readonly batches: number;
  /** Records written in those batches. */
  readonly records: number;
  readonly compactions: number;
  readonly fileBytes: number;
  readonly liveBytes: number;
  /** Lines skipped on open because they could not be read (not counting a torn last line). */
  readonly corruptLines: number;
  /** Bytes cut off the end on open (a torn write). */
  readonly truncatedBytes: number;
}

/** The outbox is full: answer 503 so Alertmanager retries later. */
export class OutboxFullError extends Error {
  override readonly name = 'OutboxFullError';
  readonly code = 'OUTBOX_FULL';
  readonly statusCode = 503;
}

/** Writing or syncing the log failed: the data is not durable, answer 5xx. */
export class OutboxWriteError extends Error {
  override readonly name = 'OutboxWriteError';
  readonly code = 'OUTBOX_WRITE_FAILED';
  readonly statusCode = 503;
}

export class OutboxClosedError extends Error {
  override readonly name = 'OutboxClosedError';
  readonly code = 'OUTBOX_CLOSED';
  readonly statusCode = 503;
}

type AddRecord = { t: 'add'; entry: OutboxEntry };
type TryRecord = { t: 'try'; ids: string[] };
type FailRecord = { t: 'fail'; ids: string[] };
type DoneRecord = { t: 'done'; ids: string[] };
type DeadRecord = { t: 'dead'; id: string; reason: string; at: number; entry?: OutboxEntry };
export type OutboxRecord = AddRecord | TryRecord | FailRecord | DoneRecord | DeadRecord;

interface AddLine {
  readonly entry: OutboxEntry;
  readonly line: string;
  readonly bytes: number;
}

/**
 * A pending entry, linked into the acceptance order overall and within its destination. It keeps the
 * add record as written (one flat string) rather than the entry's objects: a backlog of notification
 * object graphs is what the garbage collector would otherwise copy and mark again and again.
 */
class Live {
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

interface Dead extends DeadLetter {
  readonly bytes: number;
}

interface Op {
  readonly text: string;
  readonly bytes: number;
  /** Entries to make live once the batch is durable (add ops only). */
  readonly adds?: readonly AddLine[];
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

const openDirs = new Set<string>();

export class Outbox {
  /** Pending entries by id. */
  private readonly live = new Map<string, Live>();
  /** Pending entries in acceptance order. */
  private readonly order = new Chain<Live>();
  /** Pending entries per destination, in acceptance order; no empty chains. */
  private readonly byDestination = new Map<string, Chain<Live>>();
  private dead: Dead[] = [];
  private deadBytes = 0;
  private liveEntryBytes = 0;
  private fileBytes = 0;
  private queue: Op[] = [];
  private flushing: Promise<void> | undefined;
  private broken: Error | undefined;
  private closed = false;
  private counters = { syncs: 0, batches: 0, records: 0, compactions: 0, corruptLines: 0, truncatedBytes: 0 };

  private constructor(
    private readonly dir: string,
    private readonly file: string,
    private handle: FileHandle,
    private readonly logger: Logger,
    private readonly maxBytes: number,
    private readonly compactMinBytes: number,
    private readonly maxDeadLetters: number,
  ) {}

  /** Opens (creating if needed) the outbox in `dir` and replays what is there. */
  static async open(dir: string, opts: OutboxOptions = {}): Promise<Outbox> {
    const absDir = resolve(dir);
    if (openDirs.has(absDir)) throw new Error(`outbox ${absDir} is already open in this process`);
    const logger = (opts.logger ?? pino({ level: 'silent' })).child({ module: 'outbox' });
    await mkdir(absDir, { recursive: true });
    const file = join(absDir, OUTBOX_FILE);
    await rm(file + COMPACT_SUFFIX, { force: true });

    let data: Buffer;
    let created = false;
    try {
      data = await readFile(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      data = Buffer.alloc(0);
      created = true;
    }
    const parsed = parseLog(data);
    if (parsed.goodBytes < data.length) {
      // Cut the torn tail so new records start on a line of their own.
      const fh = await open(file, 'r+');
      try {
        await fh.truncate(parsed.goodBytes);
        await fh.datasync();
      } finally {
        await fh.close();
      }
      logger.warn({ truncatedBytes: data.length - parsed.goodBytes }, 'outbox: cut a torn record off the end of the log');
    }
    for (const line of parsed.badLines) {
      logger.error({ line }, 'outbox: skipped an unreadable record in the middle of the log');
    }

    const handle = await open(file, 'a');
    if (created) await syncDir(absDir);
    const outbox = new Outbox(
      absDir,
      file,
      handle,
      logger,
      opts.maxBytes ?? DEFAULT_OUTBOX_MAX_BYTES,
      opts.compactMinBytes ?? DEFAULT_COMPACT_MIN_BYTES,
      opts.maxDeadLetters ?? DEFAULT_MAX_DEAD_LETTERS,
    );
    outbox.fileBytes = parsed.goodBytes;
    outbox.counters.corruptLines = parsed.badLines.length;
    outbox.counters.truncatedBytes = data.length - parsed.goodBytes;
    for (const r of parsed.records) outbox.replay(r);
    for (const l of outbox.order) l.attemptedBefore = l.uncertain = l.tryLogged;
    openDirs.add(absDir);
    if (outbox.shouldCompact()) {
      try {
        await outbox.compact();
      } catch (err) {
        logger.error({ err }, 'outbox: compaction on open failed; continuing with the old log');
      }
    }
    logger.info(
      { dir: absDir, pending: outbox.live.size, deadLetters: outbox.dead.length, fileBytes: outbox.fileBytes },
      'outbox opened',
    );
    return outbox;
  }

  /**
   * Makes entries durable. Resolves once they are synced to disk, then they show in pending().
   * All or nothing per call: rejects with OutboxFullError, OutboxWriteError or OutboxClosedError.
   * An entry whose id is already pending is accepted again without a second copy.
   */
  append(entries: readonly OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    const adds: AddLine[] = [];
    let text = '';
    let bytes = 0;
    for (const entry of entries) {
      if (typeof entry?.id !== 'string' || entry.id === '') {
        return Promise.reject(new TypeError('outbox entries need a non-empty string id'));
      }
      // Serialised once: the same line is written, counted, and (if the batch drops a duplicate)
      // re-joined without serialising again.
      const line = JSON.stringify({ t: 'add', entry } satisfies AddRecord) + '\n';
      const lineBytes = Buffer.byteLength(line);
      adds.push({ entry, line, bytes: lineBytes });
      text += line;
      bytes += lineBytes;
    }
    return this.enqueue(text, bytes, adds);
  }

  /** Accepted, not done, not dead, in acceptance order. A copy: O(pending); see pendingFor(). */
  pending(): OutboxEntry[] {
    const out: OutboxEntry[] = [];
    for (const l of this.order) out.push(l.toEntry());
    return out;
  }

  /** The first `limit` pending entries for `destination`, in acceptance order (copies). O(limit). */
  pendingFor(destination: string, limit = Infinity): OutboxEntry[] {
    const out: OutboxEntry[] = [];
    if (limit <= 0) return out;
    for (const l of this.byDestination.get(destination) ?? []) {
      out.push(l.toEntry());
      if (out.length >= limit) break;
    }
    return out;
  }

  /** How many entries are pending for `destination`. O(1). */
  pendingCount(destination: string): number {
    return this.byDestination.get(destination)?.size ?? 0;
  }

  /** Destinations with at least one pending entry (a copy). O(destinations). */
  destinationsWithPending(): string[] {
    return Array.from(this.byDestination.keys());
  }

  /** Whether the entry is pending. */
  has(id: string): boolean {
    return this.live.has(id);
  }

  /**
   * True when an earlier process started delivering this entry and the outcome of that attempt is
   * unknown (not confirmed, not answered with an error): sending it again may duplicate a message.
   */
  wasAttempted(id: string): boolean {
    return this.live.get(id)?.attemptedBefore ?? false;
  }

  /**
   * Records that delivery of these entries starts (so a resend after a crash can be counted). An
   * attempt is over with markDone(), markDead() or markFailed(); one not ended that way (a timeout,
   * a network error) is taken as possibly delivered when the next one starts.
   */
  markAttempted(ids: readonly string[]): Promise<void> {
    const known: string[] = [];
    for (const id of ids) {
      const l = this.live.get(id);
      if (!l) continue;
      if (l.tryLogged) {
        // The previous attempt's try is still open: it ended with no known outcome.
        l.uncertain = true;
        continue;
      }
      l.tryLogged = true;
      known.push(id);
    }
    if (known.length === 0) return Promise.resolve();
    return this.enqueue(JSON.stringify({ t: 'try', ids: known } satisfies TryRecord) + '\n');
  }

  /**
   * The attempt on these entries definitely failed: the destination answered with an error, so it
   * did not post them. They stay pending; a restart before the next attempt will not count them as
   * possible duplicates. Nothing is written for entries with an earlier attempt of unknown outcome.
   */
  markFailed(ids: readonly string[]): Promise<void> {
    const known: string[] = [];
    for (const id of ids) {
      const l = this.live.get(id);
      if (!l || !l.tryLogged || l.uncertain) continue;
      l.tryLogged = false;
      known.push(id);
    }
    if (known.length === 0) return Promise.resolve();
    return this.enqueue(JSON.stringify({ t: 'fail', ids: known } satisfies FailRecord) + '\n');
  }

  /** Delivered: leaves pending() at once; the mark is written with the next batch. */
  markDone(ids: readonly string[]): Promise<void> {
    const known: string[] = [];
    for (const id of ids) {
      const l = this.live.get(id);
      if (!l) continue;
      this.removeLive(l);
      known.push(id);
    }
    if (known.length === 0) return Promise.resolve();
    return this.enqueue(JSON.stringify({ t: 'done', ids: known } satisfies DoneRecord) + '\n');
  }

  /** Given up on: leaves pending() at once and joins the dead letters. Unknown ids are ignored. */
  markDead(id: string, reason: string): Promise<void> {
    const l = this.live.get(id);
    if (!l) return Promise.resolve();
    this.removeLive(l);
    const at = Date.now();
    this.addDead(l.toEntry(), reason, at);
    return this.enqueue(JSON.stringify({ t: 'dead', id, reason, at } satisfies DeadRecord) + '\n');
  }

  /** The most recent dead letters (at most maxDeadLetters), oldest first. */
  deadLetters(): DeadLetter[] {
    return this.dead.map(({ entry, reason, at }) => ({ entry, reason, at }));
  }

  deadLetterCount(): number {
    return this.dead.length;
  }

  depth(): number {
    return this.live.size;
  }

  /** acceptedAt of the first pending entry in acceptance order. */
  oldestAcceptedAt(): number | undefined {
    return this.order.head?.value.acceptedAt;
  }

  stats(): OutboxStats {
    return { ...this.counters, fileBytes: this.fileBytes, liveBytes: this.liveBytes() };
  }

  /** Waits for queued writes, then closes the file. Further calls reject with OutboxClosedError. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing) await this.flushing;
    await this.handle.close();
    openDirs.delete(this.dir);
  }

  // --- the pending set ---

  /** `line` is the entry's add record, newline included; `bytes` its length in UTF-8. */
  private addLive(entry: OutboxEntry, line: string, bytes: number): void {
    let chain = this.byDestination.get(entry.destination);
    if (!chain) {
      chain = new Chain<Live>();
      this.byDestination.set(entry.destination, chain);
    }
    this.live.set(entry.id, new Live(entry.id, entry.destination, entry.acceptedAt, line, bytes, this.order, chain));
    this.liveEntryBytes += bytes;
  }

  private removeLive(l: Live): void {
    this.live.delete(l.id);
    this.liveEntryBytes -= l.bytes;
    this.order.remove(l.inAll);
    const chain = this.byDestination.get(l.destination)!;
    chain.remove(l.inDestination);
    if (chain.size === 0) this.byDestination.delete(l.destination);
  }

  // --- writing ---

  private enqueue(text: string, bytes?: number, adds?: readonly AddLine[]): Promise<void> {
    if (this.closed) return Promise.reject(new OutboxClosedError('the outbox is closed'));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ text, bytes: bytes ?? Buffer.byteLength(text), ...(adds ? { adds } : {}), resolve, reject });
      if (!this.flushing) {
        // Started on the next microtask so appends made in the same tick share the first batch;
        // later ones gather while that batch is being synced.
        this.flushing = Promise.resolve().then(() => this.flushLoop());
      }
    });
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        await this.writeBatch(batch);
        if (this.shouldCompact()) await this.compactLogged();
      }
    } finally {
      // In the same microtask as the last empty-queue check: an op enqueued after this starts
      // a new loop, one enqueued before it was taken by the loop.
      this.flushing = undefined;
    }
  }

  private async writeBatch(batch: Op[]): Promise<void> {
    if (this.broken) {
      for (const op of batch) op.reject(new OutboxWriteError(`the outbox log is unusable: ${this.broken.message}`));
      return;
    }
    // Admission: the live data must stay within maxBytes. Decided per call, in arrival order.
    const accepted: { op: Op; text: string; bytes: number; adds?: readonly AddLine[] }[] = [];
    const batchIds = new Set<string>();
    let admitted = 0;
    let bytes = 0;
    for (const op of batch) {
      if (op.adds) {
        const fresh = op.adds.filter((a) => !this.live.has(a.entry.id) && !batchIds.has(a.entry.id));
        if (fresh.length === 0) {
          op.resolve();
          continue;
        }
        const need = fresh.reduce((n, a) => n + a.bytes, 0);
        if (this.liveBytes() + admitted + need > this.maxBytes) {
          op.reject(
            new OutboxFullError(
              `the outbox is full (${this.live.size} pending, ${this.liveBytes() + admitted} of ${this.maxBytes} bytes)`,
            ),
          );
          continue;
        }
        for (const a of fresh) batchIds.add(a.entry.id);
        admitted += need;
        const whole = fresh.length === op.adds.length;
        const text = whole ? op.text : fresh.map((a) => a.line).join('');
        accepted.push({ op, text, bytes: whole ? op.bytes : need, adds: fresh });
        bytes += whole ? op.bytes : need;
        continue;
      }
      accepted.push({ op, text: op.text, bytes: op.bytes });
      bytes += op.bytes;
    }
    if (accepted.length === 0) return;

    // Compact first when this batch would push the file past maxBytes and a compaction would
    // reclaim a useful amount (else the file may overshoot maxBytes by that little).
    const garbage = this.fileBytes - this.liveBytes();
    if (this.fileBytes + bytes > this.maxBytes && garbage >= Math.max(bytes, this.maxBytes / 16)) {
      await this.compactLogged();
    }

    const buf = Buffer.from(accepted.map((a) => a.text).join(''));
    try {
      await writeAll(this.handle, buf);
      await this.handle.datasync();
      this.counters.syncs++;
    } catch (err) {
      await this.recoverFromWriteError(err as Error);
      const e = new OutboxWriteError(`writing the outbox failed: ${(err as Error).message}`);
      for (const a of accepted) a.op.reject(e);
      return;
    }
    this.fileBytes += buf.length;
    this.counters.batches++;
    this.counters.records += accepted.length;
    for (const { op, adds } of accepted) {
      for (const a of adds ?? []) {
        if (!this.live.has(a.entry.id)) this.addLive(a.entry, a.line, a.bytes);
      }
      op.resolve();
    }
  }

  /** A failed write may have left part of a batch: cut it so the next batch starts on a clean line. */
  private async recoverFromWriteError(err: Error): Promise<void> {
    this.logger.error({ err }, 'outbox: write failed');
    try {
      await this.handle.truncate(this.fileBytes);
      await this.handle.datasync();
    } catch (err2) {
      this.broken = err2 as Error;
      this.logger.error({ err: err2 }, 'outbox: cannot restore the log after a failed write; refusing further writes');
    }
  }

  // --- compaction ---

  private liveBytes(): number {
    return this.liveEntryBytes + this.deadBytes;
  }

  private shouldCompact(): boolean {
    return this.fileBytes >= this.compactMinBytes && this.fileBytes > 2 * this.liveBytes();
  }

  private async compactLogged(): Promise<void> {
    try {
      await this.compact();
    } catch (err) {
      // The old log is still whole and authoritative; try again after the next batch.
      this.logger.error({ err }, 'outbox: compaction failed');
      await rm(this.file + COMPACT_SUFFIX, { force: true }).catch(() => undefined);
    }
  }

  /** Writes live entries and dead letters to a new file and renames it over the log. */
  private async compact(): Promise<void> {
    const started = Date.now();
    const before = this.fileBytes;
    const tmp = this.file + COMPACT_SUFFIX;
    const live = Array.from(this.order);
    const dead = this.dead.slice();
    const fh = await open(tmp, 'w');
    let written = 0;
    try {
      let chunk = '';
      const flush = async () => {
        if (chunk === '') return;
        const buf = Buffer.from(chunk);
        chunk = '';
        await writeAll(fh, buf);
        written += buf.length;
      };
      // Dead letters first: on replay a later add of the same id (a re-sent notification) wins.
      for (const d of dead) {
        chunk += JSON.stringify({ t: 'dead', id: d.entry.id, reason: d.reason, at: d.at, entry: d.entry } satisfies DeadRecord) + '\n';
        if (chunk.length >= WRITE_CHUNK_BYTES) await flush();
      }
      const tried: string[] = [];
      for (const l of live) {
        chunk += l.line;
        if (l.tryLogged) tried.push(l.id);
        if (chunk.length >= WRITE_CHUNK_BYTES) await flush();
      }
      if (tried.length > 0) chunk += JSON.stringify({ t: 'try', ids: tried } satisfies TryRecord) + '\n';
      await flush();
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.file);
    await syncDir(this.dir);
    // From here the new file is the log; append to it.
    const old = this.handle;
    this.handle = await open(this.file, 'a');
    await old.close().catch(() => undefined);
    this.fileBytes = written;
    this.counters.compactions++;
    this.logger.info({ beforeBytes: before, afterBytes: written, ms: Date.now() - started }, 'outbox compacted');
  }

  // --- replay ---

  private replay(r: OutboxRecord): void {
    switch (r.t) {
      case 'add': {
        if (this.live.has(r.entry.id)) return;
        const line = JSON.stringify(r) + '\n';
        this.addLive(r.entry, line, Buffer.byteLength(line));
        return;
      }
      case 'try':
      case 'fail':
        for (const id of r.ids) {
          const l = this.live.get(id);
          if (l) l.tryLogged = r.t === 'try';
        }
        return;
      case 'done':
        for (const id of r.ids) {
          const l = this.live.get(id);
          if (l) this.removeLive(l);
        }
        return;
      case 'dead': {
        const l = this.live.get(r.id);
        const entry = r.entry ?? l?.toEntry();
        if (l) this.removeLive(l);
        if (entry) this.addDead(entry, r.reason, r.at);
        return;
      }
    }
  }

  private addDead(entry: OutboxEntry, reason: string, at: number): void {
    const bytes = Buffer.byteLength(JSON.stringify({ t: 'dead', id: entry.id, reason, at, entry }) + '\n');
    this.dead.push({ entry, reason, at, bytes });
    this.deadBytes += bytes;
    if (this.dead.length > this.maxDeadLetters) {
      const drop = this.dead.length - this.maxDeadLetters;
      for (const d of this.dead.slice(0, drop)) this.deadBytes -= d.bytes;
      this.dead = this.dead.slice(drop);
    }
  }
}

export interface ParsedLog {
  readonly records: OutboxRecord[];
  /** Length of the prefix to keep: everything after it is a torn write. */
  readonly goodBytes: number;
  /** Unreadable lines followed by good ones (kept in the file, skipped), first 200 chars each. */
  readonly badLines: string[];
}

/**
 * Reads the log. An unterminated last line, and any unreadable lines after the last good record,
 * are a torn write (never acknowledged) and fall outside goodBytes.
 */
export function parseLog(data: Buffer): ParsedLog {
  const records: OutboxRecord[] = [];
  const badLines: string[] = [];
  // Unreadable lines since the last good record: a torn tail unless a good record follows.
  let trailingBad: string[] = [];
  let goodBytes = 0;
  let start = 0;
  while (start < data.length) {
    const nl = data.indexOf(10, start);
    if (nl === -1) break; // unterminated: torn
    const end = nl + 1;
    const text = data.toString('utf8', start, nl);
    start = end;
    if (text.trim() === '') {
      if (trailingBad.length === 0) goodBytes = end;
      continue;
    }
    const rec = parseRecord(text);
    if (rec) {
      records.push(rec);
      goodBytes = end;
      badLines.push(...trailingBad);
      trailingBad = [];
    } else {
      trailingBad.push(text.slice(0, 200));
    }
  }
  return { records, goodBytes, badLines };
}

function parseRecord(text: string): OutboxRecord | undefined {
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

async function writeAll(fh: FileHandle, buf: Buffer): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off);
    off += bytesWritten;
  }
}

async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

interface Link<T> {
  readonly value: T;
  prev: Link<T> | undefined;
  next: Link<T> | undefined;
}

/** A doubly linked list: O(1) push, removal of any link and access to the head. */
class Chain<T> {
  head: Link<T> | undefined;
  private tail: Link<T> | undefined;
  size = 0;

  push(value: T): Link<T> {
    const link: Link<T> = { value, prev: this.tail, next: undefined };
    if (this.tail) this.tail.next = link;
    else this.head = link;
    this.tail = link;
    this.size++;
    return link;
  }

  /** `link` must be in this chain. */
  remove(link: Link<T>): void {
    if (link.prev) link.prev.next = link.next;
    else this.head = link.next;
    if (link.next) link.next.prev = link.prev;
    else this.tail = link.prev;
    link.prev = link.next = undefined;
    this.size--;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let link = this.head; link; link = link.next) yield link.value;
  }
}
