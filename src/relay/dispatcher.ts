// The delivery worker: takes what the outbox holds (per destination, so a restart picks up where
// the last process stopped) and hands it to each destination's notifier. It is the shared retry
// stage: notifiers say *whether* a failure is worth retrying, the dispatcher decides *when*.
//
// Per destination ("lane"):
// - one message in flight, and the next post no sooner than minIntervalMs after the previous one
//   ended (Slack allows about one message per second per webhook, with short bursts);
// - 429: the lane pauses for Retry-After (not counted as a failed attempt);
// - timeouts, 5xx, network errors: retried with exponential backoff and full jitter
//   (baseBackoffMs * 2^n, capped at maxBackoffMs); an entry that failed maxAttempts times is
//   dead-lettered with the last reason;
// - permanent errors (4xx): the entry is dead-lettered with the reason and Slack's error string.
//   A rejected *digest* (clientError) is not blamed on its entries: they are sent one by one;
// - when more than digestThreshold entries wait, up to maxDigestEntries of them are merged into one
//   digest message (format() gets them all), and all are marked done when it is confirmed;
// - a destination with no notifier (removed from the configuration, or disabled) gets its pending
//   entries dead-lettered as destinationRemoved: keeping them would hold outbox space forever for a
//   way out that no longer exists, and dead letters stay visible in the API.
// Every entry ends done or dead, and both are counted (metrics.ts). Attempt counts live in memory:
// after a restart an entry gets maxAttempts fresh tries. The outbox records when an attempt starts
// and when the destination refused it (markFailed), so that after a restart only entries whose
// earlier attempt had an unknown outcome (timeout, network error, shutdown, crash) count as
// redeliveries.
//
// Cost: wake-ups (kick) are coalesced into one pump per event-loop turn, and a pump looks only at
// destinations with pending entries and reads at most what the next post needs (one entry, or a
// digest's worth), never the whole backlog: pumping after every request stays cheap however far
// behind a destination is.
//
// Call stop() before outbox.close(): in-flight posts get stopGraceMs to finish, then are aborted
// (the entry stays pending and is sent again by the next process).
import pino, { type Logger } from 'pino';
import { backoffDelay, DEFAULT_BASE_BACKOFF_MS, DEFAULT_MAX_BACKOFF_MS, DEFAULT_RETRY_AFTER_MS } from './backoff.js';
import type { DeadReason, RelayMetrics } from './metrics.js';
import type { Notifier, SendResult } from './notifier.js';
import type { Outbox } from './outbox/index.js';
import type { OutboxEntry, SlackMessage } from './types.js';

export interface PacingOptions {
  /** Minimum time from the end of one post to the start of the next, per destination. */
  readonly minIntervalMs?: number;
  /** Merge waiting entries into one digest when more than this many wait for a destination. */
  readonly digestThreshold?: number;
  /** At most this many entries in one digest. */
  readonly maxDigestEntries?: number;
  /** Failed attempts (429 not counted) after which an entry is dead-lettered. */
  readonly maxAttempts?: number;
  readonly baseBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

export const DEFAULT_PACING: Required<PacingOptions> = {
  minIntervalMs: 1_000,
  digestThreshold: 10,
  maxDigestEntries: 100,
  maxAttempts: 50,
  baseBackoffMs: DEFAULT_BASE_BACKOFF_MS,
  maxBackoffMs: DEFAULT_MAX_BACKOFF_MS,
};

export const DEFAULT_STOP_GRACE_MS = 3_000;
const ABORT_WAIT_MS = 1_000;

export interface DispatcherDeps {
  readonly outbox: Outbox;
  /** undefined: the destination was removed or disabled; its entries are dead-lettered. */
  notifierFor(destination: string): Notifier | undefined;
  /** One entry: a message; several: a digest. May throw (a bad template): that is a formatError. */
  format(entries: readonly OutboxEntry[]): SlackMessage;
  readonly logger?: Logger;
  readonly metrics: RelayMetrics;
  readonly pacing?: PacingOptions;
  readonly now?: () => number;
  /** For backoff jitter; tests pass a fixed one. */
  readonly random?: () => number;
  readonly stopGraceMs?: number;
}

export interface LaneStatus {
  readonly destination: string;
  readonly inFlight: number;
  /** Unix ms before which nothing is posted (pacing, backoff or Retry-After). */
  readonly nextAt: number;
  readonly consecutiveFailures: number;
}

interface Lane {
  readonly destination: string;
  inFlight: { readonly ids: readonly string[]; readonly controller: AbortController; promise: Promise<void> } | undefined;
  nextAt: number;
  failures: number;
  /** Entries to send alone: a digest containing them was refused. */
  readonly solo: Set<string>;
}

export class Dispatcher {
  private readonly outbox: Outbox;
  private readonly logger: Logger;
  private readonly metrics: RelayMetrics;
  private readonly pacing: Required<PacingOptions>;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly stopGraceMs: number;
  private readonly lanes = new Map<string, Lane>();
  /** Failed attempts per entry id (429 excluded). */
  private readonly attempts = new Map<string, number>();
  private running = false;
  private pumpQueued = false;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  constructor(private readonly deps: DispatcherDeps) {
    this.outbox = deps.outbox;
    this.logger = (deps.logger ?? pino({ level: 'silent' })).child({ module: 'dispatcher' });
    this.metrics = deps.metrics;
    this.pacing = { ...DEFAULT_PACING, ...definedOnly(deps.pacing ?? {}) };
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.stopGraceMs = deps.stopGraceMs ?? DEFAULT_STOP_GRACE_MS;
  }

  /** Starts delivering what the outbox holds. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.kick();
  }

  /** New entries were appended: look at the outbox again soon (coalesced). */
  kick(): void {
    if (!this.running || this.pumpQueued) return;
    this.pumpQueued = true;
    setImmediate(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  /** Stops posting; in-flight posts get stopGraceMs, then are aborted. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.disarm();
    const inFlight = [...this.lanes.values()].flatMap((l) => (l.inFlight ? [l.inFlight] : []));
    if (inFlight.length === 0) return;
    let graceTimer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      graceTimer = setTimeout(resolve, this.stopGraceMs);
    });
    await Promise.race([Promise.all(inFlight.map((f) => f.promise)), grace]);
    clearTimeout(graceTimer);
    for (const f of inFlight) f.controller.abort();
    // Notifiers honour the abort signal; a buggy one must not hang the shutdown.
    const settled = Promise.all(inFlight.map((f) => f.promise));
    const gaveUp = new Promise<'gaveUp'>((resolve) => {
      graceTimer = setTimeout(() => resolve('gaveUp'), ABORT_WAIT_MS);
    });
    if ((await Promise.race([settled, gaveUp])) === 'gaveUp') {
      this.logger.warn({ destinations: inFlight.length }, 'in-flight posts did not end after abort; stopping anyway');
    }
    clearTimeout(graceTimer);
  }

  laneStatus(): LaneStatus[] {
    return [...this.lanes.values()].map((l) => ({
      destination: l.destination,
      inFlight: l.inFlight?.ids.length ?? 0,
      nextAt: l.nextAt,
      consecutiveFailures: l.failures,
    }));
  }

  // --- scheduling ---

  private pump(): void {
    if (!this.running) return;
    const now = this.now();
    let wake = Infinity;
    for (const destination of this.outbox.destinationsWithPending()) {
      const lane = this.lane(destination);
      if (lane.inFlight) continue;
      const notifier = this.deps.notifierFor(destination);
      if (!notifier) {
        const entries = this.outbox.pendingFor(destination);
        this.logger.warn({ destination, entries: entries.length }, 'no notifier for destination; dead-lettering its entries');
        for (const e of entries) {
          void this.deadLetter(e, 'destinationRemoved', `no notifier for destination "${destination}"`);
        }
        continue;
      }
      if (lane.nextAt > now) {
        wake = Math.min(wake, lane.nextAt);
        continue;
      }
      this.send(lane, notifier);
    }
    this.arm(wake);
  }

  private arm(at: number): void {
    if (at === Infinity || !this.running) return;
    if (this.timer && this.timerAt <= at) return;
    this.disarm();
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.kick();
    }, Math.max(0, at - this.now()));
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private lane(destination: string): Lane {
    let lane = this.lanes.get(destination);
    if (!lane) {
      lane = { destination, inFlight: undefined, nextAt: 0, failures: 0, solo: new Set() };
      this.lanes.set(destination, lane);
      this.metrics.initDestination(destination);
    }
    return lane;
  }

  // --- one post ---

  /** Posts the next message for a lane with pending entries. */
  private send(lane: Lane, notifier: Notifier): void {
    const batch = this.pickBatch(lane);
    let message: SlackMessage;
    try {
      message = this.deps.format(batch);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      if (batch.length > 1) {
        this.logger.warn({ destination: lane.destination, entries: batch.length, error }, 'cannot format digest; sending its entries one by one');
        for (const e of batch) lane.solo.add(e.id);
      } else {
        void this.deadLetter(batch[0]!, 'formatError', `cannot format message: ${error}`);
      }
      this.kick();
      return;
    }

    const ids = batch.map((e) => e.id);
    this.outbox.markAttempted(ids).catch((err: unknown) => this.logger.warn({ err }, 'cannot record delivery attempt'));
    const controller = new AbortController();
    const inFlight = { ids, controller, promise: Promise.resolve() };
    lane.inFlight = inFlight;
    inFlight.promise = (async () => {
      let result: SendResult;
      try {
        result = await notifier.send(message, controller.signal);
      } catch (err) {
        // Notifiers classify instead of throwing; the error text may hold a secret, so only its name.
        result = { ok: false, retry: true, reason: 'network', detail: `notifier failed: ${(err as Error)?.name ?? 'error'}` };
      }
      try {
        await this.settle(lane, batch, result, controller.signal.aborted);
      } catch (err) {
        this.logger.error({ err, destination: lane.destination }, 'settling a delivery failed');
      }
    })().finally(() => {
      lane.inFlight = undefined;
      this.kick();
    });
  }

  /** The oldest entry alone, or a digest when more than digestThreshold wait. Reads no more than it needs. */
  private pickBatch(lane: Lane): OutboxEntry[] {
    const { destination, solo } = lane;
    const head = this.outbox.pendingFor(destination, 1);
    if (this.outbox.pendingCount(destination) <= this.pacing.digestThreshold || solo.has(head[0]!.id)) return head;
    // Entries of a refused digest go alone: skipping them, at most solo.size extra entries fill it.
    const digest: OutboxEntry[] = [];
    for (const e of this.outbox.pendingFor(destination, this.pacing.maxDigestEntries + solo.size)) {
      if (solo.has(e.id)) continue;
      digest.push(e);
      if (digest.length >= this.pacing.maxDigestEntries) break;
    }
    return digest;
  }

  private async settle(lane: Lane, batch: readonly OutboxEntry[], result: SendResult, aborted: boolean): Promise<void> {
    const destination = lane.destination;
    const ids = batch.map((e) => e.id);
    const now = this.now();
    // Paced from the end of the previous post, so that however long a request took to reach
    // Slack, two of them arrive at least minIntervalMs apart.
    lane.nextAt = now + this.pacing.minIntervalMs;
    if (result.ok) {
      lane.failures = 0;
      this.metrics.delivered.inc({ destination });
      if (batch.length > 1) this.metrics.digests.inc({ destination });
      for (const e of batch) {
        this.metrics.deliveryLatency.observe({ destination }, Math.max(0, (now - e.acceptedAt) / 1000));
        if (this.outbox.wasAttempted(e.id)) this.metrics.redeliveries.inc({ destination });
        this.attempts.delete(e.id);
        lane.solo.delete(e.id);
      }
      this.logger.debug({ destination, entries: batch.length }, 'delivered');
      await this.outbox.markDone(ids).catch((err: unknown) => this.logger.error({ err }, 'cannot record delivery'));
      return;
    }
    if (aborted) {
      // Stopped while posting: the entries stay pending for the next process, which counts them as
      // redeliveries (the post may have reached Slack).
      this.logger.info({ destination, entries: batch.length }, 'delivery aborted by shutdown');
      return;
    }
    this.metrics.failed.inc({ destination, reason: result.reason });
    const log = { destination, entries: batch.length, reason: result.reason, detail: result.detail };
    // Entries that stay pending after a refusal: record it, so a restart does not take them for
    // possible duplicates. Unknown outcomes are not recorded: the outbox keeps them as such.
    const refused = (entries: readonly OutboxEntry[]) => {
      if (outcomeUnknown(result) || entries.length === 0) return;
      this.outbox
        .markFailed(entries.map((e) => e.id))
        .catch((err: unknown) => this.logger.warn({ err }, 'cannot record failed delivery attempt'));
    };

    if (!result.retry) {
      if (batch.length > 1 && result.reason === 'clientError') {
        // Slack refused the digest itself (too big, invalid blocks): do not blame its entries.
        this.logger.warn(log, 'digest refused; sending its entries one by one');
        for (const e of batch) lane.solo.add(e.id);
        refused(batch);
        return;
      }
      this.logger.warn(log, 'permanent delivery failure');
      await Promise.all(batch.map((e) => this.deadLetter(e, result.reason, result.detail)));
      return;
    }

    if (result.reason === 'rateLimited') {
      const waitMs = result.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS;
      this.metrics.rateLimited.inc({ destination });
      this.metrics.retries.inc({ destination });
      lane.nextAt = Math.max(lane.nextAt, now + waitMs);
      this.logger.warn({ ...log, retryAfterMs: waitMs }, 'rate limited by Slack; pausing destination');
      refused(batch);
      return;
    }

    lane.failures++;
    const exhausted: { entry: OutboxEntry; attempts: number }[] = [];
    const retried: OutboxEntry[] = [];
    for (const e of batch) {
      const n = (this.attempts.get(e.id) ?? 0) + 1;
      this.attempts.set(e.id, n);
      if (n >= this.pacing.maxAttempts) exhausted.push({ entry: e, attempts: n });
      else retried.push(e);
    }
    refused(retried);
    if (exhausted.length < batch.length) this.metrics.retries.inc({ destination });
    const delay = backoffDelay(lane.failures, { baseMs: this.pacing.baseBackoffMs, maxMs: this.pacing.maxBackoffMs }, this.random);
    lane.nextAt = Math.max(lane.nextAt, now + delay);
    this.logger.warn({ ...log, consecutiveFailures: lane.failures, retryInMs: lane.nextAt - now }, 'delivery failed; will retry');
    await Promise.all(
      exhausted.map(({ entry, attempts }) =>
        this.deadLetter(entry, result.reason, `gave up after ${attempts} attempts; last: ${result.detail}`),
      ),
    );
  }

  private async deadLetter(entry: OutboxEntry, reason: DeadReason, detail: string): Promise<void> {
    if (!this.outbox.has(entry.id)) return;
    this.attempts.delete(entry.id);
    this.lanes.get(entry.destination)?.solo.delete(entry.id);
    this.metrics.deadLettered.inc({ destination: entry.destination, reason });
    this.logger.warn({ id: entry.id, destination: entry.destination, reason, detail }, 'notification dead-lettered');
    await this.outbox
      .markDead(entry.id, `${reason}: ${detail}`)
      .catch((err: unknown) => this.logger.error({ err, id: entry.id }, 'cannot record dead letter'));
  }
}

/**
 * Whether a failed post may nevertheless have reached the channel: no answer (timeout, network
 * error, a notifier that threw), or a 2xx that is not Slack's `ok` (something in between answered;
 * slack/webhook.ts classifyResponse reports it as serverError "unexpected answer ..."). An error
 * answer from Slack itself (4xx, 429, 5xx) means the message was not posted.
 */
export function outcomeUnknown(result: Extract<SendResult, { ok: false }>): boolean {
  switch (result.reason) {
    case 'timeout':
    case 'network':
      return true;
    case 'serverError':
      return result.detail.startsWith('unexpected answer');
    default:
      return false;
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
