// The SNS endpoint's own series. Label values come from fixed sets (SNS_TYPES, the outcomes and
// reasons below), never from a request.
import { Counter, type Registry } from 'prom-client';
import { SNS_TYPES } from './message.js';

export const SNS_REJECT_REASONS = ['invalid', 'unsigned', 'signature_version', 'cert_url', 'cert_invalid', 'bad_signature', 'topic', 'stale'] as const;
export type SnsRejectReason = (typeof SNS_REJECT_REASONS)[number];
export const SNS_OUTCOMES = ['accepted', 'duplicate', 'suppressed', 'confirmed', 'logged'] as const;
export type SnsOutcome = (typeof SNS_OUTCOMES)[number];

export class SnsMetrics {
  readonly rejected: Counter<'reason'>;
  readonly messages: Counter<'type' | 'outcome'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.rejected = new Counter({
      name: 'tocsin_relay_sns_rejected_total',
      help: 'Requests to the SNS endpoint refused (400 malformed, 403 unsigned, badly signed, untrusted certificate host, topic not allowed, too old), by reason.',
      labelNames: ['reason'] as const,
      registers,
    });
    this.messages = new Counter({
      name: 'tocsin_relay_sns_messages_total',
      help: 'SNS messages with a verified signature, by type and what became of them.',
      labelNames: ['type', 'outcome'] as const,
      registers,
    });
    // From the first scrape, so rate() and increase() see the first refusal.
    for (const reason of SNS_REJECT_REASONS) this.rejected.inc({ reason }, 0);
    for (const type of SNS_TYPES) this.messages.inc({ type, outcome: type === 'Notification' ? 'accepted' : type === 'SubscriptionConfirmation' ? 'confirmed' : 'logged' }, 0);
  }
}
