// The one function type every prober implements (blackbox_exporter's ProbeFn): a target in,
// a plain result out. A prober never throws for the target's sake: every way a target can
// fail is a result with one reason from a small fixed set, which becomes a label value.
import type { ProbeTargetConfig } from '../../config/probes.js';

export const FAILURE_REASONS = [
  'timeout',
  'dns',
  'connection_refused',
  'connection_reset',
  'tls',
  'tls_expired',
  'http_status',
  'too_many_redirects',
  'body_mismatch',
  'json_condition',
  'too_slow',
  'websocket_handshake',
  'websocket_no_reply',
  'tcp_no_reply',
  // Push targets (src/probes/push.ts): no heartbeat in time, or a heartbeat saying it failed.
  'push_missing',
  'push_failure',
  'error',
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

/** blackbox_exporter's phase names (probe_http_duration_seconds{phase}). */
export type Phase = 'resolve' | 'connect' | 'tls' | 'processing' | 'transfer';

export interface TlsInfo {
  /** "TLS 1.3", as blackbox_exporter's probe_tls_version_info{version}. */
  readonly version: string;
  /** The earliest notAfter of the peer's chain, in Unix seconds. */
  readonly earliestExpiry: number;
  readonly subject: string;
  readonly issuer: string;
}

export interface ProbeResult {
  readonly success: boolean;
  readonly reason?: FailureReason;
  /** Words for people (the status API, logs); never a label. */
  readonly message?: string;
  readonly durationSeconds: number;
  /** Seconds per phase, summed over redirects. */
  readonly phases: Partial<Record<Phase, number>>;
  readonly ipProtocol?: 4 | 6;
  readonly httpStatus?: number;
  readonly httpVersion?: number;
  /** The Content-Length header of the last response, -1 without one (as Go's http.Response). */
  readonly contentLength?: number;
  readonly redirects?: number;
  /** Bytes of the last response body as received (blackbox_exporter's uncompressed length: nothing is decompressed here). */
  readonly bodyBytes?: number;
  /** Whether the last HTTP response came over TLS. */
  readonly httpSsl?: boolean;
  readonly tls?: TlsInfo;
}

export type Prober = (target: ProbeTargetConfig, signal: AbortSignal) => Promise<ProbeResult>;

/** A failure, the reason first so no call site forgets it. */
export class ProbeFailure extends Error {
  constructor(
    readonly reason: FailureReason,
    message: string,
  ) {
    super(message);
  }
}
