// Which prober checks which target type: a plain map, as blackbox_exporter's.
import type { ProbeType } from '../../config/probes.js';
import { withSignal } from '../../util/signals.js';
import type { Prober } from './prober.js';
import { probeHttp } from './http.js';
import { probeTcp } from './tcp.js';
import { probeWebSocket } from './websocket.js';

export const PROBERS: Record<ProbeType, Prober> = {
  http: probeHttp,
  https: probeHttp,
  websocket: probeWebSocket,
  ws: probeWebSocket,
  wss: probeWebSocket,
  tcp: probeTcp,
  // Never called by the scheduler (a push target's state comes from its heartbeats, see
  // src/probes/push.ts); here so every type has an entry.
  push: async () => ({ success: false, reason: 'error', message: 'a push target is not checked: it calls POST /api/v1/push/{name}', durationSeconds: 0, phases: {} }),
};

/** One check of `target` bounded by its timeout (and by `signal`, e.g. on shutdown). */
export function runProbe(target: Parameters<Prober>[0], signal?: AbortSignal): Promise<ReturnType<Prober> extends Promise<infer R> ? R : never> {
  // Not AbortSignal.any([AbortSignal.timeout(…)]): after a garbage collection that never
  // fires in Node 20, and a server that never answers would hold the check forever.
  return withSignal([signal], target.timeout * 1000, (bounded) => PROBERS[target.type](target, bounded));
}
