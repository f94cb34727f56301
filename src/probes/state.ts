// What is known of one target: its last result and the state the thresholds give it
// (up after success_threshold successes in a row, down after failure_threshold failures),
// as blackbox_exporter's history keeps recent results per target.
import type { ProbeTargetConfig } from '../config/probes.js';
import type { ProbeResult } from './probers/prober.js';

export type TargetState = 'unknown' | 'up' | 'down';
export const TARGET_STATES: readonly TargetState[] = ['unknown', 'up', 'down'];

export class TargetStatus {
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
