// What happens to a notification between "Alertmanager posted it" and "it is safe":
// dedupe, suppression, routing, then one outbox entry per destination, fsynced before
// the caller answers 200. Anything that throws here makes the HTTP layer answer 5xx, so
// Alertmanager keeps the notification and retries.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ChannelStore } from './channels.js';
import { notificationKey } from './dedupe.js';
import type { RelayMetrics } from './metrics.js';
import type { Outbox } from './outbox/index.js';
import { withoutSuppressed, type Router } from './routing.js';
import type { DuplicateWindow } from './replica-state/duplicates.js';
import type { AlertmanagerNotification, OutboxEntry } from './types.js';

export type IntakeResult =
  | { readonly outcome: 'accepted'; readonly destinations: readonly string[] }
  | { readonly outcome: 'duplicate' }
  | { readonly outcome: 'suppressed'; readonly reason: string };

export interface IntakeDeps {
  readonly outbox: Outbox;
  readonly router: Router;
  readonly channels: ChannelStore;
  /** This relay's duplicate window, or the one replicas share (replica-state/duplicates.ts). */
  readonly duplicates: DuplicateWindow;
  readonly metrics: RelayMetrics;
  readonly suppressLabel: string;
  readonly logger: Logger;
  /** Wakes the dispatcher once entries are stored. */
  readonly kick: () => void;
}

export class Intake {
  constructor(private deps: IntakeDeps) {}

  /** Routes, default destinations and the suppress label from a reloaded config. */
  reconfigure(change: Pick<IntakeDeps, 'router' | 'suppressLabel'>): void {
    this.deps = { ...this.deps, ...change };
  }

  async accept(n: AlertmanagerNotification): Promise<IntakeResult> {
    const { metrics, duplicates } = this.deps;
    metrics.countReceived(n.receiver, n.status);
    const wanted = withoutSuppressed(n, this.deps.suppressLabel);
    if (!wanted) {
      metrics.suppressed.inc({ reason: 'label' });
      return { outcome: 'suppressed', reason: `every alert has ${this.deps.suppressLabel}="false"` };
    }
    // The key of what is stored (not of what was posted), so the outbox's pending entries give
    // the same keys back after a restart.
    const key = notificationKey(wanted);

    // A claim is a promise to store the notification or to release the claim.
    const claim = await duplicates.claim(key);
    if (claim.outcome === 'duplicate') {
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
      await claim.release();
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
    try {
      await this.deps.outbox.append(entries);
    } catch (err) {
      await claim.release();
      throw err;
    }
    await claim.commit();
    this.deps.kick();
    return { outcome: 'accepted', destinations: targets.map((t) => t.destination) };
  }
}
