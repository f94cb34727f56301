// The status page's history across restarts: `status-history.bin` in exporter.probes.data_dir,
// next to targets.json. One JSON line (the targets' names, when their counting began, their
// heads and last failures) and then each target's buckets, TARGET_BYTES apiece, in the same
// order: about 1.1 KB a target, 11 MB for 10,000. Written atomically (util/atomic-file.ts: a
// crash leaves the old file or the new one) every SAVE_INTERVAL_MS and at shutdown, so a crash
// loses at most that much. A file that cannot be read is logged and set aside: the history
// starts empty, as it would have without the file, and the exporter starts regardless.
import { mkdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { removeStaleTempFiles, writeFileAtomic } from '../../util/atomic-file.js';
import { StatusHistory, TARGET_BYTES, type LastFailure } from './history.js';

export const HISTORY_FILE = 'status-history.bin';
export const SAVE_INTERVAL_MS = 5 * 60 * 1000;
const VERSION = 1;

interface Header {
  readonly version: number;
  /** Bytes of one target's buckets, and the byte order they were written in. */
  readonly targetBytes: number;
  readonly littleEndian: boolean;
  readonly targets: { name: string; since: number; hourHead: number; minuteHead: number; lastFailure?: LastFailure }[];
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Writes the history; nothing at all while it is empty, so an exporter without probe targets
 * never creates the data directory (a file left from before is harmless: targets no longer
 * declared are dropped when it is read back).
 */
export async function saveHistory(history: StatusHistory, dir: string): Promise<void> {
  if (history.size === 0) return;
  const targets: Header['targets'] = [];
  const blobs: Uint8Array[] = [];
  for (const [name, h] of history.entries()) {
    const { bytes, ...rest } = h.snapshot();
    targets.push({ name, ...rest });
    blobs.push(bytes);
  }
  const header: Header = { version: VERSION, targetBytes: TARGET_BYTES, littleEndian: LITTLE_ENDIAN, targets };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(join(dir, HISTORY_FILE), Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), ...blobs]));
}

/** The history saved in `dir`, or an empty one (no file yet, or a file that cannot be used: logged). */
export async function loadHistory(dir: string, logger: Logger): Promise<StatusHistory> {
  const file = join(dir, HISTORY_FILE);
  const history = new StatusHistory();
  await removeStaleTempFiles(file).catch(() => undefined);
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') logger.warn({ file, error: (err as NodeJS.ErrnoException).code ?? (err as Error).message }, 'cannot read the status page history: it starts empty');
    return history;
  }
  const problem = restore(history, data);
  if (problem) {
    // Kept for a look, out of the way of the next save.
    const aside = `${file}.unreadable`;
    await rename(file, aside).catch(() => undefined);
    logger.warn({ file, movedTo: aside, problem }, 'the status page history cannot be used: it starts empty');
    return new StatusHistory();
  }
  return history;
}

/** Fills `history` from a saved file; what is wrong with the file, if anything. */
function restore(history: StatusHistory, data: Buffer): string | undefined {
  const newline = data.indexOf(0x0a);
  if (newline < 0) return 'no header line';
  let header: Header;
  try {
    header = JSON.parse(data.subarray(0, newline).toString('utf8')) as Header;
  } catch (err) {
    return `header: ${(err as Error).message}`;
  }
  if (header.version !== VERSION || header.targetBytes !== TARGET_BYTES || header.littleEndian !== LITTLE_ENDIAN) return `written by another version or machine (version ${header.version})`;
  if (!Array.isArray(header.targets)) return 'header: no target list';
  const body = data.subarray(newline + 1);
  if (body.length !== header.targets.length * TARGET_BYTES) return `${body.length} bytes of buckets for ${header.targets.length} targets: cut short or padded`;
  header.targets.forEach((t, i) => {
    // restore() copies the bytes into the target's slot: the file's buffer is not kept.
    const bytes = body.subarray(i * TARGET_BYTES, (i + 1) * TARGET_BYTES);
    history.restore(t.name, { since: t.since, hourHead: t.hourHead, minuteHead: t.minuteHead, lastFailure: t.lastFailure, bytes });
  });
  return undefined;
}
