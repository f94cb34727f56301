// Runs every target on its own interval.
//
// - Spread: a target's checks fall at a stable offset within its interval (a hash of its
//   name), so 1,000 targets at 10 s start spread over the 10 s, and the same target keeps its
//   slot across restarts and reloads.
// - No overlap: the next check of a target is scheduled only when its current one has ended
//   (with retries); slots missed meanwhile are skipped, not queued.
// - No head-of-line blocking: each target has its own timer and its own check; a hanging
//   target holds only itself, for at most its timeout per attempt. `max_concurrent` is a
//   safety bound on sockets, not a scheduler: as each target holds at most one slot, it
//   binds only when there are more targets than slots, and then checks wait in arrival order.
// - A watchdog: an attempt that outlives its timeout by WATCHDOG_GRACE_MS (a prober fault: each
//   prober is meant to stop at its timeout) is given up on and counts as a timeout, so no fault
//   can hold a slot for good. Found the hard way: a timer that never fired starved every target.
// - Reconfigurable: setTargets() adds, removes and replaces targets; a removed target's
//   check is aborted and its status dropped, so its series disappear at the next scrape.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { ProbeTargetConfig } from '../config/probes.js';
import { withDeadline } from '../util/deadline.js';
import type { ProbeResult } from './probers/prober.js';
import { runProbe } from './probers/index.js';
import { LatenessHistogram } from './lateness.js';
import { TargetStatus } from './state.js';
import { missingHeartbeat, pushDeadlineMs } from './push.js';

/** How long past its timeout an attempt may run before the watchdog gives up on it. */
export const WATCHDOG_GRACE_MS = 1000;

export type RunCheck = (target: ProbeTargetConfig, signal: AbortSignal) => Promise<ProbeResult>;

export interface SchedulerOptions {
  readonly logger: Logger;
  readonly maxConcurrent: number;
  /** For tests; the real probers by default. */
  readonly run?: RunCheck;
  /**
   * "Am I offline?" (connectivity.ts): asked after a failed check with the time it started;
   * false holds the failure (not recorded, the state stays) instead of counting it.
   */
  readonly connectivityOk?: (sinceMs: number) => Promise<boolean>;
  /** Sees every recorded check and heartbeat (the status page's uptime and latency history). */
  readonly onResult?: (name: string, result: ProbeResult, atSeconds: number) => void;
}

interface Entry {
  readonly config: ProbeTargetConfig;
  readonly key: string;
  readonly status: TargetStatus;
  /** Only while a check runs (an AbortController per idle target would cost memory for nothing). */
  controller: AbortController | undefined;
  removed: boolean;
  timer: NodeJS.Timeout | undefined;
  /** When the current or next check is due (epoch ms), for lateness; a push target's deadline. */
  due: number;
  /** A push target's last heartbeat (epoch ms). */
  heartbeatAt?: number;
}

/**
 * What makes two configs of a target the same. Secrets serialise as "<secret>", so their
 * values are added: a rotated password replaces the target. The key stays in memory only.
 */
function configKey(config: ProbeTargetConfig): string {
  const { basicAuth, bearerToken } = config.http;
  // Maintenance windows change no check (src/probes/maintenance.ts reads them): a target whose
  // windows alone changed keeps its state and schedule.
  config = { ...config, maintenance: [] };
  // A digest, not the JSON itself: 10,000 targets would otherwise keep ~7 MB of keys.
  return createHash('sha256').update(JSON.stringify([config, basicAuth?.password.reveal(), bearerToken?.reveal()])).digest('base64');
}

/** FNV-1a of the name: a stable spread of offsets, not a secret. */
export function offsetMs(name: string, intervalMs: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h % Math.max(1, Math.floor(intervalMs));
}

/** The first slot of `name` strictly after `now` (epoch ms). */
export function nextSlot(name: string, intervalMs: number, now: number): number {
  const offset = offsetMs(name, intervalMs);
  return offset + (Math.floor((now - offset) / intervalMs) + 1) * intervalMs;
}

export class ProbeScheduler {
  private readonly entries = new Map<string, Entry>();
  private readonly run: RunCheck;
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private closed = false;
  /** How late checks started after their slot, as tocsin_probe_schedule_lateness_seconds. */
  readonly latenessHistogram = new LatenessHistogram();

  constructor(private options: SchedulerOptions) {
    this.run = options.run ?? ((target, signal) => runProbe(target, signal));
  }

  setTargets(targets: readonly ProbeTargetConfig[]): void {
    const next = new Map(targets.map((t) => [t.name, t]));
    for (const [name, entry] of this.entries) {
      const wanted = next.get(name);
      if (!wanted || configKey(wanted) !== entry.key) this.remove(name);
    }
    for (const target of targets) if (!this.entries.has(target.name)) this.add(target);
  }

  /** Checks running now, and checks waiting for a slot under max_concurrent. */
  load(): { readonly running: number; readonly waiting: number } {
    return { running: this.active, waiting: this.waiting.length };
  }

  /** A new safety bound (reload); checks already waiting start as slots free up. */
  setMaxConcurrent(maxConcurrent: number): void {
    this.options = { ...this.options, maxConcurrent };
    while (this.waiting.length > 0 && this.active < maxConcurrent) {
      this.active += 1;
      this.waiting.shift()!();
    }
  }

  statuses(): IterableIterator<TargetStatus> {
    const it = this.entries.values();
    return (function* () {
      for (const e of it) yield e.status;
    })();
  }

  status(name: string): TargetStatus | undefined {
    return this.entries.get(name)?.status;
  }

  close(): void {
    this.closed = true;
    for (const name of [...this.entries.keys()]) this.remove(name);
  }

  private add(config: ProbeTargetConfig): void {
    const entry: Entry = { config, key: configKey(config), status: new TargetStatus(config), controller: undefined, removed: false, timer: undefined, due: 0 };
    this.entries.set(config.name, entry);
    this.schedule(entry);
  }

  private remove(name: string): void {
    const entry = this.entries.get(name);
    if (!entry) return;
    this.entries.delete(name);
    entry.removed = true;
    clearTimeout(entry.timer);
    entry.controller?.abort();
  }

  /** Records a push target's heartbeat (src/probes/push.ts); false when no push target of that name is scheduled. */
  heartbeat(name: string, result: ProbeResult): boolean {
    const entry = this.entries.get(name);
    if (!entry || entry.config.type !== 'push' || this.closed) return false;
    entry.heartbeatAt = Date.now();
    this.recordResult(entry, result);
    this.awaitHeartbeat(entry, pushDeadlineMs(entry.config));
    return true;
  }

  /** When the current or next check of `name` is due, or a push target counts as missing (epoch ms). */
  due(name: string): number | undefined {
    return this.entries.get(name)?.due;
  }

  /**
   * A push target is not checked: a timer waits for its heartbeat. Without one by the deadline
   * it records push_missing, and again every interval after, so failure_threshold counts
   * missed intervals as it counts failed checks.
   */
  private awaitHeartbeat(entry: Entry, ms: number): void {
    clearTimeout(entry.timer);
    if (this.closed || entry.removed) return;
    entry.due = Date.now() + ms;
    // Node's timers hold at most 2^31-1 ms: a longer wait is taken in steps.
    const step = Math.min(ms, 2 ** 31 - 1);
    entry.timer = setTimeout(() => {
      if (step < ms) return this.awaitHeartbeat(entry, ms - step);
      const missing = missingHeartbeat(entry.config, entry.heartbeatAt);
      const since = Date.now();
      this.awaitHeartbeat(entry, entry.config.interval * 1000);
      void this.recordUnlessOffline(entry, missing, since);
    }, step);
    entry.timer.unref();
  }

  /**
   * Records a result, but holds a failure (records nothing, the state stays) while this machine
   * is offline: no connectivity target answered since `sinceMs` (connectivity.ts).
   */
  private async recordUnlessOffline(entry: Entry, result: ProbeResult, sinceMs: number): Promise<void> {
    const beat = entry.heartbeatAt;
    if (!result.success && this.options.connectivityOk && !(await this.options.connectivityOk(sinceMs))) {
      this.options.logger.debug({ target: entry.config.name, reason: result.reason }, 'check failed while offline: held');
      if (!entry.removed) entry.status.hold(result.reason ?? 'error', Date.now() / 1000);
      return;
    }
    // Removed or replaced meanwhile, or a heartbeat arrived while connectivity was checked.
    if (entry.removed || this.entries.get(entry.config.name) !== entry || entry.heartbeatAt !== beat) return;
    this.recordResult(entry, result);
  }

  private recordResult(entry: Entry, result: ProbeResult): void {
    const at = Date.now() / 1000;
    const changed = entry.status.record(result, at);
    this.options.onResult?.(entry.config.name, result, at);
    if (changed) {
      this.options.logger.info({ target: entry.config.name, state: changed, reason: result.reason, message: result.message }, 'probe target state changed');
    }
  }

  private schedule(entry: Entry): void {
    if (this.closed || entry.removed) return;
    if (entry.config.type === 'push') return this.awaitHeartbeat(entry, pushDeadlineMs(entry.config));
    const now = Date.now();
    // After the slot just used, not only after now: a timer may fire up to a millisecond
    // before Date.now() reaches its due time, and a check that ends that early would
    // otherwise get the same slot again and run twice in it.
    entry.due = nextSlot(entry.config.name, entry.config.interval * 1000, Math.max(now, entry.due));
    entry.timer = setTimeout(() => void this.check(entry), entry.due - now);
    // Probing alone does not keep the process alive: the HTTP server does.
    entry.timer.unref();
  }

  private async check(entry: Entry): Promise<void> {
    const controller = (entry.controller = new AbortController());
    const { signal } = controller;
    if (entry.removed) controller.abort();
    await this.acquire();
    try {
      if (signal.aborted) return;
      this.latenessHistogram.observe(Date.now() - entry.due);
      const started = Date.now();
      const result = await this.attempts(entry.config, signal);
      // A target removed or replaced meanwhile: its result belongs to nobody.
      if (signal.aborted || this.entries.get(entry.config.name) !== entry) return;
      await this.recordUnlessOffline(entry, result, started);
    } catch (err) {
      // A prober bug, not a target failure: logged, and the target keeps its schedule.
      this.options.logger.error({ target: entry.config.name, err }, 'probe crashed');
    } finally {
      this.release();
      entry.controller = undefined;
      this.schedule(entry);
    }
  }

  private async attempts(config: ProbeTargetConfig, signal: AbortSignal): Promise<ProbeResult> {
    let result = await this.attempt(config, signal);
    for (let i = 0; i < config.retries && !result.success && !signal.aborted; i++) {
      await sleep(config.retry_delay * 1000, signal);
      if (signal.aborted) break;
      result = await this.attempt(config, signal);
    }
    return result;
  }

  private async attempt(config: ProbeTargetConfig, signal: AbortSignal): Promise<ProbeResult> {
    const started = performance.now();
    const ms = config.timeout * 1000 + WATCHDOG_GRACE_MS;
    const outcome = await withDeadline(this.run(config, signal), { ms });
    if (outcome.done) return outcome.value;
    this.options.logger.error({ target: config.name, timeoutSeconds: config.timeout }, 'probe did not stop at its timeout; given up on by the watchdog');
    return { success: false, reason: 'timeout', message: `no result within ${Math.round(ms)} ms (the prober did not stop at its timeout)`, durationSeconds: (performance.now() - started) / 1000, phases: {} };
  }

  private acquire(): Promise<void> {
    if (this.active < this.options.maxConcurrent) {
      this.active += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(() => resolve()));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next(); // the slot passes on: `active` stays
    else this.active -= 1;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
