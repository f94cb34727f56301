// What is known of one target: its last result and the state the thresholds give it
// (up after success_threshold successes in a row, down after failure_threshold failures),
// as blackbox_exporter's history keeps recent results per target.
import type { ProbeTargetConfig } from '../config/probes.js';
import type { ProbeResult } from './probers/prober.js';

export type TargetState = 'unknown' | 'up' | 'down';
export const TARGET_STATES: readonly TargetState[] = ['unknown', 'up', 'down'];

/** One past check, as small as the status page's latency graph needs. */
export interface PastCheck {
  readonly at: number;
  readonly success: boolean;
  readonly durationSeconds: number;
  readonly reason?: string;
}

/** An hour of checks at a 30 s interval; older ones are dropped (the API and status page read these). */
export const HISTORY_LENGTH = 120;

export class TargetStatus {
  /** The most recent checks, oldest first, at most HISTORY_LENGTH. */
  readonly history: PastCheck[] = [];
  state: TargetState = 'unknown';
  last: ProbeResult | undefined;
  /** Unix seconds of the last finished check, and of the last change of `state`. */
  lastCheck: number | undefined;
  lastChange: number | undefined;
  consecutiveFailures = 0;
  consecutiveSuccesses = 0;

  constructor(readonly config: ProbeTargetConfig) {}

  /** Records a finished check; returns the new state when it changed. */
  record(result: ProbeResult, nowSeconds: number): TargetState | undefined {
    this.last = result;
    this.lastCheck = nowSeconds;
    this.history.push({ at: nowSeconds, success: result.success, durationSeconds: result.durationSeconds, ...(result.reason ? { reason: result.reason } : {}) });
    if (this.history.length > HISTORY_LENGTH) this.history.shift();
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
