// Alertmanager retries a webhook it thinks failed, and two Alertmanager replicas both
// notify; both arrive here as the same notification. Same group key, same status and
// the same alerts (fingerprint and status) within the window = a duplicate.
import { createHash } from 'node:crypto';
import type { AlertmanagerNotification } from './types.js';

const MAX_KEYS = 50_000; // bounds memory under a flood; the oldest keys go first

export function notificationKey(n: AlertmanagerNotification): string {
  // Alertmanager always sends fingerprints; other senders may not, so fall back to the labels.
  const id = (a: AlertmanagerNotification['alerts'][number]) =>
    a.fingerprint || JSON.stringify(Object.entries(a.labels).sort(([x], [y]) => (x < y ? -1 : 1)));
  const alerts = n.alerts.map((a) => `${id(a)}:${a.status}`).sort();
  return createHash('sha256').update(JSON.stringify([n.groupKey, n.receiver, n.status, alerts])).digest('base64url');
}

export class Deduper {
  // Map keeps insertion order, so the first keys are the oldest.
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when an identical notification was accepted within the window. */
  isDuplicate(key: string): boolean {
    const at = this.seen.get(key);
    return at !== undefined && this.now() - at < this.windowMs;
  }

  /** Records an accepted notification (call only once it is durably stored). */
  remember(key: string): void {
    const now = this.now();
    this.seen.delete(key);
    this.seen.set(key, now);
    for (const [k, at] of this.seen) {
      if (this.seen.size <= MAX_KEYS && now - at < this.windowMs) break;
      this.seen.delete(k);
    }
  }
}
