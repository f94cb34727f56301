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

export interface IncidentOptions {
  readonly severity?: string;
  readonly startsAt?: string;
  /** The resolved alerts' endsAt. */
  readonly endsAt?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

/**
 * One alert group (`alertname`, grouped by it) as Alertmanager posts it while the incident goes on:
 * one alert per instance with its status; the notification fires while any alert does.
 */
export function incidentNotification(alertname: string, alerts: Readonly<Record<string, 'firing' | 'resolved'>>, o: IncidentOptions = {}): AlertmanagerNotification {
  const severity = o.severity ?? 'critical';
  const list = Object.entries(alerts).map(([instance, status]) => ({
    status,
    labels: { alertname, instance, severity },
    annotations: { ...(o.annotations ?? {}) },
    startsAt: o.startsAt ?? '2026-11-30T06:00:00Z',
    endsAt: status === 'resolved' ? (o.endsAt ?? '2026-11-30T06:12:00Z') : '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus.example:9090/graph?g0.expr=up',
    fingerprint: `${alertname}-${instance}`,
  }));
  return {
    version: '4',
    groupKey: `{}:{alertname="${alertname}"}`,
    truncatedAlerts: 0,
    status: list.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    receiver: 'relay',
    groupLabels: { alertname },
    commonLabels: { alertname, severity },
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example:9093',
    alerts: list,
  };
}
