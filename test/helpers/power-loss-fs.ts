// A file-system layer for the outbox (src/relay/outbox/fs.ts) that works on real files and also
// keeps what a power loss would leave: a file's data counts as on the disk only from its last
// datasync, and a name created or renamed points at its file on the disk only from the next fsync
// of its directory (until then the name keeps pointing at what it pointed at before, if anything).
// Files are told apart by inode, as the disk does. durableContent() and powerLoss() give that
// state, so a test can check that what the outbox acknowledged had reached the disk, whatever the
// outbox's own counters say.
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { nodeFs, type OutboxFile, type OutboxFs } from '../../src/relay/outbox/index.js';

type DirOp = { kind: 'create'; path: string; ino: number } | { kind: 'rename'; from: string; to: string; ino: number };

export class PowerLossFs implements OutboxFs {
  /** Directory entries on the disk: name -> inode. */
  private readonly names = new Map<string, number>();
  /** Inode -> its content as of its last datasync. */
  private readonly synced = new Map<number, Buffer>();
  /** Inode -> where it is now (to read it at datasync time). */
  private readonly paths = new Map<number, string>();
  /** Creates and renames not yet made durable by a directory fsync, in order. */
  private pendingDirOps: DirOp[] = [];
  /** Every datasync on a file, in order, with the file's name and size at the time. */
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
    const ino = statSync(file).ino;
    this.paths.set(ino, file);
    if (this.names.has(file) || this.pendingDirOps.some((op) => op.ino === ino)) return;
    this.names.set(file, ino);
    this.synced.set(ino, data);
  }

  async open(file: string, flags: 'a' | 'w' | 'r+'): Promise<OutboxFile> {
    let existed = true;
    try {
      this.adopt(file, readFileSync(file));
    } catch {
      existed = false;
    }
    const fh = await this.inner.open(file, flags);
    const ino = statSync(file).ino;
    this.paths.set(ino, file);
    if (!existed) this.pendingDirOps.push({ kind: 'create', path: file, ino });
    return {
      write: (buffer, offset, length) => fh.write(buffer, offset, length),
      truncate: (length) => fh.truncate(length),
      close: () => fh.close(),
      datasync: async () => {
        await fh.datasync();
        const path = this.paths.get(ino)!;
        const data = readFileSync(path);
        this.synced.set(ino, data);
        this.datasyncs.push({ file: path, bytes: data.length });
      },
    };
  }

  async rename(from: string, to: string): Promise<void> {
    const ino = statSync(from).ino;
    await this.inner.rename(from, to);
    this.paths.set(ino, to);
    this.pendingDirOps.push({ kind: 'rename', from, to, ino });
  }

  size(file: string): Promise<number | undefined> {
    return this.inner.size(file);
  }

  remove(file: string): Promise<void> {
    // Removal only ever loses data, never makes unsynced data durable: modelled as immediate.
    this.names.delete(file);
    return this.inner.remove(file);
  }

  async syncDir(dir: string): Promise<void> {
    await this.inner.syncDir(dir);
    const rest: DirOp[] = [];
    for (const op of this.pendingDirOps) {
      if (dirname(op.kind === 'create' ? op.path : op.to) !== dir) {
        rest.push(op);
        continue;
      }
      if (op.kind === 'create') this.names.set(op.path, op.ino);
      else {
        if (this.names.get(op.from) === op.ino) this.names.delete(op.from);
        this.names.set(op.to, op.ino);
      }
    }
    this.pendingDirOps = rest;
  }

  /** What `file` would hold after a power loss now (undefined: the name would not exist). */
  durableContent(file: string): Buffer | undefined {
    const ino = this.names.get(file);
    if (ino === undefined) return undefined;
    return this.synced.get(ino) ?? Buffer.alloc(0);
  }

  /** Writes the files of `dir` as a power loss now would leave them into `target`. */
  powerLoss(dir: string, target: string): void {
    mkdirSync(target, { recursive: true });
    for (const name of this.names.keys()) {
      if (dirname(name) === dir) writeFileSync(join(target, basename(name)), this.durableContent(name)!);
    }
  }
}
