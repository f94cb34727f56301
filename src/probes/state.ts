// What is known of one target: its last result and the state the thresholds give it
// (up after success_threshold successes in a row, down after failure_threshold failures),
// as blackbox_exporter's history keeps recent results per target.
import type { ProbeTargetConfig } from '../config/probes.js';
import { FAILURE_REASONS, type FailureReason, type ProbeResult } from './probers/prober.js';

export type TargetState = 'unknown' | 'up' | 'down';
export const TARGET_STATES: readonly TargetState[] = ['unknown', 'up', 'down'];

/** One past check, as small as the status page's latency graph needs. */
export interface PastCheck {
  readonly at: number;
  readonly success: boolean;
  readonly durationSeconds: number;
  readonly reason?: FailureReason;
}

/** An hour of checks at a 30 s interval; older ones are dropped (the API and status page read these). */
export const HISTORY_LENGTH = 120;

/**
 * The last HISTORY_LENGTH checks in typed arrays, 9 bytes a check (about 1 KB a target, 11 MB
 * for 10,000 targets) where objects would cost several times that.
 */
class CheckRing {
  private readonly at = new Uint32Array(HISTORY_LENGTH);
  private readonly duration = new Float32Array(HISTORY_LENGTH);
  /** 0: success; n: FAILURE_REASONS[n - 1]. */
  private readonly outcome = new Uint8Array(HISTORY_LENGTH);
  private next = 0;
  private size = 0;

  push(atSeconds: number, r: ProbeResult): void {
    this.at[this.next] = Math.round(atSeconds);
    this.duration[this.next] = r.durationSeconds;
    this.outcome[this.next] = r.success ? 0 : FAILURE_REASONS.indexOf(r.reason ?? 'error') + 1;
    this.next = (this.next + 1) % HISTORY_LENGTH;
    this.size = Math.min(this.size + 1, HISTORY_LENGTH);
  }

  /** Oldest first. */
  list(): PastCheck[] {
    const out: PastCheck[] = [];
    for (let i = 0; i < this.size; i++) {
      const j = (this.next - this.size + i + HISTORY_LENGTH) % HISTORY_LENGTH;
      const o = this.outcome[j]!;
      out.push({ at: this.at[j]!, success: o === 0, durationSeconds: this.duration[j]!, ...(o === 0 ? {} : { reason: FAILURE_REASONS[o - 1]! }) });
    }
    return out;
  }
}

export class TargetStatus {
  private ring: CheckRing | undefined;
  state: TargetState = 'unknown';
  last: ProbeResult | undefined;
  /** Unix seconds of the last finished check, and of the last change of `state`. */
  lastCheck: number | undefined;
  lastChange: number | undefined;
  consecutiveFailures = 0;
  consecutiveSuccesses = 0;
  /** A failed check not counted because this machine was offline (connectivity.ts), until the next counted one. */
  held: { readonly at: number; readonly reason: string } | undefined;

  constructor(readonly config: ProbeTargetConfig) {}

  /** A failure held while offline: nothing changes but what the status API shows. */
  hold(reason: string, nowSeconds: number): void {
    this.held = { at: nowSeconds, reason };
  }

  /** The most recent checks, oldest first, at most HISTORY_LENGTH (times in whole seconds). */
  history(): PastCheck[] {
    return this.ring?.list() ?? [];
  }

  /** Records a finished check; returns the new state when it changed. */
  record(result: ProbeResult, nowSeconds: number): TargetState | undefined {
    this.held = undefined;
    this.last = result;
    this.lastCheck = nowSeconds;
    (this.ring ??= new CheckRing()).push(nowSeconds, result);
    if (result.success) {
      this.consecutiveSuccesses += 1;
      this.consecutiveFailures = 0;
    } else {
      this.consecutiveFailures += 1;
      this.consecutiveSuccesses = 0;
    }
    const next =
      this.state !== 'up' && this.consecutiveSuccesses >= this.config.success_threshold
        ? 'up'
        : this.state !== 'down' && this.consecutiveFailures >= this.config.failure_threshold
          ? 'down'
          : undefined;
    if (!next) return undefined;
    this.state = next;
    this.lastChange = nowSeconds;
    return next;
  }
}
