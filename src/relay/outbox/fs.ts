// The file-system calls the outbox makes, behind one small interface so tests can see (and
// break) what reaches the disk: which writes were followed by a datasync before an append was
// acknowledged, what a power loss would keep, what happens when the disk is full. Production
// uses node:fs/promises as it is.
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';

/** An open file (node's FileHandle satisfies it). */
export interface OutboxFile {
  write(buffer: Buffer, offset: number, length: number): Promise<{ bytesWritten: number }>;
  /** fdatasync(2): the written data (and the size) is on the disk when this resolves. */
  datasync(): Promise<void>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

export interface OutboxFs {
  mkdir(dir: string): Promise<void>;
  /** Rejects with code ENOENT when the file does not exist. */
  readFile(file: string): Promise<Buffer>;
  /** 'a' appends, 'w' creates or empties, 'r+' updates in place. */
  open(file: string, flags: 'a' | 'w' | 'r+'): Promise<OutboxFile>;
  rename(from: string, to: string): Promise<void>;
  /** The size of a file in bytes, undefined when it does not exist. */
  size(file: string): Promise<number | undefined>;
  /** Removes a file; no error when it does not exist. */
  remove(file: string): Promise<void>;
  /** fsync(2) on the directory: makes a create or rename in it durable. */
  syncDir(dir: string): Promise<void>;
}

export const nodeFs: OutboxFs = {
  async mkdir(dir) {
    await mkdir(dir, { recursive: true });
  },
  readFile: (file) => readFile(file),
  open: (file, flags) => open(file, flags, 0o600),
  rename: (from, to) => rename(from, to),
  async size(file) {
    try {
      return (await stat(file)).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  },
  remove: (file) => rm(file, { force: true }),
  async syncDir(dir) {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  },
};

/** Writes all of `buf` (write(2) may write less than asked). */
export async function writeAll(fh: OutboxFile, buf: Buffer): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off);
    off += bytesWritten;
  }
}
