// Alertmanager retries a webhook it thinks failed, and two Alertmanager replicas both
// notify; both arrive here as the same notification. A notification is a duplicate when it
// is identical (same group, status, and alerts by fingerprint, status and startsAt) to the
// last one accepted for its group, within the window.
//
// "The last one for its group", not "any one seen in the window": firing -> resolved ->
// firing again within the window repeats an earlier notification's content, and it is news.
// Alertmanager sends a group's notifications one after another, so a retry of an earlier one
// never arrives after a later one was accepted. startsAt is in the key because a re-fired alert
// starts again (a new startsAt) even when its fingerprint and status are the same.
import { createHash } from 'node:crypto';
import type { AlertmanagerNotification } from './types.js';

const MAX_GROUPS = 50_000; // bounds memory under a flood; the oldest groups go first

export interface NotificationKey {
  /** Which conversation the notification belongs to: receiver and Alertmanager's group key. */
  readonly group: string;
  /** What it says: status and each alert's identity, status and start. */
  readonly content: string;
}

export function notificationKey(n: AlertmanagerNotification): NotificationKey {
  // Alertmanager always sends fingerprints; other senders may not, so fall back to the labels.
  const id = (a: AlertmanagerNotification['alerts'][number]) =>
    a.fingerprint || JSON.stringify(Object.entries(a.labels).sort(([x], [y]) => (x < y ? -1 : 1)));
  const alerts = n.alerts.map((a) => JSON.stringify([id(a), a.status, a.startsAt])).sort();
  const hash = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('base64url');
  return { group: hash([n.receiver, n.groupKey]), content: hash([n.status, alerts]) };
}

export class Deduper {
  /** Per group: the content last accepted and when. */
  private readonly last = new Map<string, { readonly content: string; readonly at: number }>();
  // Groups in the order they were remembered, evicted from `head`: a queue, because asking a
  // Map for its oldest key after many deletions walks over every deleted slot first.
  private order: { readonly group: string; readonly at: number }[] = [];
  private head = 0;

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when the same content was the last accepted for its group, within the window. */
  isDuplicate(key: NotificationKey): boolean {
    const last = this.last.get(key.group);
    return last !== undefined && last.content === key.content && this.now() - last.at < this.windowMs;
  }

  /** Records an accepted notification (call only once it is durably stored). */
  remember(key: NotificationKey): void {
    const now = this.now();
    this.last.set(key.group, { content: key.content, at: now });
    this.order.push({ group: key.group, at: now });
    while (this.head < this.order.length && (this.last.size > MAX_GROUPS || now - this.order[this.head]!.at >= this.windowMs)) {
      const oldest = this.order[this.head++]!;
      // A group remembered again later has a newer entry further back: keep it.
      if (this.last.get(oldest.group)?.at === oldest.at) this.last.delete(oldest.group);
    }
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
  }

  get size(): number {
    return this.last.size;
  }
}
