// How the relay's shared state (Redis, when replicas share it) is doing, told once per outage.
//
// A Redis that is down must not cost notifications: every caller falls back (duplicates are let
// through, threads continue from this replica's own copy or start anew) and reports the failure
// here. Each failed operation is counted (tocsin_relay_shared_state_errors_total{operation}); the
// log gets one line when an outage starts and one when it ends, never one per message, and the
// up gauge says which it is now. Error texts pass through a redactor first: an error must never
// carry the Redis password.
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';

/** What failed: a fixed set, used as a label. */
export type SharedStateOperation = 'duplicates' | 'threads' | 'claims' | 'connection';
const OPERATIONS: readonly SharedStateOperation[] = ['duplicates', 'threads', 'claims', 'connection'];

export class SharedStateHealth {
  private readonly errors: Counter<'operation'>;
  private readonly up: Gauge;
  private downSince: number | undefined;

  constructor(
    registry: Registry,
    private readonly logger: Logger,
    private readonly redact: (text: string) => string,
    private readonly now: () => number = Date.now,
  ) {
    this.errors = new Counter({
      name: 'tocsin_relay_shared_state_errors_total',
      help: 'Operations on the shared state (Redis) that failed; the relay went on without it (duplicates delivered, threads from its own copy).',
      labelNames: ['operation'],
      registers: [registry],
    });
    for (const operation of OPERATIONS) this.errors.labels({ operation }).inc(0);
    this.up = new Gauge({
      name: 'tocsin_relay_shared_state_up',
      help: '1 when the shared state (Redis) answered the last operation, 0 while it is unreachable.',
      registers: [registry],
    });
    this.up.set(1);
  }

  /** An operation failed: counted; the first failure of an outage is logged. */
  failed(operation: SharedStateOperation, err: unknown): void {
    if (operation !== 'connection') this.errors.inc({ operation });
    this.markDown(operation, err);
  }

  /** The connection dropped or could not be made (not counted per reconnect attempt). */
  markDown(operation: SharedStateOperation, err: unknown): void {
    this.up.set(0);
    if (this.downSince !== undefined) return;
    this.downSince = this.now();
    this.logger.warn(
      { operation, error: this.describe(err) },
      'shared state (Redis) unreachable: duplicates across replicas are not detected (they are delivered) and new incidents may get a second Slack thread until it is back',
    );
  }

  /** An operation succeeded: an outage, if one was going on, is over. */
  ok(): void {
    this.up.set(1);
    if (this.downSince === undefined) return;
    const downForMs = this.now() - this.downSince;
    this.downSince = undefined;
    this.logger.info({ downForMs }, 'shared state (Redis) reachable again');
  }

  get isDown(): boolean {
    return this.downSince !== undefined;
  }

  describe(err: unknown): string {
    const text = err instanceof Error ? err.message : String(err);
    return this.redact(text).slice(0, 300);
  }
}
