// A one-alert firing notification as Alertmanager 0.25 posts it, for relay tests that need
// many distinct ones: grouped by every label but severity, so each label set is its own group.
import type { AlertmanagerNotification } from '../../src/relay/types.js';

export interface FiringOptions {
  /** The alert's startsAt (default now); a retry of the same firing keeps it. */
  readonly startsAt?: string;
  readonly fingerprint?: string;
}

export function firingNotification(labels: Readonly<Record<string, string>>, o: FiringOptions = {}): AlertmanagerNotification {
  const { severity: _severity, ...group } = labels;
  const key = Object.entries(group)
    .map(([k, v]) => `${k}="${v}"`)
    .join(', ');
  return {
    version: '4',
    groupKey: `{}:{${key}}`,
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'relay',
    groupLabels: group,
    commonLabels: { ...labels },
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example:9093',
    alerts: [
      {
        status: 'firing',
        labels: { ...labels },
        annotations: {},
        startsAt: o.startsAt ?? new Date().toISOString(),
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: '',
        fingerprint: o.fingerprint ?? key,
      },
    ],
  };
}
