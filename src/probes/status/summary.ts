// The JSON the status page polls (GET /api/v1/status and /api/v1/status/{name}): each target's
// settings, state, latency now, uptime over 24 h and 7 d, the last state change and failure
// in words, and its last hour of latency a minute a point. Built from what is in memory on
// each request: no Prometheus needed. Graph latencies are rounded (ms below) and an hour
// without failures sends no failure counts, to keep 1,000 targets' graphs small on the wire.
import type { DeclaredTarget } from '../api-routes.js';
import type { OpenWindow } from '../maintenance.js';
import type { TargetStatus } from '../state.js';
import type { StatusHistory } from './history.js';
import { reasonText } from './reasons.js';

const DAY = 86_400;
/** The page never polls faster than this, nor slower than MAX_REFRESH (seconds). */
const MIN_REFRESH = 1;
const MAX_REFRESH = 10;

export interface StatusSources {
  /** Every declared target, paused ones included. */
  readonly targets: () => readonly DeclaredTarget[];
  readonly status: (name: string) => TargetStatus | undefined;
  readonly history: StatusHistory;
  /** The maintenance window open for a target now, if any. */
  readonly maintenance?: (name: string) => OpenWindow | undefined;
}

/** Milliseconds to three significant digits at most (0.1 ms below 10 ms): enough for a graph, a third of the bytes. */
const ms = (seconds: number) => {
  const v = seconds * 1000;
  return v < 10 ? Math.round(v * 10) / 10 : v < 1000 ? Math.round(v) : Math.round(v / 10) * 10;
};
const ratio = (r: number | null) => (r === null ? null : Math.round(r * 1e6) / 1e6);

export function targetSummary(d: DeclaredTarget, s: TargetStatus | undefined, o: StatusSources, now: number) {
  const t = d.target;
  const history = o.history;
  const window = o.maintenance?.(t.name);
  const h = history.get(t.name);
  const minutes = h?.minutes(now) ?? [];
  const failure = h?.lastFailure;
  const day = h?.uptime(now, DAY);
  const week = h?.uptime(now, 7 * DAY);
  return {
    name: t.name,
    type: t.type,
    address: t.address,
    environment: t.environment,
    labels: t.labels,
    notify: t.notify,
    interval: t.interval,
    timeout: t.timeout,
    failure_threshold: t.failure_threshold,
    success_threshold: t.success_threshold,
    source: d.source,
    ...(d.discoverySource !== undefined ? { discovery_source: d.discoverySource } : {}),
    paused: d.paused,
    /** An open maintenance window: checks go on, alerts do not fire. */
    maintenance: window ? { until: Math.round(window.untilMs / 1000), ...(window.name !== undefined ? { window: window.name } : {}) } : null,
    // A paused target is not checked: it has no current state (as /api/v1/targets/{name}/status).
    state: d.paused ? 'paused' : (s?.state ?? 'unknown'),
    last_check: s?.lastCheck ?? null,
    last_state_change: s?.lastChange ?? null,
    /** The last check failed while this machine was offline, so it was not counted. */
    held: s?.held ? { at: s.held.at, reason: s.held.reason, reason_text: reasonText(s.held.reason) } : null,
    /** The duration of the last check, and whether it succeeded (a failed check's duration is no latency). */
    latency_seconds: s?.last?.durationSeconds ?? null,
    last_success: s?.last?.success ?? null,
    /** When uptime counting began for this target (its first check since the exporter started). */
    since: h?.since ?? null,
    uptime_24h: ratio(day?.ratio ?? null),
    uptime_7d: ratio(week?.ratio ?? null),
    checks_24h: Math.round(day?.checks ?? 0),
    checks_7d: Math.round(week?.checks ?? 0),
    last_failure: failure ? { at: failure.at, reason: failure.reason, reason_text: reasonText(failure.reason), message: failure.message } : null,
    /**
     * The last hour, a minute a point, oldest first: mean latency of successful checks (ms,
     * null without one) and failed checks (left out when there were none).
     */
    minutes: {
      start: minutes[0]?.at ?? null,
      latency_ms: minutes.map((m) => (m.meanSeconds === null ? null : ms(m.meanSeconds))),
      ...(minutes.some((m) => m.failures > 0) ? { failures: minutes.map((m) => m.failures) } : {}),
    },
  };
}

export type TargetSummary = ReturnType<typeof targetSummary>;

export function statusSummary(o: StatusSources, now: number) {
  const declared = o.targets();
  const intervals = declared.filter((d) => !d.paused).map((d) => d.target.interval);
  const fastest = intervals.length > 0 ? Math.min(...intervals) : MAX_REFRESH;
  return {
    now,
    /** How often the page polls: the fastest target's interval, within 1..10 s. */
    refresh_seconds: Math.min(MAX_REFRESH, Math.max(MIN_REFRESH, Math.ceil(fastest))),
    targets: declared.map((d) => targetSummary(d, o.status(d.target.name), o, now)),
  };
}

/** One target with its recent checks (newest last), or undefined when no such target is declared. */
export function targetDetail(o: StatusSources, name: string, now: number) {
  const d = o.targets().find((x) => x.target.name === name);
  if (!d) return undefined;
  const s = o.status(name);
  return {
    now,
    refresh_seconds: Math.min(MAX_REFRESH, Math.max(MIN_REFRESH, Math.ceil(d.target.interval))),
    target: targetSummary(d, s, o, now),
    recent: (s?.history() ?? []).map((c) => ({
      at: c.at,
      success: c.success,
      latency_ms: ms(c.durationSeconds),
      ...(c.reason ? { reason: c.reason, reason_text: reasonText(c.reason) } : {}),
    })),
  };
}
