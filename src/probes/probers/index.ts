// Which prober checks which target type: a plain map, as blackbox_exporter's.
import type { ProbeType } from '../../config/probes.js';
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
};

/** One check of `target` bounded by its timeout (and by `signal`, e.g. on shutdown). */
export function runProbe(target: Parameters<Prober>[0], signal?: AbortSignal): Promise<ReturnType<Prober> extends Promise<infer R> ? R : never> {
  // Rounded: seconds from a duration such as 1005ms times 1000 is 1004.9999…, and
  // AbortSignal.timeout() throws on a fraction.
  const timeout = AbortSignal.timeout(Math.round(target.timeout * 1000));
  return PROBERS[target.type](target, signal ? AbortSignal.any([timeout, signal]) : timeout);
}
