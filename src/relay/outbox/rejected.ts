// What the log could not use on load: reported (one line per record, bounded) and kept. The
// rejected lines are copied verbatim into `outbox.rejected-<timestamp>` beside the log, synced,
// before the log is cut or rewritten without them, so nothing is destroyed that someone may want
// to read or repair by hand; if the copy cannot be written, the log is left as it is.
import { join } from 'node:path';
import type { Logger } from 'pino';
import { writeAll, type OutboxFs } from './fs.js';
import type { RejectedRange } from './log-format.js';

/** Log lines naming single records; the rest are counted in the summary line. */
export const MAX_REPORTED_RECORDS = 10;
export const REJECTED_PREFIX = 'outbox.rejected-';

export function rejectedFileName(now = new Date()): string {
  return REJECTED_PREFIX + now.toISOString().replace(/[:.]/g, '-');
}

/** Logs the rejected ranges of `file`; returns the number reported in single lines. */
export function reportRejected(logger: Logger, file: string, rejected: readonly RejectedRange[], level: 'warn' | 'error'): void {
  for (const r of rejected.slice(0, MAX_REPORTED_RECORDS)) {
    logger[level]({ file, offset: r.offset, bytes: r.length, why: r.why }, 'outbox: skipped a record it cannot read');
  }
  if (rejected.length > MAX_REPORTED_RECORDS) {
    logger[level]({ file, more: rejected.length - MAX_REPORTED_RECORDS }, 'outbox: skipped more records it cannot read');
  }
}

/** Writes the rejected ranges of `data` to a new file in `dir`, durably; returns its path. */
export async function keepRejected(fs: OutboxFs, dir: string, data: Buffer, rejected: readonly RejectedRange[]): Promise<string> {
  const copy = join(dir, rejectedFileName());
  const fh = await fs.open(copy, 'w');
  try {
    for (const r of rejected) {
      await writeAll(fh, data.subarray(r.offset, r.offset + r.length));
      // An unterminated last line gets a newline in the copy so each record is a line of its own.
      if (data[r.offset + r.length - 1] !== 10) await writeAll(fh, Buffer.from('\n'));
    }
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await fs.syncDir(dir);
  return copy;
}
