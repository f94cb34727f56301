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
  private readonly seen = new Map<string, number>();
  // Keys in the order they were remembered, evicted from `head`: a queue, because asking a
  // Map for its oldest key after many deletions walks over every deleted slot first.
  private order: { readonly key: string; readonly at: number }[] = [];
  private head = 0;

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
    this.seen.set(key, now);
    this.order.push({ key, at: now });
    while (this.head < this.order.length && (this.seen.size > MAX_KEYS || now - this.order[this.head]!.at >= this.windowMs)) {
      const oldest = this.order[this.head++]!;
      // A key remembered again later has a newer entry further back: keep it.
      if (this.seen.get(oldest.key) === oldest.at) this.seen.delete(oldest.key);
    }
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
  }

  get size(): number {
    return this.seen.size;
  }
}
