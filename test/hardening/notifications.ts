// Alertmanager notifications for the hardening tests, each identified by a unique label value
// (hx_id) that is in its group labels and so in the Slack message title: a single message and a
// digest line both show it, so each notification is found in whatever message it arrives.
import type { RecordedRequest } from '../helpers/fake-slack.js';

/** hx-<tag>-<4 digits>. */
export const HX_ID = /hx-[a-z]+-\d{4}/g;
export const hxId = (tag: string, i: number) => `hx-${tag}-${String(i).padStart(4, '0')}`;

// One start for every alert: a retry of a notification is the same body, startsAt included.
const STARTS_AT = new Date(Date.now() - 60_000).toISOString();

/** A firing notification for `id`; `padding` characters of annotation make its record bigger. */
export function notification(id: string, i: number, padding = 0) {
  const labels = { alertname: 'Hardening', hx_id: id, severity: 'warning' };
  return {
    version: '4',
    groupKey: `{}:{alertname="Hardening", hx_id="${id}"}`,
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'relay',
    groupLabels: { alertname: 'Hardening', hx_id: id },
    commonLabels: labels,
    commonAnnotations: padding > 0 ? { description: 'p'.repeat(padding) } : {},
    externalURL: 'http://alertmanager.example:9093',
    alerts: [
      {
        status: 'firing',
        labels,
        annotations: {},
        startsAt: STARTS_AT,
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: '',
        fingerprint: (0x1000_0000 + i).toString(16),
      },
    ],
  };
}

export interface Tally {
  /** id -> messages Slack answered 200 that carried it. */
  readonly delivered: Map<string, number>;
  /** id -> every request that reached Slack with it (hung, slow, refused included). */
  readonly received: Map<string, number>;
}

/** What reached the fake Slack on `path`, per notification id. */
export function tally(requests: readonly RecordedRequest[], path: string): Tally {
  const delivered = new Map<string, number>();
  const received = new Map<string, number>();
  for (const r of requests) {
    if (r.path !== path) continue;
    for (const id of new Set(r.rawBody.match(HX_ID) ?? [])) {
      received.set(id, (received.get(id) ?? 0) + 1);
      if (r.status === 200) delivered.set(id, (delivered.get(id) ?? 0) + 1);
    }
  }
  return { delivered, received };
}

/** accepted / delivered / lost / duplicates, for t.comment. */
export function figures(accepted: readonly string[], t: Tally): { text: string; lost: number; duplicates: number } {
  const lost = accepted.filter((id) => !t.delivered.has(id)).length;
  // A notification Slack received more than once (a post that timed out but arrived, then its retry).
  const duplicates = accepted.filter((id) => (t.received.get(id) ?? 0) > 1 && (t.delivered.get(id) ?? 0) >= 1).length;
  const deliveredTwice = accepted.filter((id) => (t.delivered.get(id) ?? 0) > 1).length;
  return {
    text: `accepted ${accepted.length}, delivered ${accepted.length - lost}, lost ${lost}, duplicates ${duplicates} (received more than once), answered 200 more than once ${deliveredTwice}`,
    lost,
    duplicates,
  };
}

/** p-th percentile (0..100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
