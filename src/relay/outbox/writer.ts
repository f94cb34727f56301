// Group commit: records are written in batches, each batch followed by one fdatasync. Writes that
// arrive while a batch is being written and synced wait and go together into the next batch, so
// one sync serves many callers and throughput grows with concurrency; a lone caller pays one sync
// and no added delay. write() resolves after its batch is synced, never before.
//
// A failed write may leave part of a batch in the file: it is cut off (truncate to the size before
// the batch) so the next batch starts on a clean line, and the onWriteError hook may make room (a
// compaction when the disk is full) and ask for the batch to be tried once more. If even the cut
// fails the log is unusable and every further write is refused. The writer does not log failed
// writes: its callers see them (OutboxWriteError, with the file system's error as cause) and the
// outbox logs changes of state, not every write.
import type { Logger } from 'pino';
import { OutboxClosedError, OutboxWriteError } from './errors.js';
import { writeAll, type OutboxFile } from './fs.js';

export interface WriterHooks {
  /** Before a batch of `bytes` is written; may compact (and swap the file with replaceFile()). */
  beforeBatch(bytes: number): Promise<void>;
  /** After a batch was synced and its writers resolved; may compact. */
  afterBatch(): Promise<void>;
  /** A batch failed (and was cut off again); true: try it once more (e.g. after freeing space). */
  onWriteError(err: Error): Promise<boolean>;
}

interface Op {
  readonly text: string;
  readonly onDurable: (() => void) | undefined;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

export interface WriterStats {
  /** fdatasync calls on the log (compactions not included). */
  readonly syncs: number;
  /** Batches written; each one sync. */
  readonly batches: number;
  /** write() calls served by those batches. */
  readonly records: number;
}

export class LogWriter {
  private queue: Op[] = [];
  private flushing: Promise<void> | undefined;
  private broken: Error | undefined;
  private closed = false;
  private counters = { syncs: 0, batches: 0, records: 0 };

  constructor(
    private handle: OutboxFile,
    /** Size of the log; only whole, synced batches are counted. */
    private bytes: number,
    private readonly logger: Logger,
    private readonly hooks: WriterHooks,
  ) {}

  get fileBytes(): number {
    return this.bytes;
  }

  stats(): WriterStats {
    return { ...this.counters };
  }

  /**
   * Appends `text` (whole lines); resolves once it is synced to disk. `onDurable` runs right after
   * the sync, before any hook (so a compaction that follows sees its effect).
   */
  write(text: string, onDurable?: () => void): Promise<void> {
    if (this.closed) return Promise.reject(new OutboxClosedError('the outbox is closed'));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ text, onDurable, resolve, reject });
      if (!this.flushing) {
        // Started on the next microtask so writes made in the same tick share the first batch;
        // later ones gather while that batch is being synced.
        this.flushing = Promise.resolve().then(() => this.flushLoop());
      }
    });
  }

  /** After a compaction: continue on `handle`, a file of `bytes`. Only from a hook (or when idle). */
  async replaceFile(handle: OutboxFile, bytes: number): Promise<void> {
    const old = this.handle;
    this.handle = handle;
    this.bytes = bytes;
    await old.close().catch(() => undefined);
  }

  /** Waits for queued writes, then closes the file. Further writes reject with OutboxClosedError. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing) await this.flushing;
    await this.handle.close();
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        await this.writeBatch(batch);
        await this.hooks.afterBatch();
      }
    } finally {
      // In the same microtask as the last empty-queue check: a write queued after this starts
      // a new loop, one queued before it was taken by the loop.
      this.flushing = undefined;
    }
  }

  private async writeBatch(batch: Op[]): Promise<void> {
    if (this.broken) {
      for (const op of batch) op.reject(new OutboxWriteError(`the outbox log is unusable: ${this.broken.message}`));
      return;
    }
    const buf = Buffer.from(batch.map((op) => op.text).join(''));
    await this.hooks.beforeBatch(buf.length);
    for (let attempt = 1; ; attempt++) {
      try {
        await writeAll(this.handle, buf);
        await this.handle.datasync();
        this.counters.syncs++;
        break;
      } catch (err) {
        const cut = await this.cutPartialBatch();
        if (cut && attempt === 1 && (await this.hooks.onWriteError(err as Error))) continue;
        const e = new OutboxWriteError(`writing the outbox failed: ${(err as Error).message}`, { cause: err });
        for (const op of batch) op.reject(e);
        return;
      }
    }
    this.bytes += buf.length;
    this.counters.batches++;
    this.counters.records += batch.length;
    for (const op of batch) {
      op.onDurable?.();
      op.resolve();
    }
  }

  /** False when the log could not be restored (it is then unusable). */
  private async cutPartialBatch(): Promise<boolean> {
    try {
      await this.handle.truncate(this.bytes);
      await this.handle.datasync();
      return true;
    } catch (err) {
      this.broken = err as Error;
      this.logger.error({ err: (err as Error).message }, 'outbox: cannot restore the log after a failed write; refusing further writes');
      return false;
    }
  }
}
