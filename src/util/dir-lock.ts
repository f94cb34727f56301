// An exclusive lock on a directory, so that two processes never share one data directory (two
// relays on one outbox would both deliver, compact and truncate the same log). The lock is a file
// holding the owner's PID, created complete and exclusively (written aside, then hard-linked into
// place, which fails when the lock exists: nobody ever reads a lock without its PID). It is stale, and taken over, when that process
// is gone: after a crash or kill -9 nothing needs cleaning by hand. A PID that was reused by an
// unrelated program after a reboot does not count as the owner (its command line is checked).
import { readFileSync } from 'node:fs';
import { link, open, readFile, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export const LOCK_FILE = 'tocsin.lock';

export class DirectoryLockedError extends Error {
  override readonly name = 'DirectoryLockedError';
  constructor(
    readonly directory: string,
    readonly holderPid: number,
  ) {
    super(
      holderPid === process.pid
        ? `data directory ${directory} is already in use by this process`
        : `data directory ${directory} is in use by another process (PID ${holderPid}); stop it or give this one another data directory`,
    );
  }
}

export interface DirectoryLock {
  readonly file: string;
  /** Removes the lock file (if it is still ours). */
  release(): Promise<void>;
}

/** Directories this process holds: a second lock from the same process is refused too. */
const held = new Set<string>();

/** True when `pid` is a running process that may be a Tocsin (node) process. */
function ownerAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /node|tocsin/i.test(cmdline);
  } catch {
    return true; // cannot tell (no /proc): trust the PID
  }
}

/** Takes the lock on `directory` (which must exist), or throws DirectoryLockedError naming the holder. */
export async function lockDirectory(directory: string): Promise<DirectoryLock> {
  const dir = resolve(directory);
  if (held.has(dir)) throw new DirectoryLockedError(dir, process.pid);
  held.add(dir); // reserved now, so a concurrent call in this process is refused above
  try {
    return await takeLock(dir);
  } catch (err) {
    held.delete(dir);
    throw err;
  }
}

async function takeLock(dir: string): Promise<DirectoryLock> {
  const file = join(dir, LOCK_FILE);
  // Two rounds: the second follows the removal of a stale lock.
  for (let round = 0; round < 2; round++) {
    if (await createExclusive(file, `${process.pid}\n`)) {
      let released = false;
      return {
        file,
        async release() {
          // Once: a later holder in this same process (same PID in the file) is not ours to remove.
          if (released) return;
          released = true;
          const owner = await readFile(file, 'utf8').catch(() => '');
          if (Number.parseInt(owner, 10) === process.pid) await unlink(file).catch(() => undefined);
          held.delete(dir);
        },
      };
    }
    const pid = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
    // Our own PID in a lock we do not hold: left by an earlier process that had the same PID
    // (a container's PID 1 restarted). A lock without a PID was not written by this code.
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && ownerAlive(pid)) throw new DirectoryLockedError(dir, pid);
    await unlink(file).catch(() => undefined);
  }
  throw new Error(`cannot lock data directory ${dir}: ${file} keeps reappearing`);
}

/** Creates `file` with `content` unless it exists (then false); never visible half-written. */
async function createExclusive(file: string, content: string): Promise<boolean> {
  const aside = `${file}.${process.pid}.tmp`;
  const handle = await open(aside, 'w', 0o644);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(aside, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(aside).catch(() => undefined);
  }
}
