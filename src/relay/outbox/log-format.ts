// Reading the log back: which records it holds, and where a crash left a torn tail.
//
// A crash mid-write leaves a torn last line (no newline, or garbage after the last good record);
// it was never acknowledged (acknowledgement waits for the sync of the whole batch, newline
// included), so it falls outside goodBytes and is cut on open. A bad line followed by good records
// (disk corruption) is skipped, never the records after it.
import { parseRecord, type OutboxRecord } from './records.js';

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
