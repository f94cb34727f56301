// "Am I offline?": exporter.probes.connectivity names a few targets that answer whenever this
// machine's network works (the default gateway, a well-known host). When a target's check
// fails, the scheduler asks here first: unless a connectivity check that started no earlier
// than the failed check has succeeded, the failure is held (not recorded), so a Tocsin that
// lost its own network declares nothing down. The network counts as up while at least one
// connectivity target answers (they are alternatives: one well-known host having a bad day
// must not silence every alert). Checks run every `interval` for the metric, and on demand
// (one at a time, shared by all the failures waiting on it).
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { gauge } from '../collectors/collector.js';
import type { ConnectivityConfig } from '../config/probes.js';
import { withDeadline } from '../util/deadline.js';
import { SingleFlight } from '../util/single-flight.js';
import type { ProbeResult } from './probers/prober.js';
import { runProbe } from './probers/index.js';
import { oneOffTarget } from './one-off.js';
import { WATCHDOG_GRACE_MS, type RunCheck } from './scheduler.js';

interface Outcome {
  /** Epoch ms when the check started. */
  readonly started: number;
  readonly ended: number;
  readonly ok: boolean;
}

export class Connectivity {
  private last: Outcome | undefined;
  private readonly flight = new SingleFlight<'check', boolean>();
  private readonly closing = new AbortController();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private config: ConnectivityConfig,
    private readonly logger: Logger,
    private readonly run: RunCheck = (target, signal) => runProbe(target, signal),
  ) {
    this.start();
  }

  configured(): boolean {
    return this.config.targets.length > 0;
  }

  reconfigure(config: ConnectivityConfig): void {
    if (JSON.stringify(config) === JSON.stringify(this.config)) return;
    this.config = config;
    // Another list: what the old one said no longer holds.
    this.last = undefined;
    clearTimeout(this.timer);
    this.start();
  }

  /**
   * Whether the network worked at `since` (epoch ms) or later: the last check's answer if it
   * started since then, else that of a new check (or the one running). Always true when no
   * connectivity targets are configured.
   */
  async okSince(since: number): Promise<boolean> {
    if (!this.configured()) return true;
    if (this.last && this.last.started >= since) return this.last.ok;
    return this.check();
  }

  /** Checks every connectivity target now (joins a check already running). */
  check(): Promise<boolean> {
    if (!this.configured()) return Promise.resolve(true);
    return this.flight.run('check', () => this.checkAll());
  }

  private start(): void {
    if (!this.configured() || this.closing.signal.aborted) return;
    void this.check();
  }

  private async checkAll(): Promise<boolean> {
    clearTimeout(this.timer);
    const config = this.config;
    const started = Date.now();
    const results = await Promise.all(config.targets.map((t) => this.one(oneOffTarget(t, t.name, t.address))));
    const ok = results.some((r) => r.success);
    if (this.config === config && !this.closing.signal.aborted) {
      const was = this.last?.ok;
      this.last = { started, ended: Date.now(), ok };
      if (!ok && was !== false) {
        const failures = config.targets.map((t, i) => ({ target: t.name, reason: results[i]!.reason, message: results[i]!.message }));
        this.logger.warn({ failures }, 'connectivity lost: no connectivity target answers; failed checks are held and no target is declared down until one does');
      } else if (ok && was === false) {
        this.logger.info('connectivity is back: failed checks count again');
      }
      this.timer = setTimeout(() => void this.check(), config.interval * 1000);
      this.timer.unref();
    }
    return ok;
  }

  /** One connectivity target, bounded like a scheduled check (a prober fault cannot hang it). */
  private async one(target: ReturnType<typeof oneOffTarget>): Promise<ProbeResult> {
    const outcome = await withDeadline(this.run(target, this.closing.signal), { ms: target.timeout * 1000 + WATCHDOG_GRACE_MS });
    if (outcome.done) return outcome.value;
    return { success: false, reason: 'timeout', message: 'no result within the timeout', durationSeconds: target.timeout, phases: {} };
  }

  /** tocsin_probe_connectivity_ok: absent when not configured, or before the first check ends. */
  collect(registry: Registry): void {
    if (!this.configured() || !this.last) return;
    gauge(registry, 'tocsin_probe_connectivity_ok', 'Whether a connectivity target answered at the last check (1) or none did (0): while 0, failed checks are held and no target is declared down.').set(this.last.ok ? 1 : 0);
    gauge(registry, 'tocsin_probe_connectivity_last_check_timestamp_seconds', 'When the last connectivity check ended, in Unix seconds.').set(this.last.ended / 1000);
  }

  close(): void {
    this.closing.abort();
    clearTimeout(this.timer);
  }
}
