// Compaction rewrites the log with only what is live: pending entries (with their open try marks)
// and kept dead letters; done records and what they cancel are garbage. The new log is written to
// `<log>.compact`, synced, renamed over the log, and the directory synced, so a crash leaves either
// the old log or the new one whole. A leftover .compact file (crash during compaction) is deleted
// on open, the old log being authoritative.
import { writeAll, type OutboxFs } from './fs.js';

export const COMPACT_SUFFIX = '.compact';
const WRITE_CHUNK_BYTES = 1024 * 1024;

/** When to compact: the file is at least `minBytes` and more than half of it is garbage. */
export function worthCompacting(fileBytes: number, liveBytes: number, minBytes: number): boolean {
  return fileBytes >= minBytes && fileBytes > 2 * liveBytes;
}

/**
 * Writes `lines` (whole records, in replay order) as the new content of `file`; returns its size.
 * On failure the old log is untouched and the temporary file removed.
 */
export async function rewriteLog(fs: OutboxFs, dir: string, file: string, lines: Iterable<string>): Promise<number> {
  const tmp = file + COMPACT_SUFFIX;
  let written = 0;
  try {
    const fh = await fs.open(tmp, 'w');
    try {
      let chunk = '';
      for (const line of lines) {
        chunk += line;
        if (chunk.length >= WRITE_CHUNK_BYTES) {
          const buf = Buffer.from(chunk);
          chunk = '';
          await writeAll(fh, buf);
          written += buf.length;
        }
      }
      const buf = Buffer.from(chunk);
      await writeAll(fh, buf);
      written += buf.length;
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.remove(tmp).catch(() => undefined);
    throw err;
  }
  await fs.syncDir(dir);
  return written;
}
