// When the log cannot be written (a full disk, most often): the outbox keeps working as far as it
// safely can, and says so once per change of state instead of once per write.
//   - Appends are refused (OutboxWriteError: the receiver answers 503, Alertmanager retries).
//   - Marks (done, dead, try, fail) are kept in memory and written again every retryMs until they
//     are on the disk; their callers are not failed (delivery goes on). A compaction writes what
//     memory holds, so it also makes every mark issued before it durable.
//   - On close, marks still unwritten are reported with how many delivered notifications a restart
//     will send again (the only way a lost done mark can cause a re-send).
import type { Logger } from 'pino';
import { OutboxClosedError } from './errors.js';

interface Parked {
  /** Issue order; a compaction started after it has captured it. */
  readonly seq: number;
  readonly text: string;
  /** Entries it marks done (each a possible re-send if the mark is lost). */
  readonly doneIds: number;
}

/** Errors that mean "no room": more space (a compaction) may help. */
export function isDiskFull(err: unknown): boolean {
  const cause = (err as { cause?: NodeJS.ErrnoException } | undefined)?.cause;
  const code = cause?.code ?? (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

function describe(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause ?? err;
  return (cause as NodeJS.ErrnoException).code ?? (cause as Error).message ?? String(cause);
}

export class WriteFailures {
  private failing: string | undefined;
  private parked: Parked[] = [];
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly logger: Logger,
    private readonly retryMs: number,
    /** Writes text to the log (group commit). */
    private readonly write: (text: string) => Promise<void>,
  ) {}

  /** A number for a mark being issued now (see capturedUpTo). */
  issue(): number {
    return ++this.seq;
  }

  /** The seq of the last mark issued: a compaction starting now captures it and all before. */
  get lastIssued(): number {
    return this.seq;
  }

  get isFailing(): boolean {
    return this.failing !== undefined;
  }

  get parkedMarks(): number {
    return this.parked.length;
  }

  failed(err: unknown): void {
    if (this.failing !== undefined) return;
    this.failing = describe(err);
    this.logger.error(
      { error: this.failing, diskFull: isDiskFull(err) },
      'outbox: cannot write the log; new notifications are answered 503 and delivery marks are kept in memory until it can',
    );
  }

  succeeded(): void {
    if (this.failing === undefined) return;
    this.logger.info({ after: this.failing, marksStillUnwritten: this.parked.length }, 'outbox: the log can be written again');
    this.failing = undefined;
  }

  /** A mark whose write failed: kept and retried. */
  park(seq: number, text: string, doneIds: number): void {
    this.parked.push({ seq, text, doneIds });
    this.schedule();
  }

  /** A compaction that started after mark `seq` was issued has written its effect. */
  capturedUpTo(seq: number): void {
    this.parked = this.parked.filter((m) => m.seq > seq);
  }

  /** Writes the kept marks; true when none is left. */
  async flush(): Promise<boolean> {
    if (this.parked.length === 0) return true;
    const batch = this.parked;
    this.parked = [];
    try {
      await this.write(batch.map((m) => m.text).join(''));
      this.succeeded();
      return this.parked.length === 0;
    } catch (err) {
      this.parked = batch.concat(this.parked);
      if (!(err instanceof OutboxClosedError)) {
        this.failed(err);
        this.schedule();
      }
      return false;
    }
  }

  /** Stops retrying; reports what is still unwritten. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.parked.length === 0) return;
    const resend = this.parked.reduce((n, m) => n + m.doneIds, 0);
    this.logger.error(
      { unwrittenMarks: this.parked.length, mayBeSentAgain: resend },
      'outbox: closing with delivery marks that could not be written; after a restart these delivered notifications will be sent again (counted in tocsin_relay_redeliveries_total where their attempt was recorded)',
    );
  }

  private schedule(): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.retryMs);
    this.timer.unref();
  }
}
