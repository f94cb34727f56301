// A probe result as series: blackbox_exporter's names where it has them (so its dashboards
// and rules carry over), tocsin_probe_* for the rest. Written once for the scheduled targets
// (the collector) and for one-off checks (/probe).
import type { Registry } from 'prom-client';
import { plainFamily, type PlainSample } from '../collectors/collector.js';
import type { ProbeTargetConfig } from '../config/probes.js';
import type { Phase, ProbeResult } from './probers/prober.js';
import { TARGET_STATES, type TargetStatus } from './state.js';

const PHASES: readonly Phase[] = ['resolve', 'connect', 'tls', 'processing', 'transfer'];
const HTTP_TYPES = new Set(['http', 'https']);

type Labels = Record<string, string>;

/** target, type, environment, the configured labels, and notify="false" when notifications are off. */
export function targetLabels(config: ProbeTargetConfig): Labels {
  return {
    ...config.labels,
    target: config.name,
    type: config.type,
    ...(config.environment !== '' ? { environment: config.environment } : {}),
    ...(config.notify ? {} : { notify: 'false' }),
  };
}

/**
 * The families of `results`, each labelled with `labels` (may be empty: /probe). Written as
 * plain values (collectors/collector.ts plainFamily), not prom-client Gauges: 1,000 targets are
 * some 22,000 samples a scrape, and a Gauge's label validation, hashing and copies per sample
 * were most of a scrape's time and garbage (bench/probes.ts).
 */
export class ProbeFamilies {
  private readonly families = new Map<string, PlainSample[]>();

  constructor(private readonly registry: Registry) {}

  private set(name: string, help: string, labels: Labels, value: number): void {
    let values = this.families.get(name);
    if (!values) {
      values = [];
      this.families.set(name, values);
      plainFamily(this.registry, name, help, 'gauge', values);
    }
    values.push({ labels, value });
  }

  /** blackbox_exporter's series of one check. */
  result(config: ProbeTargetConfig, r: ProbeResult, labels: Labels): void {
    this.set('probe_success', 'Whether the last check succeeded (1) or failed (0).', labels, r.success ? 1 : 0);
    this.set('probe_duration_seconds', 'How long the last check took, in seconds.', labels, r.durationSeconds);
    if (r.phases.resolve !== undefined) this.set('probe_dns_lookup_time_seconds', 'How long the DNS lookup took, in seconds.', labels, r.phases.resolve);
    if (r.ipProtocol !== undefined) this.set('probe_ip_protocol', 'IP protocol version of the connection (4 or 6).', labels, r.ipProtocol);
    if (HTTP_TYPES.has(config.type)) {
      for (const phase of PHASES) {
        this.set('probe_http_duration_seconds', 'Duration of an HTTP request by phase, summed over all redirects.', { ...labels, phase }, r.phases[phase] ?? 0);
      }
      this.set('probe_http_status_code', 'HTTP status code of the last response, 0 without one.', labels, r.httpStatus ?? 0);
      this.set('probe_http_content_length', 'Content-Length of the last response (-1 without one).', labels, r.contentLength ?? 0);
      this.set('probe_http_uncompressed_body_length', 'Length of the last response body, in bytes.', labels, r.bodyBytes ?? 0);
      this.set('probe_failed_due_to_regex', 'Whether the check failed because the body did not match (1) or not (0).', labels, r.reason === 'body_mismatch' ? 1 : 0);
      this.set('probe_http_redirects', 'Number of redirects followed.', labels, r.redirects ?? 0);
      this.set('probe_http_ssl', 'Whether TLS was used for the final response (1) or not (0).', labels, r.httpSsl ? 1 : 0);
      if (r.httpVersion !== undefined) this.set('probe_http_version', 'HTTP version of the last response.', labels, r.httpVersion);
    }
    if (r.tls) {
      this.set('probe_ssl_earliest_cert_expiry', 'Earliest expiry of the peer certificate chain, in Unix seconds.', labels, r.tls.earliestExpiry);
      this.set('probe_tls_version_info', 'TLS version of the connection.', { ...labels, version: r.tls.version }, 1);
      this.set('tocsin_probe_tls_certificate_info', "Subject and issuer of the peer's certificate.", { ...labels, subject: r.tls.subject, issuer: r.tls.issuer }, 1);
    }
  }

  /** tocsin_probe_maintenance: 1 while a maintenance window is open for the target (src/probes/maintenance.ts). */
  maintenance(labels: Labels, open: boolean): void {
    this.set('tocsin_probe_maintenance', 'Whether a maintenance window is open for the target (1) or not (0); checks go on, the shipped rules stay silent.', labels, open ? 1 : 0);
  }

  /** Tocsin's own series of a scheduled target. */
  status(s: TargetStatus, labels: Labels): void {
    for (const state of TARGET_STATES) {
      this.set('tocsin_probe_state', 'State of the target after the failure and success thresholds (one series per state; 1 for the current one).', { ...labels, state }, s.state === state ? 1 : 0);
    }
    this.set('tocsin_probe_consecutive_failures', 'Failed checks in a row (0 after a success).', labels, s.consecutiveFailures);
    if (s.lastCheck !== undefined) this.set('tocsin_probe_last_check_timestamp_seconds', 'When the last check ended, in Unix seconds.', labels, s.lastCheck);
    if (s.lastChange !== undefined) this.set('tocsin_probe_last_state_change_timestamp_seconds', 'When the state last changed, in Unix seconds.', labels, s.lastChange);
    this.set('tocsin_probe_interval_seconds', 'How often the target is checked.', labels, s.config.interval);
    const r = s.last;
    if (r && !r.success && r.reason) {
      this.set('tocsin_probe_failure_info', 'Why the last check failed (1 while it fails; the reason is one of a fixed set).', { ...labels, reason: r.reason }, 1);
    }
  }
}
