// Writes a file so that a crash leaves either the old or the new content, never a mix:
// write a temp file, fsync it, rename over the target, fsync the directory. The temp file is
// a full copy of the content (for channels.json: webhook URLs), so it is removed whenever the
// write fails, and removeStaleTempFiles() clears what a crash left behind.
import { open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

const tempPrefix = (file: string) => `.${basename(file)}.`;

export async function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const tmp = join(dirname(file), `${tempPrefix(file)}${process.pid}.${Date.now()}.tmp`);
  try {
    const handle = await open(tmp, 'w', mode);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  const dir = await open(dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/**
 * Removes the temp files writeFileAtomic() left for `file` when a process died mid-write.
 * Call before the first write, while no other writer of `file` runs. Returns their names.
 */
export async function removeStaleTempFiles(file: string): Promise<string[]> {
  const prefix = tempPrefix(file);
  let names: string[];
  try {
    names = await readdir(dirname(file));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const stale = names.filter((n) => n.startsWith(prefix) && n.endsWith('.tmp'));
  for (const n of stale) await unlink(join(dirname(file), n)).catch(() => undefined);
  return stale;
}
