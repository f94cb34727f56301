// A file-system layer for the outbox (src/relay/outbox/fs.ts) on real files in one directory, with
// a capacity: a write that does not fit is cut short and the next one fails with ENOSPC, as on a
// full disk. What counts as used is the size of the directory's files plus `otherUsage` (what
// other programs filled the disk with); both can change during a test.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { nodeFs, type OutboxFile, type OutboxFs } from '../../src/relay/outbox/index.js';

export function enospc(syscall: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOSPC: no space left on device, ${syscall}`), { code: 'ENOSPC', errno: -28, syscall });
}

export class FullDiskFs implements OutboxFs {
  capacity = Infinity;
  otherUsage = 0;
  /** Every write fails (another program takes any space that becomes free). */
  full = false;
  /** Writes refused with ENOSPC. */
  refusals = 0;

  constructor(
    private readonly dir: string,
    private readonly inner: OutboxFs = nodeFs,
  ) {}

  used(): number {
    let bytes = this.otherUsage;
    for (const name of readdirSync(this.dir)) {
      try {
        bytes += statSync(join(this.dir, name)).size;
      } catch {
        // removed meanwhile
      }
    }
    return bytes;
  }

  /** Fills the disk: from now on nothing fits, whatever the outbox frees. */
  fill(): void {
    this.full = true;
  }

  /** Space comes back. */
  free(): void {
    this.full = false;
    this.capacity = Infinity;
  }

  mkdir(dir: string): Promise<void> {
    return this.inner.mkdir(dir);
  }

  readFile(file: string): Promise<Buffer> {
    return this.inner.readFile(file);
  }

  async open(file: string, flags: 'a' | 'w' | 'r+'): Promise<OutboxFile> {
    const fh = await this.inner.open(file, flags);
    return {
      write: async (buffer, offset, length) => {
        const room = this.full ? 0 : this.capacity - this.used();
        if (room <= 0 && length > 0) {
          this.refusals++;
          throw enospc('write');
        }
        return fh.write(buffer, offset, Math.min(length, room));
      },
      datasync: () => fh.datasync(),
      truncate: (length) => fh.truncate(length),
      close: () => fh.close(),
    };
  }

  rename(from: string, to: string): Promise<void> {
    return this.inner.rename(from, to);
  }

  size(file: string): Promise<number | undefined> {
    return this.inner.size(file);
  }

  remove(file: string): Promise<void> {
    return this.inner.remove(file);
  }

  syncDir(dir: string): Promise<void> {
    return this.inner.syncDir(dir);
  }
}
