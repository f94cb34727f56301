// Room kept for a compaction on a full disk. A compaction writes the live data to a new file before
// the old log can be removed, so when the log itself filled the disk there would be no room to
// make room. The outbox keeps `outbox.reserve` (zeros, 1 MiB by default) beside the log; on ENOSPC
// it deletes it, compacts into the space it leaves (done entries need no record), and writes it
// again once there is room. Live data larger than the reserve still needs free space to compact.
import { join } from 'node:path';
import { writeAll, type OutboxFs } from './fs.js';

export const RESERVE_FILE = 'outbox.reserve';
export const DEFAULT_RESERVE_BYTES = 1024 * 1024;

export class Reserve {
  private held = false;

  constructor(
    private readonly fs: OutboxFs,
    private readonly dir: string,
    private readonly bytes: number,
  ) {}

  get isHeld(): boolean {
    return this.held;
  }

  /** Writes the reserve if it is not held; false when there is no room for it (tried again later). */
  async ensure(): Promise<boolean> {
    if (this.held || this.bytes <= 0) return this.held;
    const file = join(this.dir, RESERVE_FILE);
    try {
      // Left by the previous process: already allocated.
      if ((await this.fs.size(file)) === this.bytes) return (this.held = true);
      const fh = await this.fs.open(file, 'w');
      try {
        await writeAll(fh, Buffer.alloc(this.bytes));
        await fh.datasync();
      } finally {
        await fh.close();
      }
      this.held = true;
    } catch {
      await this.fs.remove(file).catch(() => undefined);
    }
    return this.held;
  }

  /** Frees the reserve's space; false when it was not held. */
  async release(): Promise<boolean> {
    if (!this.held) return false;
    await this.fs.remove(join(this.dir, RESERVE_FILE));
    this.held = false;
    return true;
  }
}
