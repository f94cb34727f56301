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
// The incident began 13 minutes before the test run and resolves a minute before it (12 minutes
// long): relative to now, so "resolved less than reuse_thread_within ago" holds whenever the
// tests run (fixed timestamps turned into a failure an hour after they were written).
const INCIDENT_START = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 13 * 60_000).toISOString();
const INCIDENT_END = new Date(Date.parse(INCIDENT_START) + 12 * 60_000).toISOString();

export function incidentNotification(alertname: string, alerts: Readonly<Record<string, 'firing' | 'resolved'>>, o: IncidentOptions = {}): AlertmanagerNotification {
  const severity = o.severity ?? 'critical';
  const list = Object.entries(alerts).map(([instance, status]) => ({
    status,
    labels: { alertname, instance, severity },
    annotations: { ...(o.annotations ?? {}) },
    startsAt: o.startsAt ?? INCIDENT_START,
    endsAt: status === 'resolved' ? (o.endsAt ?? INCIDENT_END) : '0001-01-01T00:00:00Z',
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
