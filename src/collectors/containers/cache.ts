// The container list, kept current without asking the engine on the scrape path.
//
// One connection at a time to the engine: the events stream (container events only, see
// WATCHED_EVENTS) is opened first, then the full list is read and every container inspected,
// so nothing that happens during the sync is missed. After that:
// - an event inspects its container again (a burst of events for one container costs at
//   most two inspects: one running, one queued), `destroy` (Podman: `remove`) removes it;
// - every resync interval the list is read again and only new containers, containers whose
//   state differs and ones whose last inspect failed are inspected, which heals anything an
//   event stream can lose; a failed resync drops the connection so it is made anew;
// - when the stream closes (engine restarted or stopped) the connection is made again at
//   once, then with exponential backoff while the engine does not answer, and each new
//   connection starts with a full sync. A scrape that finds the engine answering again
//   cuts the backoff short (kick()).
// Inspects run at most INSPECT_CONCURRENCY at a time.
//
// The engine's availability is a separate thing from the connection: markDown() records why
// the engine did not answer (the first reason is kept until it answers again, so the scrape
// error, and the one log line the scrape engine writes per distinct error, stays the same
// while it is down), markUp() clears it.
import type { Logger } from 'pino';
import { describeEngineError, EngineError, REMOVAL_EVENTS, type EngineClient, type EngineEvent } from './docker-client.js';
import { normaliseState, recordFromInspect, type ContainerRecord } from './record.js';
import { withDeadline } from '../../util/deadline.js';

export const DEFAULT_RESYNC_INTERVAL_MS = 60_000;
export const INSPECT_CONCURRENCY = 8;
export const DEFAULT_BACKOFF_INITIAL_MS = 500;
export const DEFAULT_BACKOFF_MAX_MS = 30_000;
const MIN_HEALTHY_CONNECTION_MS = 5_000;

export interface CacheOptions {
  readonly resyncIntervalMs?: number;
  readonly backoffInitialMs?: number;
  readonly backoffMaxMs?: number;
}

/** One connection's work: aborted together when the connection ends. */
interface Connection {
  readonly signal: AbortSignal;
  /** Inspects in flight by container id; `again` queues one more after the current. */
  readonly inspecting: Map<string, { again: boolean; done: Promise<void> }>;
}

/** When the engine says the event happened (Docker: timeNano; Podman too), else now. */
function eventSeconds(event: EngineEvent): number {
  if (typeof event.timeNano === 'number' && event.timeNano > 0) return event.timeNano / 1e9;
  if (typeof event.time === 'number' && event.time > 0) return event.time;
  return Date.now() / 1000;
}

class Limiter {
  private active = 0;
  private readonly queue: (() => void)[] = [];
  constructor(private readonly max: number) {}

  async run<T>(f: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.active++;
    try {
      return await f();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }
}

export class ContainerCache {
  private readonly records = new Map<string, ContainerRecord>();
  /** Update sequence per record, so a list older than an inspect never removes what it found. */
  private readonly stamps = new Map<string, number>();
  private seq = 0;
  /** Containers whose last event-driven inspect failed: inspected at the next resync. */
  private readonly dirty = new Set<string>();
  /** Unix seconds of each container's latest `oom` event (see snapshot()). */
  private readonly oomAt = new Map<string, number>();
  private readonly limiter = new Limiter(INSPECT_CONCURRENCY);
  private readonly syncWaiters = new Set<() => void>();
  private synced = false;
  private down: { readonly cause: string; readonly since: number } | undefined;
  private closed = false;
  private loop: Promise<void> | undefined;
  private connection: AbortController | undefined;
  private wake: (() => void) | undefined;
  private loggedFirstSync = false;
  private readonly resyncMs: number;
  private readonly backoffInitialMs: number;
  private readonly backoffMaxMs: number;

  constructor(
    private readonly client: EngineClient,
    private readonly logger: Logger,
    options: CacheOptions = {},
  ) {
    this.resyncMs = options.resyncIntervalMs ?? DEFAULT_RESYNC_INTERVAL_MS;
    this.backoffInitialMs = options.backoffInitialMs ?? DEFAULT_BACKOFF_INITIAL_MS;
    this.backoffMaxMs = options.backoffMaxMs ?? DEFAULT_BACKOFF_MAX_MS;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.connection?.abort();
    this.wake?.();
    await this.loop;
  }

  /** Whether the list reflects the engine: connected, and fully synced since connecting. */
  get isSynced(): boolean {
    return this.synced;
  }

  /** Why the engine is not answering, or undefined when it is. */
  get downCause(): string | undefined {
    return this.down?.cause;
  }

  /**
   * The containers as last inspected. OOMKilled is also set for a run that ended with exit
   * code 137 and had an `oom` event after it started: Docker takes OOMKilled from the exit
   * notification, and when the kernel's OOM notification reaches it after the exit (seen on
   * cgroup v1 under load: events start, die, oom) it reports false for good, though it still
   * sends the `oom` event.
   */
  snapshot(): ContainerRecord[] {
    return [...this.records.values()].map((r) => {
      if (r.oomKilled || r.exitCode !== 137 || (r.state !== 'exited' && r.state !== 'dead')) return r;
      const oom = this.oomAt.get(r.id);
      return oom !== undefined && r.startedAt !== undefined && oom >= r.startedAt ? { ...r, oomKilled: true } : r;
    });
  }

  markDown(cause: string): void {
    if (this.down) return;
    this.down = { cause, since: Date.now() };
    this.logger.debug({ cause }, 'Docker engine unavailable');
  }

  markUp(): void {
    if (!this.down) return;
    this.logger.debug({ downForSeconds: (Date.now() - this.down.since) / 1000 }, 'Docker engine answering again');
    this.down = undefined;
  }

  /** Connects now if the loop is waiting out a backoff. */
  kick(): void {
    this.wake?.();
  }

  /** Resolves true once synced, false when `timeoutMs` passes or `signal` aborts first. */
  async waitSynced(signal: AbortSignal, timeoutMs: number): Promise<boolean> {
    if (this.synced) return true;
    let onSynced!: () => void;
    const synced = new Promise<void>((resolve) => {
      onSynced = resolve;
      this.syncWaiters.add(onSynced);
    });
    try {
      return (await withDeadline(synced, { ms: timeoutMs, signal })).done;
    } finally {
      this.syncWaiters.delete(onSynced);
    }
  }

  private setSynced(value: boolean): void {
    this.synced = value;
    if (value) for (const w of [...this.syncWaiters]) w();
  }

  private async run(): Promise<void> {
    let delay = this.backoffInitialMs;
    while (!this.closed) {
      const controller = new AbortController();
      this.connection = controller;
      const conn: Connection = { signal: controller.signal, inspecting: new Map() };
      let cause: string | undefined;
      let wasSynced = false;
      const started = performance.now();
      let resync: NodeJS.Timeout | undefined;
      try {
        const stream = await this.client.events(conn.signal);
        const ended = this.consume(stream, conn);
        await this.fullSync(conn);
        wasSynced = true;
        this.setSynced(true);
        this.markUp();
        delay = this.backoffInitialMs;
        if (!this.loggedFirstSync) {
          this.loggedFirstSync = true;
          this.logger.info({ engine: this.client.endpoint.display, containers: this.records.size }, 'watching Docker containers');
        }
        resync = setInterval(() => void this.resync(conn, controller), this.resyncMs);
        await ended;
        cause = `Docker engine at ${this.client.endpoint.display}: events stream closed`;
      } catch (err) {
        cause = err instanceof EngineError ? err.message : describeEngineError(err, this.client.endpoint);
      } finally {
        clearInterval(resync);
        this.setSynced(false);
        controller.abort();
      }
      if (this.closed) break;
      this.logger.debug({ cause }, 'Docker engine connection ended');
      // Reconnect at once after a connection that worked for a while; an engine that keeps
      // closing the stream right after a sync is retried with backoff, like one that is down.
      if (wasSynced && performance.now() - started > MIN_HEALTHY_CONNECTION_MS) continue;
      if (!wasSynced) this.markDown(cause);
      await this.sleep(delay);
      delay = Math.min(delay * 2, this.backoffMaxMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  /** Reads newline-delimited events until the stream ends; resolves then. */
  private consume(stream: NodeJS.ReadableStream, conn: Connection): Promise<void> {
    return new Promise((resolve) => {
      let buffer = '';
      const onLine = (line: string) => {
        if (line.trim() === '') return;
        try {
          this.onEvent(JSON.parse(line) as EngineEvent, conn);
        } catch (err) {
          this.logger.debug({ err: (err as Error).message }, 'unreadable Docker event');
        }
      };
      stream.on('data', (chunk: Buffer | string) => {
        buffer += chunk.toString();
        for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
          onLine(buffer.slice(0, nl));
          buffer = buffer.slice(nl + 1);
        }
      });
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        if (!conn.signal.aborted) onLine(buffer);
        resolve();
      };
      stream.on('end', finish);
      stream.on('close', finish);
      stream.on('error', finish);
      conn.signal.addEventListener('abort', finish, { once: true });
    });
  }

  private onEvent(event: EngineEvent, conn: Connection): void {
    if (event.Type !== undefined && event.Type !== 'container') return;
    const id = event.Actor?.ID ?? event.id;
    if (!id) return;
    const action = (event.Action ?? '').split(':')[0]!.trim();
    if (action === 'oom') this.oomAt.set(id, eventSeconds(event));
    if (REMOVAL_EVENTS.includes(action)) {
      this.remove(id);
      // An inspect in flight may answer with the container as it was: ask once more (404).
      const pending = conn.inspecting.get(id);
      if (pending) pending.again = true;
      return;
    }
    this.refresh(conn, id).catch((err: unknown) => {
      this.dirty.add(id);
      this.logger.debug({ id: id.slice(0, 12), err: (err as Error).message }, 'inspect after event failed');
    });
  }

  /** Inspects `id` (once more if already in flight) and stores or removes its record. */
  private refresh(conn: Connection, id: string): Promise<void> {
    const pending = conn.inspecting.get(id);
    if (pending) {
      pending.again = true;
      return pending.done;
    }
    const entry = { again: false, done: Promise.resolve() };
    entry.done = (async () => {
      try {
        do {
          entry.again = false;
          const json = await this.limiter.run(() => this.client.inspect(id, conn.signal));
          if (conn.signal.aborted) return;
          if (json === undefined) this.remove(id);
          else this.store(recordFromInspect(json));
        } while (entry.again && !conn.signal.aborted);
      } finally {
        conn.inspecting.delete(id);
      }
    })();
    conn.inspecting.set(id, entry);
    return entry.done;
  }

  private store(record: ContainerRecord): void {
    this.records.set(record.id, record);
    this.stamps.set(record.id, ++this.seq);
    this.dirty.delete(record.id);
  }

  private remove(id: string): void {
    this.records.delete(id);
    this.stamps.delete(id);
    this.dirty.delete(id);
    this.oomAt.delete(id);
  }

  /** Containers the engine no longer lists are removed, unless updated after the list was asked for. */
  private async listAndPrune(conn: Connection) {
    const before = this.seq;
    const listed = await this.client.listContainers(conn.signal);
    const ids = new Set(listed.map((c) => c.Id));
    for (const id of [...this.records.keys()]) {
      if (!ids.has(id) && (this.stamps.get(id) ?? 0) <= before) this.remove(id);
    }
    return listed;
  }

  private async fullSync(conn: Connection): Promise<void> {
    const listed = await this.listAndPrune(conn);
    await Promise.all(listed.map((c) => this.refresh(conn, c.Id)));
  }

  private async resync(conn: Connection, controller: AbortController): Promise<void> {
    try {
      const listed = await this.listAndPrune(conn);
      await Promise.all(
        listed
          .filter((c) => {
            const r = this.records.get(c.Id);
            return !r || this.dirty.has(c.Id) || (c.State !== undefined && normaliseState(c.State) !== r.state);
          })
          .map((c) => this.refresh(conn, c.Id)),
      );
    } catch (err) {
      if (conn.signal.aborted) return;
      // The stream may be open on an engine that no longer answers: start over.
      this.logger.debug({ err: (err as Error).message }, 'container resync failed; reconnecting');
      controller.abort();
    }
  }
}
