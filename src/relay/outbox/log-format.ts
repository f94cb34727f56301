// Reading the log back: which records it holds, and which byte ranges it cannot use.
//
// Every line is checked (records.ts). A line that is not a record is rejected with its byte offset
// and the reason; the records around it are used. Rejected lines after the last good record are the
// tail: usually a torn write from a crash (never acknowledged: acknowledgement waits for the sync of
// the whole batch, newline included), or garbage appended by something else; goodBytes ends before
// it. What to do with rejected ranges (report, keep a copy, rewrite the log) is up to the caller.
import { checkRecord, type OutboxRecord } from './records.js';

export interface RejectedRange {
  /** Byte offset in the log. */
  readonly offset: number;
  /** Bytes, newline included when there was one. */
  readonly length: number;
  readonly why: string;
}

export interface ParsedLog {
  readonly records: OutboxRecord[];
  /** Length of the prefix up to and including the last good record: what follows is the tail. */
  readonly goodBytes: number;
  /** Lines that are not records, in file order (before and after goodBytes). */
  readonly rejected: RejectedRange[];
}

export function parseLog(data: Buffer): ParsedLog {
  const records: OutboxRecord[] = [];
  const rejected: RejectedRange[] = [];
  let goodBytes = 0;
  let start = 0;
  let tailHasRejects = false;
  while (start < data.length) {
    const nl = data.indexOf(10, start);
    if (nl === -1) {
      rejected.push({ offset: start, length: data.length - start, why: 'unterminated last line (a torn write)' });
      break;
    }
    const end = nl + 1;
    const text = data.toString('utf8', start, nl);
    if (text.trim() === '') {
      if (!tailHasRejects) goodBytes = end;
    } else {
      const checked = checkRecord(text);
      if ('record' in checked) {
        records.push(checked.record);
        goodBytes = end;
        tailHasRejects = false;
      } else {
        rejected.push({ offset: start, length: end - start, why: checked.why });
        tailHasRejects = true;
      }
    }
    start = end;
  }
  return { records, goodBytes, rejected };
}
