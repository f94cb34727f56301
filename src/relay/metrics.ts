// The relay's own series, created once on a long-lived registry (the process's self registry):
// counters must keep counting across scrapes. Label values stay bounded: `destination` comes from
// the configuration, `reason` from a fixed set (notifier.ts FailureReason plus DeadReason below),
// `status` is firing|resolved. `receiver` comes from the request body (whatever a client posts),
// so only the first MAX_RECEIVERS distinct values get their own series; later ones count under
// `other` (see countReceived).
//
// What counts what:
// - messages_delivered_total: Slack messages confirmed (a digest is one message);
//   delivery_latency_seconds_count: notifications (outbox entries) confirmed; together with
//   dead_letters_total this accounts for every entry that left the outbox.
// - messages_failed_total: failed attempts, whatever happened next; retries_total: attempts
//   scheduled again after a failure (429 included); slack_rate_limited_total: 429 answers.
// - redeliveries_total: entries sent again after a restart although an earlier attempt may have
//   reached Slack (the done-mark was lost): possible duplicates in the channel.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { FAILURE_REASONS, type FailureReason } from './notifier.js';

/** Why an entry was dead-lettered: the last failure, or one of the relay's own reasons. */
export type DeadReason = FailureReason | 'destinationRemoved' | 'formatError';

/** What the outbox gauges read on each scrape (Outbox implements it). */
export interface OutboxGaugeSource {
  depth(): number;
  oldestAcceptedAt(): number | undefined;
  deadLetterCount(): number;
  stats(): { readonly rejectedRecords: number; readonly writeFailing: boolean; readonly unwrittenMarks: number };
}

/** Distinct `receiver` label values before the rest are counted as `other`. */
export const MAX_RECEIVERS = 100;
/** Longer receiver names count as `other` too: a label value is not a place for a posted essay. */
const MAX_RECEIVER_LENGTH = 128;
export const OTHER_RECEIVER = 'other';

export const DELIVERY_LATENCY_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

export class RelayMetrics {
  readonly received: Counter<'receiver' | 'status'>;
  readonly rejected: Counter<'reason'>;
  readonly suppressed: Counter<'reason'>;
  readonly duplicates: Counter;
  readonly delivered: Counter<'destination'>;
  readonly failed: Counter<'destination' | 'reason'>;
  readonly retries: Counter<'destination'>;
  readonly deadLettered: Counter<'destination' | 'reason'>;
  readonly rateLimited: Counter<'destination'>;
  readonly digests: Counter<'destination'>;
  readonly redeliveries: Counter<'destination'>;
  readonly deliveryLatency: Histogram<'destination'>;
  readonly deadLetters: Gauge;
  readonly outboxDepth: Gauge;
  readonly outboxOldestAge: Gauge;
  readonly outboxRejectedRecords: Gauge;
  readonly outboxWriteFailing: Gauge;
  readonly outboxUnwrittenMarks: Gauge;

  private source: OutboxGaugeSource | undefined;
  private readonly destinations = new Set<string>();
  private readonly receivers = new Set<string>();

  /** Registers the relay's metrics on `registry`; call once per registry. */
  constructor(registry: Registry, opts: { now?: () => number } = {}) {
    const now = opts.now ?? Date.now;
    const registers = [registry];
    this.received = new Counter({
      name: 'tocsin_relay_notifications_received_total',
      help: 'Alertmanager notifications received, by receiver and group status.',
      labelNames: ['receiver', 'status'] as const,
      registers,
    });
    this.rejected = new Counter({
      name: 'tocsin_relay_notifications_rejected_total',
      help: 'Alertmanager notifications answered with an error status, by reason.',
      labelNames: ['reason'] as const,
      registers,
    });
    this.suppressed = new Counter({
      name: 'tocsin_relay_notifications_suppressed_total',
      help: 'Alertmanager notifications accepted but deliberately not forwarded, by reason.',
      labelNames: ['reason'] as const,
      registers,
    });
    this.duplicates = new Counter({
      name: 'tocsin_relay_duplicates_total',
      help: 'Alertmanager notifications recognised as duplicates of one already accepted.',
      registers,
    });
    this.delivered = new Counter({
      name: 'tocsin_relay_messages_delivered_total',
      help: 'Messages confirmed by the destination (a digest counts once), by destination.',
      labelNames: ['destination'] as const,
      registers,
    });
    this.failed = new Counter({
      name: 'tocsin_relay_messages_failed_total',
      help: 'Failed delivery attempts, by destination and reason.',
      labelNames: ['destination', 'reason'] as const,
      registers,
    });
    this.retries = new Counter({
      name: 'tocsin_relay_retries_total',
      help: 'Delivery attempts scheduled again after a failure, by destination.',
      labelNames: ['destination'] as const,
      registers,
    });
    this.deadLettered = new Counter({
      name: 'tocsin_relay_dead_letters_total',
      help: 'Notifications given up on and moved to the dead letters, by destination and reason.',
      labelNames: ['destination', 'reason'] as const,
      registers,
    });
    this.rateLimited = new Counter({
      name: 'tocsin_relay_slack_rate_limited_total',
      help: 'HTTP 429 answers from Slack, by destination.',
      labelNames: ['destination'] as const,
      registers,
    });
    this.digests = new Counter({
      name: 'tocsin_relay_digests_total',
      help: 'Digest messages (several notifications merged into one) delivered, by destination.',
      labelNames: ['destination'] as const,
      registers,
    });
    this.redeliveries = new Counter({
      name: 'tocsin_relay_redeliveries_total',
      help: 'Notifications sent again after a restart although an earlier attempt may have reached the destination.',
      labelNames: ['destination'] as const,
      registers,
    });
    this.deliveryLatency = new Histogram({
      name: 'tocsin_relay_delivery_latency_seconds',
      help: 'Time from accepting a notification to its confirmation by the destination, by destination.',
      labelNames: ['destination'] as const,
      buckets: DELIVERY_LATENCY_BUCKETS,
      registers,
    });
    // Gauges read the outbox on collect; collect must never throw (it would fail the whole scrape).
    const self = this;
    this.deadLetters = new Gauge({
      name: 'tocsin_relay_dead_letters',
      help: 'Dead letters currently kept by the outbox.',
      registers,
      collect() {
        this.set(self.read((s) => s.deadLetterCount()));
      },
    });
    this.outboxDepth = new Gauge({
      name: 'tocsin_relay_outbox_depth',
      help: 'Notifications accepted and not yet delivered or dead-lettered.',
      registers,
      collect() {
        this.set(self.read((s) => s.depth()));
      },
    });
    this.outboxOldestAge = new Gauge({
      name: 'tocsin_relay_outbox_oldest_age_seconds',
      help: 'Age of the oldest notification waiting in the outbox; 0 when it is empty.',
      registers,
      collect() {
        this.set(
          self.read((s) => {
            const oldest = s.oldestAcceptedAt();
            return oldest === undefined ? 0 : Math.max(0, (now() - oldest) / 1000);
          }),
        );
      },
    });
    this.outboxRejectedRecords = new Gauge({
      name: 'tocsin_relay_outbox_rejected_records',
      help: 'Records of the outbox log that could not be read when it was opened (skipped; a copy is kept beside the log).',
      registers,
      collect() {
        this.set(self.read((s) => s.stats().rejectedRecords));
      },
    });
    this.outboxWriteFailing = new Gauge({
      name: 'tocsin_relay_outbox_write_failing',
      help: '1 while the outbox log cannot be written (e.g. the disk is full): new notifications are answered 503.',
      registers,
      collect() {
        this.set(self.read((s) => (s.stats().writeFailing ? 1 : 0)));
      },
    });
    this.outboxUnwrittenMarks = new Gauge({
      name: 'tocsin_relay_outbox_unwritten_marks',
      help: 'Delivery marks kept in memory because the outbox log could not be written; retried until written.',
      registers,
      collect() {
        this.set(self.read((s) => s.stats().unwrittenMarks));
      },
    });
  }

  /** Counts a received notification; its receiver gets a series of its own while there is room. */
  countReceived(receiver: string, status: string): void {
    if (!this.receivers.has(receiver) && this.receivers.size < MAX_RECEIVERS && receiver.length <= MAX_RECEIVER_LENGTH && receiver !== OTHER_RECEIVER) {
      this.receivers.add(receiver);
    }
    this.received.inc({ receiver: this.receivers.has(receiver) ? receiver : OTHER_RECEIVER, status });
  }

  /** Lets the gauges read this outbox on every scrape. */
  watchOutbox(source: OutboxGaugeSource): void {
    this.source = source;
  }

  /** Starts a destination's series at 0 so rate() and absence alerts work from the first scrape. */
  initDestination(destination: string): void {
    if (this.destinations.has(destination)) return;
    this.destinations.add(destination);
    const d = { destination };
    this.delivered.inc(d, 0);
    this.retries.inc(d, 0);
    this.rateLimited.inc(d, 0);
    this.digests.inc(d, 0);
    this.redeliveries.inc(d, 0);
    for (const reason of FAILURE_REASONS) this.failed.inc({ destination, reason }, 0);
  }

  private read(f: (s: OutboxGaugeSource) => number): number {
    if (!this.source) return 0;
    try {
      const v = f(this.source);
      return Number.isFinite(v) ? v : 0;
    } catch {
      return 0;
    }
  }
}
