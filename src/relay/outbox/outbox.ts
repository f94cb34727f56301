// The relay's durable outbox: every notification accepted from Alertmanager is here until the
// destination confirmed it (done) or the relay gave up on it (dead letter). Alertmanager gets its
// 200 only after append() resolved, i.e. after the data reached the disk (writer.ts), so a crash
// or restart loses nothing: on open the log is replayed and the dispatcher starts again from what
// is pending.
//
// Where the data lives: one append-only file, `<dir>/outbox.log` (dir from the configuration, e.g.
// /var/lib/tocsin/outbox), records as in records.ts. One process per directory.
//
// Loading: every record's shape is checked (records.ts, log-format.ts); what cannot be used (a torn
// write at the end, garbage, a wrong-shaped record, a wholly unreadable file) is skipped, reported
// with its byte offset and reason, and copied verbatim to `outbox.rejected-<timestamp>` beside the
// log (rejected.ts); only then is the log cut or rewritten without it. The relay starts anyway.
//
// Marks: done, try, fail and dead marks take the same path as appends (the dispatcher does not
// wait long for them); a mark lost in a crash only means a resend (counted by the dispatcher as a
// redelivery) or a dead letter retried once more. When the log cannot be written (a full disk),
// appends are refused (503) while marks are kept in memory and retried; on ENOSPC the outbox
// compacts into the space of its reserve and tries again (write-failures.ts, reserve.ts).
//
// Dead letters can be put back to pending (redriveDeadLetter, redriveDeadLettersFor), and a
// destination's pending entries moved to the dead letters with reason "purged" (purgePending), so
// an operator can drop a queue without losing it for good. Both are written like any record.
//
// Attempt marks: an entry whose delivery started (try) and whose outcome was never recorded may
// already be in the channel; after a restart, sending it again is counted as a possible duplicate
// (wasAttempted). An attempt the destination answered with an error (4xx, 429, 5xx) reached
// nothing, and markFailed() closes its try with a fail record, so it does not count. An attempt
// that ended any other way (timeout, network error, shutdown, crash) is never closed: once that
// happened to an entry it stays "maybe delivered": its try stays open, and later attempts on it
// write neither try nor fail. So an attempt adds at most one try and one fail record.
//
// How big it grows: live entries (accepted, not done) plus up to maxDeadLetters dead letters, plus
// the garbage of done/dead records until the next compaction (compaction.ts). Compaction runs when
// the file is at least compactMinBytes (4 MiB) and more than half of it is garbage, and before a
// batch that would push the file past maxBytes (if that reclaims at least maxBytes/16; so the file
// stays within about maxBytes * 17/16). The live data (pending entries plus kept dead letters) is
// bounded by maxBytes (128 MiB by default): an append that would exceed it is rejected with
// OutboxFullError (the receiver answers 503 and Alertmanager retries later); nothing is dropped.
// All live data is also held in memory: pending entries as their log line (about their size on
// disk), dead letters as objects.
//
// Cost: pending entries are kept in acceptance order overall and per destination (pending-set.ts),
// so append, the marks and pendingFor(destination, n) do not depend on how many entries are
// pending; only pending(), compaction and open walk them all.
import { join, resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import type { OutboxEntry } from '../types.js';
import { COMPACT_SUFFIX, rewriteLog, worthCompacting } from './compaction.js';
import { OutboxClosedError, OutboxFullError, OutboxWriteError, PurgeWouldForgetError } from './errors.js';
import { nodeFs, type OutboxFs } from './fs.js';
import { DeadLetterList, type DeadLetter } from './dead-letters.js';
import { loadLog } from './load.js';
import { PendingSet } from './pending-set.js';
import { DEFAULT_RESERVE_BYTES, Reserve } from './reserve.js';
import { encodeRecord, type DeadRecord, type OutboxRecord } from './records.js';
import { isDiskFull, WriteFailures } from './write-failures.js';
import { LogWriter } from './writer.js';

export const DEFAULT_OUTBOX_MAX_BYTES = 128 * 1024 * 1024;
export const DEFAULT_COMPACT_MIN_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_DEAD_LETTERS = 1000;
export const DEFAULT_RETRY_INTERVAL_MS = 1000;
export const OUTBOX_FILE = 'outbox.log';

export interface OutboxOptions {
  readonly logger?: Logger;
  /** Bound on live data (pending entries + kept dead letters), in bytes as stored. */
  readonly maxBytes?: number;
  /** Do not compact files smaller than this. */
  readonly compactMinBytes?: number;
  /** Dead letters kept (the oldest are forgotten first). */
  readonly maxDeadLetters?: number;
  /** How often marks that could not be written are tried again (write-failures.ts). */
  readonly retryIntervalMs?: number;
  /** Space kept beside the log so a compaction can run on a full disk (reserve.ts); 0: none. */
  readonly reserveBytes?: number;
  /** The file system (tests inject one to watch or break what reaches the disk). */
  readonly fs?: OutboxFs;
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
  /** Lines skipped on open because they could not be read, followed by good records. */
  readonly corruptLines: number;
  /** Lines (or a torn last line) skipped on open, wherever they were; copied beside the log. */
  readonly rejectedRecords: number;
  /** Bytes cut off the end on open (a torn write). */
  readonly truncatedBytes: number;
  /** The last write to the log failed (until one succeeds). */
  readonly writeFailing: boolean;
  /** Marks kept in memory because they could not be written yet. */
  readonly unwrittenMarks: number;
}

/** Reason given to entries moved to the dead letters by purgePending(). */
export const PURGED = 'purged';

export interface PurgeResult {
  /** Entries moved from pending to the dead letters. */
  readonly purged: number;
  /** Older dead letters pushed out by them (only with forgetOldest). */
  readonly forgotten: number;
}

const openDirs = new Set<string>();

export class Outbox {
  private readonly pendingSet = new PendingSet();
  /** Appends written but not yet synced, by id: a second append of the same id waits for it. */
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Bytes of in-flight appends, counted against maxBytes. */
  private reserved = 0;
  private readonly dead: DeadLetterList;
  private readonly redriveListeners: (() => void)[] = [];
  private closed = false;
  private readonly writer: LogWriter;
  private readonly failures: WriteFailures;
  private readonly reserve: Reserve;
  private counters = { compactions: 0, corruptLines: 0, truncatedBytes: 0, rejectedRecords: 0 };

  private constructor(
    private readonly fs: OutboxFs,
    private readonly dir: string,
    private readonly file: string,
    fileBytes: number,
    handle: Awaited<ReturnType<OutboxFs['open']>>,
    private readonly logger: Logger,
    private readonly maxBytes: number,
    private readonly compactMinBytes: number,
    maxDeadLetters: number,
    retryIntervalMs: number,
    reserveBytes: number,
  ) {
    this.writer = new LogWriter(handle, fileBytes, logger, {
      beforeBatch: (bytes) => this.compactBeforeGrowing(bytes),
      afterBatch: async () => {
        if (this.shouldCompact()) await this.compactLogged();
      },
      onWriteError: (err) => this.makeRoom(err),
    });
    this.failures = new WriteFailures(logger, retryIntervalMs, (text) => this.writer.write(text));
    this.reserve = new Reserve(fs, dir, reserveBytes);
    this.dead = new DeadLetterList(maxDeadLetters);
  }

  /** Opens (creating if needed) the outbox in `dir` and replays what is there. */
  static async open(dir: string, opts: OutboxOptions = {}): Promise<Outbox> {
    const absDir = resolve(dir);
    if (openDirs.has(absDir)) throw new Error(`outbox ${absDir} is already open in this process`);
    const fs = opts.fs ?? nodeFs;
    const logger = (opts.logger ?? pino({ level: 'silent' })).child({ module: 'outbox' });
    await fs.mkdir(absDir);
    const file = join(absDir, OUTBOX_FILE);
    await fs.remove(file + COMPACT_SUFFIX);

    const loaded = await loadLog(fs, absDir, file, logger);

    const handle = await fs.open(file, 'a');
    if (loaded.created) await fs.syncDir(absDir);
    const outbox = new Outbox(
      fs,
      absDir,
      file,
      loaded.fileBytes,
      handle,
      logger,
      opts.maxBytes ?? DEFAULT_OUTBOX_MAX_BYTES,
      opts.compactMinBytes ?? DEFAULT_COMPACT_MIN_BYTES,
      opts.maxDeadLetters ?? DEFAULT_MAX_DEAD_LETTERS,
      opts.retryIntervalMs ?? DEFAULT_RETRY_INTERVAL_MS,
      opts.reserveBytes ?? DEFAULT_RESERVE_BYTES,
    );
    outbox.counters.corruptLines = loaded.rejectedInMiddle;
    outbox.counters.truncatedBytes = loaded.truncatedBytes;
    outbox.counters.rejectedRecords = loaded.rejected;
    for (const r of loaded.records) outbox.replay(r);
    for (const l of outbox.pendingSet.order) l.attemptedBefore = l.uncertain = l.tryLogged;
    openDirs.add(absDir);
    if (!(await outbox.reserve.ensure())) logger.warn({ dir: absDir }, 'outbox: no room for the reserve that lets it compact on a full disk');
    // A rewrite drops the rejected lines left in the middle (their copy is safe).
    if (outbox.shouldCompact() || loaded.rewrite) {
      try {
        await outbox.compact();
      } catch (err) {
        logger.error({ err: (err as Error).message }, 'outbox: compaction on open failed; continuing with the old log');
      }
    }
    logger.info(
      { dir: absDir, pending: outbox.depth(), deadLetters: outbox.dead.size, fileBytes: outbox.writer.fileBytes },
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
    if (this.closed) return Promise.reject(new OutboxClosedError('the outbox is closed'));
    const fresh: { entry: OutboxEntry; line: string; bytes: number }[] = [];
    const waits: Promise<void>[] = [];
    const inCall = new Set<string>();
    for (const entry of entries) {
      if (typeof entry?.id !== 'string' || entry.id === '') {
        return Promise.reject(new TypeError('outbox entries need a non-empty string id'));
      }
      if (this.pendingSet.has(entry.id) || inCall.has(entry.id)) continue;
      const other = this.inFlight.get(entry.id);
      if (other) {
        waits.push(other);
        continue;
      }
      inCall.add(entry.id);
      // Serialised once: the same line is written, counted and kept as the pending entry.
      const line = encodeRecord({ t: 'add', entry });
      fresh.push({ entry, line, bytes: Buffer.byteLength(line) });
    }
    if (fresh.length > 0) {
      const need = fresh.reduce((n, a) => n + a.bytes, 0);
      const used = this.liveBytes() + this.reserved;
      if (used + need > this.maxBytes) {
        return Promise.reject(
          new OutboxFullError(`the outbox is full (${this.pendingSet.size} pending, ${used} of ${this.maxBytes} bytes)`),
        );
      }
      this.reserved += need;
      const written = this.writer
        .write(
          fresh.map((a) => a.line).join(''),
          () => {
            for (const a of fresh) if (!this.pendingSet.has(a.entry.id)) this.pendingSet.add(a.entry, a.line, a.bytes);
          },
        )
        .then(
          () => this.failures.succeeded(),
          (err: unknown) => {
            if (err instanceof OutboxWriteError) this.failures.failed(err);
            throw err;
          },
        )
        .finally(() => {
          this.reserved -= need;
          for (const a of fresh) this.inFlight.delete(a.entry.id);
        });
      for (const a of fresh) this.inFlight.set(a.entry.id, written);
      waits.push(written);
    }
    return Promise.all(waits).then(() => undefined);
  }

  /** Accepted, not done, not dead, in acceptance order. A copy: O(pending); see pendingFor(). */
  pending(): OutboxEntry[] {
    const out: OutboxEntry[] = [];
    for (const l of this.pendingSet.order) out.push(l.toEntry());
    return out;
  }

  /** The first `limit` pending entries for `destination`, in acceptance order (copies). O(limit). */
  pendingFor(destination: string, limit = Infinity): OutboxEntry[] {
    const out: OutboxEntry[] = [];
    if (limit <= 0) return out;
    for (const l of this.pendingSet.of(destination)) {
      out.push(l.toEntry());
      if (out.length >= limit) break;
    }
    return out;
  }

  /** How many entries are pending for `destination`. O(1). */
  pendingCount(destination: string): number {
    return this.pendingSet.countFor(destination);
  }

  /** Destinations with at least one pending entry (a copy). O(destinations). */
  destinationsWithPending(): string[] {
    return this.pendingSet.destinations();
  }

  /** Whether the entry is pending. */
  has(id: string): boolean {
    return this.pendingSet.has(id);
  }

  /**
   * True when an earlier process started delivering this entry and the outcome of that attempt is
   * unknown (not confirmed, not answered with an error): sending it again may duplicate a message.
   */
  wasAttempted(id: string): boolean {
    return this.pendingSet.get(id)?.attemptedBefore ?? false;
  }

  /**
   * Records that delivery of these entries starts (so a resend after a crash can be counted). An
   * attempt is over with markDone(), markDead() or markFailed(); one not ended that way (a timeout,
   * a network error) is taken as possibly delivered when the next one starts.
   */
  markAttempted(ids: readonly string[]): Promise<void> {
    const known: string[] = [];
    for (const id of ids) {
      const l = this.pendingSet.get(id);
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
    return this.writeMark({ t: 'try', ids: known });
  }

  /**
   * The attempt on these entries definitely failed: the destination answered with an error, so it
   * did not post them. They stay pending; a restart before the next attempt will not count them as
   * possible duplicates. Nothing is written for entries with an earlier attempt of unknown outcome.
   */
  markFailed(ids: readonly string[]): Promise<void> {
    const known: string[] = [];
    for (const id of ids) {
      const l = this.pendingSet.get(id);
      if (!l || !l.tryLogged || l.uncertain) continue;
      l.tryLogged = false;
      known.push(id);
    }
    if (known.length === 0) return Promise.resolve();
    return this.writeMark({ t: 'fail', ids: known });
  }

  /** Delivered: leaves pending() at once; the mark is written with the next batch. */
  markDone(ids: readonly string[]): Promise<void> {
    const known: string[] = [];
    for (const id of ids) {
      const l = this.pendingSet.get(id);
      if (!l) continue;
      this.pendingSet.remove(l);
      known.push(id);
    }
    if (known.length === 0) return Promise.resolve();
    return this.writeMark({ t: 'done', ids: known });
  }

  /** Given up on: leaves pending() at once and joins the dead letters. Unknown ids are ignored. */
  markDead(id: string, reason: string): Promise<void> {
    const l = this.pendingSet.get(id);
    if (!l) return Promise.resolve();
    this.pendingSet.remove(l);
    const at = Date.now();
    this.dead.add(l.toEntry(), reason, at);
    return this.writeMark({ t: 'dead', id, reason, at });
  }

  /** Dead letters back to pending once the redrive records are on the disk (OutboxWriteError if not). */
  private async redrive(entries: readonly OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return;
    if (this.closed) throw new OutboxClosedError('the outbox is closed');
    const text = entries.map((entry) => encodeRecord({ t: 'redrive', entry })).join('');
    await this.writer.write(text, () => {
      for (const entry of entries) this.undead(entry);
    });
    for (const listener of this.redriveListeners) listener();
  }

  /** Calls `listener` whenever dead letters were put back to pending (the dispatcher wakes up). */
  onRedrive(listener: () => void): void {
    this.redriveListeners.push(listener);
  }

  /** Removes the entry from the dead letters and makes it pending (replay and redrive). */
  private undead(entry: OutboxEntry): void {
    this.dead.remove(entry.id);
    if (this.pendingSet.has(entry.id)) return;
    const line = encodeRecord({ t: 'add', entry });
    this.pendingSet.add(entry, line, Buffer.byteLength(line));
  }

  /**
   * Puts the dead letter(s) with this id back to pending (at the end of the queue, with its original
   * acceptedAt), durably; resolves with the entry, or undefined when no dead letter has this id.
   */
  async redriveDeadLetter(id: string): Promise<OutboxEntry | undefined> {
    const d = this.dead.find(id);
    if (!d) return undefined;
    await this.redrive([d.entry]);
    return d.entry;
  }

  /** Puts every dead letter for `destination` back to pending, durably; resolves with how many. */
  async redriveDeadLettersFor(destination: string): Promise<number> {
    const byId = new Map<string, OutboxEntry>();
    for (const d of this.dead.all()) if (d.entry.destination === destination) byId.set(d.entry.id, d.entry);
    await this.redrive([...byId.values()]);
    return byId.size;
  }

  /**
   * Moves every pending entry for `destination` to the dead letters with reason "purged" (so it can
   * be re-driven later), durably. The dead letters stay bounded by maxDeadLetters: when the purge
   * would push older ones out, it is refused with PurgeWouldForgetError unless `forgetOldest`.
   */
  async purgePending(destination: string, opts: { forgetOldest?: boolean } = {}): Promise<PurgeResult> {
    const entries = Array.from(this.pendingSet.of(destination));
    const forgotten = Math.max(0, this.dead.size + entries.length - this.dead.max);
    if (forgotten > 0 && !opts.forgetOldest) throw new PurgeWouldForgetError(entries.length, forgotten, this.dead.max);
    if (entries.length === 0) return { purged: 0, forgotten: 0 };
    const at = Date.now();
    const records: OutboxRecord[] = [];
    for (const l of entries) {
      this.pendingSet.remove(l);
      this.dead.add(l.toEntry(), PURGED, at);
      records.push({ t: 'dead', id: l.id, reason: PURGED, at });
    }
    await this.writeMark(records);
    if (forgotten > 0) this.logger.warn({ destination, forgotten }, 'outbox: purge pushed the oldest dead letters out');
    return { purged: entries.length, forgotten };
  }

  /** acceptedAt of the first pending entry for `destination`. O(1). */
  oldestAcceptedAtFor(destination: string): number | undefined {
    return this.pendingSet.oldestFor(destination)?.acceptedAt;
  }

  /** The most recent dead letters (at most maxDeadLetters), oldest first. */
  deadLetters(): DeadLetter[] {
    return this.dead.all();
  }

  deadLetterCount(): number {
    return this.dead.size;
  }

  depth(): number {
    return this.pendingSet.size;
  }

  /** acceptedAt of the first pending entry in acceptance order. */
  oldestAcceptedAt(): number | undefined {
    return this.pendingSet.order.head?.value.acceptedAt;
  }

  stats(): OutboxStats {
    return {
      ...this.writer.stats(),
      ...this.counters,
      fileBytes: this.writer.fileBytes,
      liveBytes: this.liveBytes(),
      writeFailing: this.failures.isFailing,
      unwrittenMarks: this.failures.parkedMarks,
    };
  }

  /** Waits for queued writes, then closes the file. Further calls reject with OutboxClosedError. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.failures.flush();
    this.failures.stop();
    await this.writer.close();
    openDirs.delete(this.dir);
  }

  /**
   * Writes a mark. Resolves once it is on the disk, or, when the log cannot be written, once it is
   * kept for retry (write-failures.ts): delivery goes on, and a lost mark is reported, not thrown.
   */
  private writeMark(r: OutboxRecord | readonly OutboxRecord[]): Promise<void> {
    const records = Array.isArray(r) ? (r as readonly OutboxRecord[]) : [r as OutboxRecord];
    const seq = this.failures.issue();
    const text = records.map(encodeRecord).join('');
    const doneIds = records.reduce((n, x) => n + (x.t === 'done' ? x.ids.length : 0), 0);
    return this.writer.write(text).then(
      () => this.failures.succeeded(),
      (err: unknown) => {
        if (!(err instanceof OutboxWriteError)) throw err;
        this.failures.failed(err);
        this.failures.park(seq, text, doneIds);
      },
    );
  }

  /**
   * A batch could not be written: on a full disk, a compaction frees the space of finished records
   * (written into the space of the reserve, reserve.ts). True: try the batch again.
   */
  private async makeRoom(err: Error): Promise<boolean> {
    if (!isDiskFull(err) || this.writer.fileBytes <= this.liveBytes()) return false;
    await this.reserve.release().catch(() => false);
    try {
      await this.compact();
      return true;
    } catch (compactionErr) {
      this.logger.debug({ err: (compactionErr as Error).message }, 'outbox: no room for a compaction either');
      return false;
    } finally {
      // Taken back first: the next full disk needs it more than the next append.
      await this.reserve.ensure();
    }
  }

  // --- compaction ---

  private liveBytes(): number {
    return this.pendingSet.bytes + this.dead.bytes;
  }

  private shouldCompact(): boolean {
    return worthCompacting(this.writer.fileBytes, this.liveBytes(), this.compactMinBytes);
  }

  /** Compacts first when a batch would push the file past maxBytes and that reclaims a useful amount. */
  private async compactBeforeGrowing(bytes: number): Promise<void> {
    const fileBytes = this.writer.fileBytes;
    const garbage = fileBytes - this.liveBytes();
    if (fileBytes + bytes > this.maxBytes && garbage >= Math.max(bytes, this.maxBytes / 16)) {
      await this.compactLogged();
    }
  }

  private async compactLogged(): Promise<void> {
    try {
      await this.compact();
    } catch (err) {
      // The old log is still whole and authoritative; try again after the next batch. A full disk
      // is reported once by the write path, not after every batch.
      if (isDiskFull(err)) this.logger.debug({ err: (err as Error).message }, 'outbox: compaction failed');
      else this.logger.error({ err: (err as Error).message }, 'outbox: compaction failed');
    }
  }

  /** Rewrites the log with live entries and dead letters only; the writer continues on the new file. */
  private async compact(): Promise<void> {
    const started = Date.now();
    const before = this.writer.fileBytes;
    const captured = this.failures.lastIssued;
    const written = await rewriteLog(this.fs, this.dir, this.file, this.liveLines());
    await this.writer.replaceFile(await this.fs.open(this.file, 'a'), written);
    this.failures.capturedUpTo(captured);
    this.counters.compactions++;
    this.logger.info({ beforeBytes: before, afterBytes: written, ms: Date.now() - started }, 'outbox compacted');
  }

  /** What is live, as records in replay order. */
  private *liveLines(): Generator<string> {
    // Dead letters first: on replay a later add of the same id (a re-sent notification) wins.
    for (const d of this.dead.all()) {
      yield encodeRecord({ t: 'dead', id: d.entry.id, reason: d.reason, at: d.at, entry: d.entry } satisfies DeadRecord);
    }
    const tried: string[] = [];
    for (const l of Array.from(this.pendingSet.order)) {
      if (l.tryLogged) tried.push(l.id);
      yield l.line;
    }
    if (tried.length > 0) yield encodeRecord({ t: 'try', ids: tried });
  }

  // --- replay ---

  private replay(r: OutboxRecord): void {
    switch (r.t) {
      case 'add': {
        if (this.pendingSet.has(r.entry.id)) return;
        const line = encodeRecord(r);
        this.pendingSet.add(r.entry, line, Buffer.byteLength(line));
        return;
      }
      case 'try':
      case 'fail':
        for (const id of r.ids) {
          const l = this.pendingSet.get(id);
          if (l) l.tryLogged = r.t === 'try';
        }
        return;
      case 'done':
        for (const id of r.ids) {
          const l = this.pendingSet.get(id);
          if (l) this.pendingSet.remove(l);
        }
        return;
      case 'redrive':
        this.undead(r.entry);
        return;
      case 'dead': {
        const l = this.pendingSet.get(r.id);
        const entry = r.entry ?? l?.toEntry();
        if (l) this.pendingSet.remove(l);
        if (entry) this.dead.add(entry, r.reason, r.at);
        return;
      }
    }
  }
}
