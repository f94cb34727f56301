// A file-system layer for the outbox (src/relay/outbox/fs.ts) that works on real files and also
// keeps what a power loss would leave: a file's data counts as on the disk only from its last
// datasync, and a file created or renamed exists on the disk only from the next fsync of its
// directory. durableImage() and powerLoss() give that state, so a test can check that what the
// outbox acknowledged had reached the disk, whatever the outbox's own counters say.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { nodeFs, type OutboxFile, type OutboxFs } from '../../src/relay/outbox/index.js';

export class PowerLossFs implements OutboxFs {
  /** Path -> content as of its last datasync (only for files whose directory entry is durable or pending). */
  private readonly synced = new Map<string, Buffer>();
  /** Paths whose directory entry is on the disk. */
  private readonly entries = new Set<string>();
  /** Creates and renames not yet made durable by a directory fsync, in order. */
  private pendingDirOps: ({ kind: 'create'; path: string } | { kind: 'rename'; from: string; to: string })[] = [];
  /** Every datasync on a file, in order, with the file and its size at the time. */
  readonly datasyncs: { file: string; bytes: number }[] = [];

  constructor(private readonly inner: OutboxFs = nodeFs) {}

  mkdir(dir: string): Promise<void> {
    return this.inner.mkdir(dir);
  }

  async readFile(file: string): Promise<Buffer> {
    const data = await this.inner.readFile(file);
    this.adopt(file, data);
    return data;
  }

  /** A file that existed before this layer saw it is on the disk as it is. */
  private adopt(file: string, data: Buffer): void {
    if (this.entries.has(file) || this.pendingDirOps.some((op) => (op.kind === 'create' ? op.path : op.to) === file)) return;
    this.entries.add(file);
    this.synced.set(file, data);
  }

  async open(file: string, flags: 'a' | 'w' | 'r+'): Promise<OutboxFile> {
    let existed = true;
    try {
      this.adopt(file, readFileSync(file));
    } catch {
      existed = false;
    }
    const fh = await this.inner.open(file, flags);
    if (!existed) this.pendingDirOps.push({ kind: 'create', path: file });
    return {
      write: (buffer, offset, length) => fh.write(buffer, offset, length),
      truncate: (length) => fh.truncate(length),
      close: () => fh.close(),
      datasync: async () => {
        await fh.datasync();
        const data = readFileSync(file);
        this.synced.set(file, data);
        this.datasyncs.push({ file, bytes: data.length });
      },
    };
  }

  async rename(from: string, to: string): Promise<void> {
    await this.inner.rename(from, to);
    this.pendingDirOps.push({ kind: 'rename', from, to });
  }

  remove(file: string): Promise<void> {
    // Removal only ever loses data, never makes unsynced data durable: modelled as immediate.
    this.entries.delete(file);
    this.synced.delete(file);
    return this.inner.remove(file);
  }

  async syncDir(dir: string): Promise<void> {
    await this.inner.syncDir(dir);
    const rest: typeof this.pendingDirOps = [];
    for (const op of this.pendingDirOps) {
      const path = op.kind === 'create' ? op.path : op.to;
      if (dirname(path) !== dir) {
        rest.push(op);
        continue;
      }
      if (op.kind === 'create') this.entries.add(op.path);
      else {
        this.entries.delete(op.from);
        this.entries.add(op.to);
        // The name now points at the renamed file: what of it was never synced is not there.
        const data = this.synced.get(op.from) ?? Buffer.alloc(0);
        this.synced.delete(op.from);
        this.synced.set(op.to, data);
      }
    }
    this.pendingDirOps = rest;
  }

  /** What `file` would hold after a power loss now (undefined: the file would not exist). */
  durableContent(file: string): Buffer | undefined {
    if (!this.entries.has(file)) return undefined;
    return this.synced.get(file) ?? Buffer.alloc(0);
  }

  /** Writes the files of `dir` as a power loss now would leave them into `target`. */
  powerLoss(dir: string, target: string): void {
    mkdirSync(target, { recursive: true });
    for (const path of this.entries) {
      if (dirname(path) === dir) writeFileSync(join(target, basename(path)), this.durableContent(path)!);
    }
  }
}
