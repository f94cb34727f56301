// HTTP(S) probe: one request per hop on a connection of its own (connect.ts times and bounds
// every phase), redirects followed by hand so each hop's phases count and a loop ends after
// MAX_REDIRECTS, then the checks on the last response: status, body regex, JSON condition,
// response time. The body is read to its end under the same deadline, so a server that
// trickles bytes forever fails with a timeout.
import { request, type IncomingMessage } from 'node:http';
import type { ProbeTargetConfig } from '../../config/probes.js';
import { jsonConditionProblem } from '../json-condition.js';
import { addPhase, asFailure, connect, untilAborted, type Phases } from './connect.js';
import { ProbeFailure, type ProbeResult, type Prober, type TlsInfo } from './prober.js';

/** Go's http.Client and blackbox_exporter stop after 10 redirects. */
export const MAX_REDIRECTS = 10;
/** Enough of a health page to match against; the rest is read and dropped. */
const MAX_BODY_BYTES = 1024 * 1024;

const since = (start: number) => (performance.now() - start) / 1000;

interface HttpState {
  tls?: TlsInfo;
  ipProtocol?: 4 | 6;
  status?: number;
  version?: number;
  length?: number;
  bodyBytes?: number;
  redirects: number;
  ssl?: boolean;
}

interface Hop {
  readonly response: IncomingMessage;
  readonly body: string;
}

export const probeHttp: Prober = async (target, signal) => {
  const started = performance.now();
  const phases: Phases = {};
  const state: HttpState = { redirects: 0 };
  const result = (fields: Partial<ProbeResult> & { success: boolean }): ProbeResult => ({
    durationSeconds: since(started),
    phases,
    redirects: state.redirects,
    ...(state.ipProtocol ? { ipProtocol: state.ipProtocol } : {}),
    ...(state.status !== undefined ? { httpStatus: state.status } : {}),
    ...(state.version !== undefined ? { httpVersion: state.version } : {}),
    ...(state.length !== undefined ? { contentLength: state.length } : {}),
    ...(state.bodyBytes !== undefined ? { bodyBytes: state.bodyBytes } : {}),
    ...(state.ssl !== undefined ? { httpSsl: state.ssl } : {}),
    ...(state.tls ? { tls: state.tls } : {}),
    ...fields,
  });
  try {
    let url = new URL(target.address);
    let hop: Hop;
    for (;;) {
      hop = await fetchOnce(url, target, phases, signal, state);
      const { response } = hop;
      const location = response.headers.location;
      if (!location || response.statusCode! < 300 || response.statusCode! >= 400) break;
      // Counted even when not followed, as blackbox_exporter does (its Go client saw it).
      if (!target.http.follow_redirects) {
        state.redirects += 1;
        break;
      }
      // The one refused counts too: blackbox_exporter reports 11 for a loop.
      state.redirects += 1;
      if (state.redirects > MAX_REDIRECTS) throw new ProbeFailure('too_many_redirects', `stopped after ${MAX_REDIRECTS} redirects`);
      url = new URL(location, url);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ProbeFailure('http_status', `redirected to a ${url.protocol} URL`);
    }
    check(target, hop);
    const took = since(started);
    const ceiling = target.http.max_response_time;
    if (ceiling !== undefined && took > ceiling) return result({ success: false, reason: 'too_slow', message: `answered in ${took.toFixed(3)}s, over ${ceiling}s` });
    return result({ success: true });
  } catch (err) {
    const failure = asFailure(err);
    return result({ success: false, reason: failure.reason, message: failure.message });
  }
};

function check(target: ProbeTargetConfig, { response, body }: Hop): void {
  const status = response.statusCode!;
  const valid = target.http.valid_status_codes;
  if (valid.length ? !valid.includes(status) : status < 200 || status > 299) {
    throw new ProbeFailure('http_status', `status ${status}${valid.length ? `, expected ${valid.join(', ')}` : ', expected 2xx'}`);
  }
  if (target.http.body_regex !== undefined && !new RegExp(target.http.body_regex).test(body)) {
    throw new ProbeFailure('body_mismatch', `the body does not match /${target.http.body_regex}/`);
  }
  if (target.http.json_condition) {
    const problem = jsonConditionProblem(target.http.json_condition, body);
    if (problem) throw new ProbeFailure('json_condition', problem);
  }
}

/** The Authorization header from the target's secrets (never logged: headers are not). */
function authorization(target: ProbeTargetConfig): Record<string, string> {
  return authorizationHeader(target.http);
}

/** The Authorization header from resolved credentials (probe targets, discovery sources). */
export function authorizationHeader({ basicAuth, bearerToken }: Pick<ProbeTargetConfig['http'], 'basicAuth' | 'bearerToken'>): Record<string, string> {
  if (basicAuth) return { authorization: `Basic ${Buffer.from(`${basicAuth.username}:${basicAuth.password.reveal()}`).toString('base64')}` };
  if (bearerToken) return { authorization: `Bearer ${bearerToken.reveal()}` };
  return {};
}

async function fetchOnce(
  url: URL,
  target: ProbeTargetConfig,
  phases: Phases,
  signal: AbortSignal,
  state: HttpState,
): Promise<Hop> {
  const secure = url.protocol === 'https:';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(url.port) || (secure ? 443 : 80);
  const conn = await connect({ host, port, ...(secure ? { tls: target.tls, alpn: ['http/1.1'] } : {}) }, phases, signal, (info) => (state.tls = info));
  state.ipProtocol = conn.ipProtocol;
  state.ssl = secure;
  const wantsBody = target.http.body_regex !== undefined || target.http.json_condition !== undefined;
  let start = performance.now();
  const req = request({
    createConnection: () => conn.socket,
    method: target.http.method,
    path: `${url.pathname}${url.search}`,
    headers: { host: url.host, 'user-agent': 'Tocsin probe', ...target.http.headers, ...authorization(target) },
  });
  const destroy = () => {
    req.destroy();
    conn.socket.destroy();
  };
  try {
    const response = await untilAborted(
      signal,
      new Promise<IncomingMessage>((ok, fail) => {
        req.once('response', ok);
        req.once('error', fail);
        req.end(target.http.body);
      }),
      destroy,
    );
    addPhase(phases, 'processing', since(start));
    state.status = response.statusCode;
    state.version = Number(response.httpVersion);
    const length = Number(response.headers['content-length']);
    state.length = Number.isFinite(length) && response.headers['content-length'] !== undefined ? length : -1;
    start = performance.now();
    const chunks: Buffer[] = [];
    let kept = 0;
    await untilAborted(
      signal,
      new Promise<void>((ok, fail) => {
        state.bodyBytes = 0;
        response.on('data', (chunk: Buffer) => {
          state.bodyBytes! += chunk.length;
          if (wantsBody && kept < MAX_BODY_BYTES) {
            chunks.push(chunk);
            kept += chunk.length;
          }
        });
        response.once('end', ok);
        response.once('error', fail);
        response.once('aborted', () => fail(new ProbeFailure('connection_reset', 'the connection closed in the middle of the body')));
      }),
      destroy,
    );
    addPhase(phases, 'transfer', since(start));
    return { response, body: Buffer.concat(chunks).toString('utf8') };
  } finally {
    conn.socket.destroy();
  }
}
