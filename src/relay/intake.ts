// What happens to a notification between "Alertmanager posted it" and "it is safe":
// dedupe, suppression, routing, then one outbox entry per destination, fsynced before
// the caller answers 200. Anything that throws here makes the HTTP layer answer 5xx, so
// Alertmanager keeps the notification and retries.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ChannelStore } from './channels.js';
import { Deduper, notificationKey } from './dedupe.js';
import type { RelayMetrics } from './metrics.js';
import type { Outbox } from './outbox/index.js';
import { withoutSuppressed, type Router } from './routing.js';
import type { AlertmanagerNotification, OutboxEntry } from './types.js';

export type IntakeResult =
  | { readonly outcome: 'accepted'; readonly destinations: readonly string[] }
  | { readonly outcome: 'duplicate' }
  | { readonly outcome: 'suppressed'; readonly reason: string };

export interface IntakeDeps {
  readonly outbox: Outbox;
  readonly router: Router;
  readonly channels: ChannelStore;
  readonly deduper: Deduper;
  readonly metrics: RelayMetrics;
  readonly suppressLabel: string;
  readonly logger: Logger;
  /** Wakes the dispatcher once entries are stored. */
  readonly kick: () => void;
}

export class Intake {
  // Keys being stored right now: a replica's copy arriving mid-fsync is a duplicate too.
  private readonly storing = new Set<string>();

  constructor(private readonly deps: IntakeDeps) {}

  async accept(n: AlertmanagerNotification): Promise<IntakeResult> {
    const { metrics, deduper } = this.deps;
    metrics.countReceived(n.receiver, n.status);
    const wanted = withoutSuppressed(n, this.deps.suppressLabel);
    if (!wanted) {
      metrics.suppressed.inc({ reason: 'label' });
      return { outcome: 'suppressed', reason: `every alert has ${this.deps.suppressLabel}="false"` };
    }
    // The key of what is stored (not of what was posted), so the outbox's pending entries give
    // the same keys back after a restart.
    const key = notificationKey(wanted);
    const storingId = `${key.group} ${key.content}`;
    if (this.storing.has(storingId) || deduper.isDuplicate(key)) {
      metrics.duplicates.inc();
      return { outcome: 'duplicate' };
    }

    const targets = this.deps.router.route(wanted).filter((t) => {
      const channel = this.deps.channels.get(t.destination);
      if (channel?.enabled) return true;
      metrics.suppressed.inc({ reason: channel ? 'destination_disabled' : 'destination_unknown' });
      return false;
    });
    if (targets.length === 0) {
      return { outcome: 'suppressed', reason: 'no enabled destination' };
    }

    const acceptedAt = Date.now();
    const entries: OutboxEntry[] = targets.map((t) => ({
      id: randomUUID(),
      acceptedAt,
      destination: t.destination,
      presentation: t.presentation,
      notification: wanted,
    }));
    this.storing.add(storingId);
    try {
      await this.deps.outbox.append(entries);
    } finally {
      this.storing.delete(storingId);
    }
    deduper.remember(key);
    this.deps.kick();
    return { outcome: 'accepted', destinations: targets.map((t) => t.destination) };
  }
}
