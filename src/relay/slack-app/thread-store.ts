// Where each incident's Slack thread is: for a destination and an Alertmanager group key, the
// parent message's `ts` and channel, the group's state and when it last changed. Kept in
// `slack-threads.json` in the data directory, rewritten atomically (util/atomic-file.ts) before a
// delivery is reported done, so a restart (even a SIGKILL) finds the thread and later notices of
// the incident reply in it instead of starting a second one.
//
// Bounded: records idle for longer than MAX_IDLE_MS are dropped (an incident silent for that long
// is over; Alertmanager re-sends a firing group every repeat_interval, which keeps it fresh), and
// at most MAX_RECORDS are kept, the least recently updated dropped first. A dropped record costs
// only a new thread for that group.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { removeStaleTempFiles, writeFileAtomic } from '../../util/atomic-file.js';

export const THREADS_FILE = 'slack-threads.json';
export const MAX_RECORDS = 10_000;
export const MAX_IDLE_MS = 30 * 86_400_000;

export interface ThreadRecord {
  readonly destination: string;
  readonly groupKey: string;
  /** Slack channel ID the parent was posted in. */
  readonly channel: string;
  /** The parent message's ts ("1712345678.000100"). */
  readonly ts: string;
  /** The group's state as the parent shows it. */
  readonly state: 'firing' | 'resolved';
  /** Unix ms of the incident's first firing notification (for "RESOLVED after 12m"). */
  readonly openedAt: number;
  /** Unix ms when the group resolved (state resolved). */
  readonly resolvedAt?: number;
  /** What the last notification said (status and each alert's fingerprint, status, start), to tell a reminder. */
  readonly fingerprint: string;
  /**
   * When the notice the parent shows was accepted (Unix ms). With replicas, a notice accepted
   * earlier can arrive later (its replica was down with it in its outbox): it goes in the thread
   * but does not turn the parent back to an older state. Absent in records of older versions.
   */
  readonly shownAcceptedAt?: number;
  /** Outbox entry ids already shown in this thread (the last few): a retried delivery is not posted twice. */
  readonly applied: readonly string[];
  /** Unix ms of the last change. */
  readonly updatedAt: number;
}

const MAX_APPLIED = 20;

export class ThreadStore {
  private readonly records = new Map<string, ThreadRecord>();
  // Serialises writes: each one writes the whole map as it is then.
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private readonly now: () => number,
    private readonly maxRecords: number,
  ) {}

  static async open(dataDir: string, opts: { logger?: Logger; now?: () => number; maxRecords?: number } = {}): Promise<ThreadStore> {
    const file = join(dataDir, THREADS_FILE);
    await removeStaleTempFiles(file);
    const store = new ThreadStore(file, opts.now ?? Date.now, opts.maxRecords ?? MAX_RECORDS);
    let parsed: { threads?: ThreadRecord[] } = {};
    try {
      parsed = JSON.parse(await readFile(file, 'utf8')) as { threads?: ThreadRecord[] };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // A damaged file costs new threads, not the relay: log and start empty.
      if (code !== 'ENOENT') opts.logger?.warn({ file, error: code ?? (err as Error).message }, 'cannot read the Slack thread map; incidents in progress get new threads');
    }
    for (const r of parsed.threads ?? []) {
      if (typeof r?.destination === 'string' && typeof r.groupKey === 'string' && typeof r.ts === 'string') store.records.set(key(r.destination, r.groupKey), r);
    }
    store.prune();
    return store;
  }

  get(destination: string, groupKey: string): ThreadRecord | undefined {
    return this.records.get(key(destination, groupKey));
  }

  /** Stores (or replaces) a record and resolves once it is on disk. */
  async put(record: Omit<ThreadRecord, 'updatedAt' | 'applied'> & { applied?: readonly string[] }, entryIds: readonly string[] = []): Promise<ThreadRecord> {
    const applied = [...(record.applied ?? []), ...entryIds].slice(-MAX_APPLIED);
    const r: ThreadRecord = { ...record, applied, updatedAt: this.now() };
    const k = key(r.destination, r.groupKey);
    this.records.delete(k); // re-inserted last: the map's order is least recently updated first
    this.records.set(k, r);
    this.prune();
    await this.flush();
    return r;
  }

  size(): number {
    return this.records.size;
  }

  /** Threads whose parent shows FIRING, by destination (for the threads_open gauge). */
  openByDestination(): Map<string, number> {
    const open = new Map<string, number>();
    for (const r of this.records.values()) if (r.state === 'firing') open.set(r.destination, (open.get(r.destination) ?? 0) + 1);
    return open;
  }

  private prune(): void {
    const oldest = this.now() - MAX_IDLE_MS;
    for (const [k, r] of this.records) if (r.updatedAt < oldest) this.records.delete(k);
    while (this.records.size > this.maxRecords) this.records.delete(this.records.keys().next().value!);
  }

  private flush(): Promise<void> {
    const run = this.writing.then(() =>
      writeFileAtomic(this.file, `${JSON.stringify({ version: 1, threads: [...this.records.values()] })}\n`),
    );
    this.writing = run.catch(() => undefined);
    return run;
  }
}

function key(destination: string, groupKey: string): string {
  return `${destination}\u0000${groupKey}`;
}
