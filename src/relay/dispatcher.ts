// The delivery worker: takes what the outbox holds (per destination, so a restart picks up where
// the last process stopped) and hands it to the integration of each destination's type (a map
// type -> integration, see delivery/integration.ts). It is the shared retry stage: integrations
// format, send and say *whether* a failure is worth retrying; the dispatcher decides *when*.
//
// Per destination ("lane"):
// - one message in flight, and the next post no sooner than minIntervalMs after the previous one
//   ended (Slack allows about one message per second per webhook, with short bursts);
// - 429: the lane pauses for Retry-After (no backoff of our own);
// - timeouts, 5xx, network errors: retried with exponential backoff and full jitter
//   (baseBackoffMs * 2^n, capped at maxBackoffMs, 5 minutes by default);
// - the retry horizon (relay.delivery.retry_horizon): an entry that still fails, retryably, once
//   retryHorizonMs have passed is dead-lettered with the last reason. The horizon counts from the
//   entry's acceptance, or from when its destination last became deliverable (the relay started,
//   the channel was enabled again), whichever is later: a relay that was stopped for two days, or
//   a channel switched off over a weekend, gets a whole horizon again instead of losing its queue
//   at the first 500. A dead letter re-driven through the API gets a whole horizon from then;
// - permanent errors (4xx): the entry is dead-lettered with the reason and Slack's error string.
//   A rejected *digest* (clientError, or one that cannot be formatted) is not blamed on its
//   entries: they are sent one by one;
// - when more than digestThreshold entries wait, up to maxDigestEntries of them are merged into one
//   digest message (the integration gets them all), and all are marked done when it is confirmed;
// - a destination that is disabled, no longer configured (renamed across a restart) or of a type
//   with no integration is held: its entries stay pending, untouched, until it can be delivered to
//   again or the entries are purged through the API. Switching a channel off for a minute must not
//   throw away what Alertmanager was told is safe. Each change of a destination's state is logged
//   once, and queueStates() (the tocsin_relay_destination_pending gauge) shows how much waits.
// Every entry that leaves the outbox ends done or dead, and both are counted (metrics.ts). A run of
// failures is logged when it starts and when it ends, not once per attempt. The outbox records when
// an attempt starts and when the destination refused it (markFailed), so that after a restart only
// entries whose earlier attempt had an unknown outcome (timeout, network error, shutdown, crash)
// count as redeliveries.
//
// Cost: wake-ups (kick) are coalesced into one pump per event-loop turn, and a pump looks only at
// destinations with pending entries and reads at most what the next post needs (one entry, or a
// digest's worth), never the whole backlog: pumping after every request stays cheap however far
// behind a destination is.
//
// Call stop() before outbox.close(): in-flight posts get stopGraceMs to finish, then are aborted
// (the entry stays pending and is sent again by the next process).
import pino, { type Logger } from 'pino';
import { formatDurationMs } from '../config/duration.js';
import { withDeadline } from '../util/deadline.js';
import { backoffDelay, DEFAULT_BASE_BACKOFF_MS, DEFAULT_MAX_BACKOFF_MS, MAX_RETRY_AFTER_MS } from './backoff.js';
import type { DeliveryOutcome, Destination, Integration, Integrations } from './delivery/integration.js';
import type { DeadReason, RelayMetrics } from './metrics.js';
import type { Outbox } from './outbox/index.js';
import type { OutboxEntry } from './types.js';

export interface PacingOptions {
  /** Minimum time from the end of one post to the start of the next, per destination. */
  readonly minIntervalMs?: number;
  /** Merge waiting entries into one digest when more than this many wait for a destination. */
  readonly digestThreshold?: number;
  /** At most this many entries in one digest. */
  readonly maxDigestEntries?: number;
  /** How long an entry may keep failing (retryably) before it is dead-lettered; see above. */
  readonly retryHorizonMs?: number;
  readonly baseBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** A Retry-After longer than this is cut to it. */
  readonly maxRetryAfterMs?: number;
}

/** Three days: a Slack outage or a revoked-then-restored webhook over a weekend loses nothing. */
export const DEFAULT_RETRY_HORIZON_MS = 72 * 3600_000;

export const DEFAULT_PACING: Required<PacingOptions> = {
  minIntervalMs: 1_000,
  digestThreshold: 10,
  maxDigestEntries: 100,
  retryHorizonMs: DEFAULT_RETRY_HORIZON_MS,
  baseBackoffMs: DEFAULT_BASE_BACKOFF_MS,
  maxBackoffMs: DEFAULT_MAX_BACKOFF_MS,
  maxRetryAfterMs: MAX_RETRY_AFTER_MS,
};

const MAX_REMEMBERED_DEAD = 10_000;
export const DEFAULT_STOP_GRACE_MS = 3_000;
const ABORT_WAIT_MS = 1_000;

export interface DispatcherDeps {
  readonly outbox: Outbox;
  /** The destination an entry names (the channel store); undefined once it no longer exists. */
  destination(name: string): Destination | undefined;
  /** Who delivers to each destination type. */
  readonly integrations: Integrations;
  /**
   * Whether a destination's credentials are known to be refused (the Slack app's bot token, see
   * slack-app/auth-check.ts): held like a disabled one, its entries kept until it is released.
   */
  held?(destination: string): boolean;
  /** The configured destinations' names, so that queueStates() lists them from the start. */
  destinationNames?(): Iterable<string>;
  readonly logger?: Logger;
  readonly metrics: RelayMetrics;
  readonly pacing?: PacingOptions;
  readonly now?: () => number;
  /** For backoff jitter; tests pass a fixed one. */
  readonly random?: () => number;
  readonly stopGraceMs?: number;
}

/** Whether a destination's entries are being delivered, and if not, why. */
export type QueueState = 'active' | 'disabled' | 'missing' | 'unsupported' | 'unauthorized';

export interface QueueStatus {
  readonly destination: string;
  readonly state: QueueState;
  readonly pending: number;
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
  /** As last seen by pump(); a change is logged once. */
  state: QueueState;
  /** Unix ms when the lane last became deliverable: the earliest start of an entry's retry horizon. */
  activeSince: number;
}

export class Dispatcher {
  private readonly outbox: Outbox;
  private readonly logger: Logger;
  private readonly metrics: RelayMetrics;
  private pacing: Required<PacingOptions>;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly stopGraceMs: number;
  private readonly lanes = new Map<string, Lane>();
  /** Failed attempts per entry id in this process, for the dead letter's reason. */
  private readonly attempts = new Map<string, number>();
  /** Ids this process dead-lettered (the most recent MAX_REMEMBERED_DEAD): seen pending again, they were re-driven. */
  private readonly buried = new Map<string, true>();
  /** Re-driven entries: when their horizon starts again. */
  private readonly revivedAt = new Map<string, number>();
  private running = false;
  private pumpQueued = false;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  private integrations: Integrations;

  constructor(private readonly deps: DispatcherDeps) {
    this.integrations = deps.integrations;
    this.outbox = deps.outbox;
    this.logger = (deps.logger ?? pino({ level: 'silent' })).child({ module: 'dispatcher' });
    this.metrics = deps.metrics;
    this.pacing = { ...DEFAULT_PACING, ...definedOnly(deps.pacing ?? {}) };
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.stopGraceMs = deps.stopGraceMs ?? DEFAULT_STOP_GRACE_MS;
  }

  /** Delivery settings (and integrations built for them) from a reloaded config; lanes keep their state. */
  reconfigure(pacing: PacingOptions, integrations?: Integrations): void {
    this.pacing = { ...DEFAULT_PACING, ...definedOnly(pacing) };
    if (integrations) this.integrations = integrations;
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
    const all = () => Promise.all(inFlight.map((f) => f.promise));
    await withDeadline(all(), { ms: this.stopGraceMs });
    for (const f of inFlight) f.controller.abort();
    // Integrations honour the abort signal; a buggy one must not hang the shutdown.
    if (!(await withDeadline(all(), { ms: ABORT_WAIT_MS })).done) {
      this.logger.warn({ destinations: inFlight.length }, 'in-flight posts did not end after abort; stopping anyway');
    }
  }

  /** Each destination with pending entries or a lane, its state and how many entries wait. */
  queueStates(): QueueStatus[] {
    const names = new Set([...(this.deps.destinationNames?.() ?? []), ...this.lanes.keys(), ...this.outbox.destinationsWithPending()]);
    return [...names].map((destination) => {
      const target = this.deps.destination(destination);
      return {
        destination,
        state: this.stateOf(target, target ? this.integrations.get(target.type) : undefined),
        pending: this.outbox.pendingCount(destination),
      };
    });
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
      const target = this.deps.destination(destination);
      const integration = target ? this.integrations.get(target.type) : undefined;
      this.observe(lane, this.stateOf(target, integration));
      if (lane.state !== 'active' || !target || !integration) continue;
      if (lane.nextAt > now) {
        wake = Math.min(wake, lane.nextAt);
        continue;
      }
      this.send(lane, target, integration);
    }
    this.arm(wake);
  }

  /** Logs a change of a lane's state once; a held lane is woken again by kick() (channel changes). */
  private observe(lane: Lane, state: QueueState): void {
    if (lane.state === state) return;
    const was = lane.state;
    lane.state = state;
    const log = { destination: lane.destination, pending: this.outbox.pendingCount(lane.destination) };
    switch (state) {
      case 'active':
        lane.activeSince = this.now();
        this.logger.info({ ...log, was }, 'destination deliverable again; sending what waited');
        break;
      case 'disabled':
        this.logger.info(log, 'destination disabled; keeping its notifications until it is enabled or they are purged');
        break;
      case 'missing':
        this.logger.warn(log, 'notifications wait for a destination that is not configured (renamed or removed?); keeping them until it is back or they are purged');
        break;
      case 'unsupported':
        this.logger.error(log, 'no integration for this destination type; keeping its notifications');
        break;
      case 'unauthorized':
        this.logger.warn(log, 'the destination refuses our credentials; keeping its notifications until they are fixed');
        break;
    }
  }

  private stateOf(target: Destination | undefined, integration: Integration | undefined): QueueState {
    const state = stateOf(target, integration);
    return state === 'active' && this.deps.held?.(target!.name) ? 'unauthorized' : state;
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
      lane = { destination, inFlight: undefined, nextAt: 0, failures: 0, solo: new Set(), state: 'active', activeSince: this.now() };
      this.lanes.set(destination, lane);
      this.metrics.initDestination(destination);
    }
    return lane;
  }

  // --- one post ---

  /** Hands the next message for a lane with pending entries to its integration. */
  private send(lane: Lane, destination: Destination, integration: Integration): void {
    const { batch, newer } = this.pickBatch(lane);
    const ids = batch.map((e) => e.id);
    for (const id of ids) if (this.buried.delete(id)) this.revivedAt.set(id, this.now());
    this.outbox.markAttempted(ids).catch((err: unknown) => this.logger.warn({ err }, 'cannot record delivery attempt'));
    const controller = new AbortController();
    const inFlight = { ids, controller, promise: Promise.resolve() };
    lane.inFlight = inFlight;
    inFlight.promise = (async () => {
      let outcome: DeliveryOutcome;
      try {
        outcome = await integration.deliver({
          destination,
          entries: batch,
          groupKey: batch.length === 1 ? batch[0]!.notification.groupKey : undefined,
          newer,
          signal: controller.signal,
        });
      } catch (err) {
        // Integrations classify instead of throwing; the error text may hold a secret, so only its name.
        outcome = { kind: 'unknown', reason: 'network', detail: `${integration.type} integration failed: ${(err as Error)?.name ?? 'error'}` };
      }
      try {
        await this.settle(lane, batch, outcome, controller.signal.aborted);
      } catch (err) {
        this.logger.error({ err, destination: lane.destination }, 'settling a delivery failed');
      }
    })().finally(() => {
      lane.inFlight = undefined;
      this.kick();
    });
  }

  /**
   * The oldest entry alone, or a digest when more than digestThreshold wait. Reads no more than it
   * needs. An entry sent alone comes with the few waiting behind it (`newer`), so that a message
   * delivered late can say what changed since (an alert that resolved meanwhile); with more
   * waiting, a digest shows each group in its latest state anyway.
   */
  private pickBatch(lane: Lane): { batch: OutboxEntry[]; newer: OutboxEntry[] } {
    const { destination, solo } = lane;
    const few = this.outbox.pendingCount(destination) <= this.pacing.digestThreshold;
    const head = this.outbox.pendingFor(destination, few ? this.pacing.digestThreshold : 1);
    if (few || solo.has(head[0]!.id)) return { batch: head.slice(0, 1), newer: head.slice(1) };
    // Entries of a refused digest go alone: skipping them, at most solo.size extra entries fill it.
    const digest: OutboxEntry[] = [];
    for (const e of this.outbox.pendingFor(destination, this.pacing.maxDigestEntries + solo.size)) {
      if (solo.has(e.id)) continue;
      digest.push(e);
      if (digest.length >= this.pacing.maxDigestEntries) break;
    }
    return { batch: digest, newer: [] };
  }

  private async settle(lane: Lane, batch: readonly OutboxEntry[], outcome: DeliveryOutcome, aborted: boolean): Promise<void> {
    const destination = lane.destination;
    const ids = batch.map((e) => e.id);
    const now = this.now();
    if (outcome.kind === 'delivered') {
      // Paced from the end of the previous post, so that however long a request took to reach
      // Slack, two of them arrive at least minIntervalMs apart.
      lane.nextAt = now + this.pacing.minIntervalMs;
      if (lane.failures > 0) this.logger.info({ destination, failedAttempts: lane.failures }, 'delivering again');
      lane.failures = 0;
      this.metrics.delivered.inc({ destination });
      if (batch.length > 1) this.metrics.digests.inc({ destination });
      for (const e of batch) {
        this.metrics.deliveryLatency.observe({ destination }, Math.max(0, (now - e.acceptedAt) / 1000));
        if (this.outbox.wasAttempted(e.id)) this.metrics.redeliveries.inc({ destination });
        this.attempts.delete(e.id);
        this.revivedAt.delete(e.id);
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
    // Entries that stay pending after a refusal: record it, so a restart does not take them for
    // possible duplicates. Unknown outcomes are not recorded: the outbox keeps them as such.
    const refused = (entries: readonly OutboxEntry[]) => {
      if (outcome.kind === 'unknown' || entries.length === 0) return;
      this.outbox
        .markFailed(entries.map((e) => e.id))
        .catch((err: unknown) => this.logger.warn({ err }, 'cannot record failed delivery attempt'));
    };

    if (outcome.kind === 'unformattable') {
      // Nothing was sent, so nothing to pace.
      if (batch.length > 1) {
        this.logger.warn({ destination, entries: batch.length, error: outcome.detail }, 'cannot format digest; sending its entries one by one');
        for (const e of batch) lane.solo.add(e.id);
        refused(batch);
      } else {
        await this.deadLetter(batch[0]!, 'formatError', `cannot format message: ${outcome.detail}`);
      }
      return;
    }

    lane.nextAt = now + this.pacing.minIntervalMs;
    this.metrics.failed.inc({ destination, reason: outcome.reason });
    const log = { destination, entries: batch.length, reason: outcome.reason, detail: outcome.detail };

    if (outcome.kind === 'permanent') {
      if (batch.length > 1 && outcome.reason === 'clientError') {
        // Slack refused the digest itself (too big, invalid blocks): do not blame its entries.
        this.logger.warn(log, 'digest refused; sending its entries one by one');
        for (const e of batch) lane.solo.add(e.id);
        refused(batch);
        return;
      }
      this.logger.warn(log, 'permanent delivery failure');
      await Promise.all(batch.map((e) => this.deadLetter(e, outcome.reason, outcome.detail)));
      return;
    }

    // Worth another try, unless an entry's horizon has passed.
    lane.failures++;
    const exhausted: OutboxEntry[] = [];
    const retried: OutboxEntry[] = [];
    for (const e of batch) {
      this.attempts.set(e.id, (this.attempts.get(e.id) ?? 0) + 1);
      if (now >= this.horizonStart(lane, e) + this.pacing.retryHorizonMs) exhausted.push(e);
      else retried.push(e);
    }
    refused(retried);
    if (retried.length > 0) this.metrics.retries.inc({ destination });
    let retryLog: Record<string, unknown>;
    if (outcome.kind === 'retry' && outcome.retryAfterMs !== undefined) {
      // The destination said when (Retry-After): no backoff of our own.
      if (outcome.reason === 'rateLimited') this.metrics.rateLimited.inc({ destination });
      const wait = Math.min(outcome.retryAfterMs, this.pacing.maxRetryAfterMs);
      lane.nextAt = Math.max(lane.nextAt, now + wait);
      retryLog = wait < outcome.retryAfterMs ? { retryAfterMs: wait, retryAfterAskedMs: outcome.retryAfterMs } : { retryAfterMs: wait };
    } else {
      const delay = backoffDelay(lane.failures, { baseMs: this.pacing.baseBackoffMs, maxMs: this.pacing.maxBackoffMs }, this.random);
      lane.nextAt = Math.max(lane.nextAt, now + delay);
      retryLog = { retryInMs: lane.nextAt - now };
    }
    // One line when a run of failures starts (and one when it ends, in the delivered branch); the
    // attempts in between at debug, so an outage of hours does not flood the log.
    const level = lane.failures === 1 ? 'warn' : 'debug';
    this.logger[level]({ ...log, ...retryLog, consecutiveFailures: lane.failures }, 'delivery failed; will retry');
    await Promise.all(
      exhausted.map((e) => {
        const tried = this.attempts.get(e.id) ?? 1;
        const horizon = formatDurationMs(this.pacing.retryHorizonMs);
        const failingFor = formatDurationMs(now - this.horizonStart(lane, e));
        const detail = `gave up after ${tried} attempt${tried === 1 ? '' : 's'} in ${failingFor} (retry horizon ${horizon}); last: ${outcome.detail}`;
        return this.deadLetter(e, outcome.reason, detail);
      }),
    );
  }

  /** Where an entry's retry horizon starts: its acceptance, its lane's last (re)activation, or its re-drive. */
  private horizonStart(lane: Lane, e: OutboxEntry): number {
    return Math.max(e.acceptedAt, lane.activeSince, this.revivedAt.get(e.id) ?? 0);
  }

  private async deadLetter(entry: OutboxEntry, reason: DeadReason, detail: string): Promise<void> {
    if (!this.outbox.has(entry.id)) return;
    this.attempts.delete(entry.id);
    this.revivedAt.delete(entry.id);
    this.buried.set(entry.id, true);
    if (this.buried.size > MAX_REMEMBERED_DEAD) this.buried.delete(this.buried.keys().next().value!);
    this.lanes.get(entry.destination)?.solo.delete(entry.id);
    this.metrics.deadLettered.inc({ destination: entry.destination, reason });
    this.logger.warn({ id: entry.id, destination: entry.destination, reason, detail }, 'notification dead-lettered');
    await this.outbox
      .markDead(entry.id, `${reason}: ${detail}`)
      .catch((err: unknown) => this.logger.error({ err, id: entry.id }, 'cannot record dead letter'));
  }
}

function stateOf(target: Destination | undefined, integration: Integration | undefined): QueueState {
  if (!target) return 'missing';
  if (!target.enabled) return 'disabled';
  return integration ? 'active' : 'unsupported';
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
