// Temporary directories that a test removes when it ends (tap's t.teardown), so a run
// leaves nothing behind in the system's temporary directory.
import { mkdirSync, mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** A new directory `<tmpdir>/<prefix>XXXXXX`, removed with its contents at teardown. */
export function tmpDir(t: Teardown, prefix: string, parent = tmpdir()): string {
  const dir = mkdtempSync(join(parent, prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// statfs f_type of file systems that keep files in memory: no block I/O is ever done there.
const TMPFS_MAGIC = 0x01021994;
const RAMFS_MAGIC = 0x858458f6;

/**
 * Like tmpDir, but on a file system backed by a block device, for tests that need reads
 * and writes to reach the disk (/proc/<pid>/io read_bytes and write_bytes count only those).
 * The system's temporary directory is tmpfs on many machines (Debian 13 by default); the
 * repository's git-ignored `tmp/` is used then, as the checkout itself is on a disk.
 */
export function diskTmpDir(t: Teardown, prefix: string): string {
  const { type } = statfsSync(tmpdir());
  if (type !== TMPFS_MAGIC && type !== RAMFS_MAGIC) return tmpDir(t, prefix);
  const local = fileURLToPath(new URL('../../tmp/', import.meta.url));
  mkdirSync(local, { recursive: true });
  return tmpDir(t, prefix, local);
}
