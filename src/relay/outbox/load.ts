// Reading the log when the outbox opens: the records to replay, and what to do with what could not
// be read (log-format.ts). Rejected lines are reported and copied beside the log (rejected.ts);
// only once the copy is safe is a torn or garbage tail cut off, and the lines rejected in the
// middle are left for the rewrite (compaction) that follows. Without a copy nothing is cut; an
// unterminated last line only gets its newline so the next record starts on a line of its own.
import type { Logger } from 'pino';
import { writeAll, type OutboxFs } from './fs.js';
import { parseLog } from './log-format.js';
import type { OutboxRecord } from './records.js';
import { keepRejected, reportRejected } from './rejected.js';

export interface LoadedLog {
  readonly records: OutboxRecord[];
  /** The log did not exist (it is created empty). */
  readonly created: boolean;
  /** Size of the log after loading. */
  readonly fileBytes: number;
  /** Lines rejected, wherever they were. */
  readonly rejected: number;
  /** Of those, lines followed by good records (still in the file). */
  readonly rejectedInMiddle: number;
  /** Bytes cut off the end. */
  readonly truncatedBytes: number;
  /** Rejected lines in the middle are safe in a copy: rewrite the log without them. */
  readonly rewrite: boolean;
}

export async function loadLog(fs: OutboxFs, dir: string, file: string, logger: Logger): Promise<LoadedLog> {
  let data: Buffer;
  let created = false;
  try {
    data = await fs.readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    data = Buffer.alloc(0);
    created = true;
  }
  const parsed = parseLog(data);
  const rejected = parsed.rejected;
  const inMiddle = rejected.filter((r) => r.offset < parsed.goodBytes).length;
  let copy: string | undefined;
  if (rejected.length > 0) {
    // A torn tail alone is what a crash mid-write leaves; anything else is damage.
    const level = inMiddle > 0 || parsed.records.length === 0 ? 'error' : 'warn';
    reportRejected(logger, file, rejected, level);
    try {
      copy = await keepRejected(fs, dir, data, rejected);
      logger[level](
        { file, rejected: rejected.length, copy, records: parsed.records.length },
        'outbox: some records could not be read; they are skipped, a copy is kept, and the relay starts without them',
      );
    } catch (err) {
      logger.error(
        { file, rejected: rejected.length, err: (err as Error).message },
        'outbox: cannot keep a copy of the records it cannot read; the log is left as it is (they are skipped again at the next start)',
      );
    }
  }

  let fileBytes = data.length;
  if (copy && parsed.goodBytes < data.length) {
    const fh = await fs.open(file, 'r+');
    try {
      await fh.truncate(parsed.goodBytes);
      await fh.datasync();
    } finally {
      await fh.close();
    }
    fileBytes = parsed.goodBytes;
  } else if (data.length > 0 && data[data.length - 1] !== 10) {
    const fh = await fs.open(file, 'a');
    try {
      await writeAll(fh, Buffer.from('\n'));
      await fh.datasync();
    } finally {
      await fh.close();
    }
    fileBytes = data.length + 1;
  }
  return {
    records: parsed.records,
    created,
    fileBytes,
    rejected: rejected.length,
    rejectedInMiddle: inMiddle,
    truncatedBytes: Math.max(0, data.length - fileBytes),
    rewrite: copy !== undefined && inMiddle > 0,
  };
}
