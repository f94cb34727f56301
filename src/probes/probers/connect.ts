// Resolve, connect and (optionally) shake hands, each phase timed and each bounded by the
// check's signal: on abort the socket is destroyed, so a server that accepts and then says
// nothing costs the timeout and not a socket left behind. HTTP, TCP and WebSocket probes
// share it, so all three time phases and classify failures the same way.
import { lookup } from 'node:dns/promises';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { readFile } from 'node:fs/promises';
import { ProbeFailure, type FailureReason, type Phase, type ProbeResult, type TlsInfo } from './prober.js';
import { certificateReason, tlsInfo } from './tls.js';

export interface TlsSettings {
  readonly insecure_skip_verify: boolean;
  readonly ca_file?: string | undefined;
  readonly server_name?: string | undefined;
}

export interface Connection {
  readonly socket: Socket | TLSSocket;
  readonly ipProtocol: 4 | 6;
  readonly tls?: TlsInfo;
}

export type Phases = Partial<Record<Phase, number>>;

/** What a connection-level check (TCP, WebSocket) has learned so far, and its result when it ends. */
export class CheckRecord {
  readonly started = performance.now();
  readonly phases: Phases = {};
  tls: TlsInfo | undefined;
  ipProtocol: 4 | 6 | undefined;

  result(fields: Partial<ProbeResult> & { success: boolean }): ProbeResult {
    return {
      durationSeconds: (performance.now() - this.started) / 1000,
      phases: this.phases,
      ...(this.ipProtocol ? { ipProtocol: this.ipProtocol } : {}),
      ...(this.tls ? { tls: this.tls } : {}),
      ...fields,
    };
  }
}

/** Adds `seconds` to a phase (phases sum over redirects, as blackbox_exporter's). */
export function addPhase(phases: Phases, phase: Phase, seconds: number): void {
  phases[phase] = (phases[phase] ?? 0) + seconds;
}

const since = (start: number) => (performance.now() - start) / 1000;

/** Rejects with a timeout failure when `signal` aborts; `onAbort` releases what is held. */
export function untilAborted<T>(signal: AbortSignal, work: Promise<T>, onAbort: () => void = () => undefined): Promise<T> {
  if (signal.aborted) {
    onAbort();
    work.catch(() => undefined);
    return Promise.reject(timeoutFailure());
  }
  return new Promise<T>((resolve, reject) => {
    const abort = () => {
      onAbort();
      reject(timeoutFailure());
    };
    signal.addEventListener('abort', abort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', abort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', abort);
        reject(e);
      },
    );
  });
}

export function timeoutFailure(): ProbeFailure {
  return new ProbeFailure('timeout', 'no answer within the timeout');
}

/** The reason for a socket error (errno codes from Node). */
export function socketReason(err: unknown): FailureReason {
  if (err instanceof ProbeFailure) return err.reason;
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ECONNREFUSED') return 'connection_refused';
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE') return 'connection_reset';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NODATA' || code === 'EAI_FAIL') return 'dns';
  if (code === 'ETIMEDOUT') return 'timeout';
  if (typeof code === 'string' && (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS'))) return 'tls';
  return 'error';
}

export function asFailure(err: unknown): ProbeFailure {
  if (err instanceof ProbeFailure) return err;
  return new ProbeFailure(socketReason(err), (err as Error)?.message ?? String(err));
}

async function resolve(host: string, signal: AbortSignal): Promise<{ address: string; family: 4 | 6 }> {
  const literal = isIP(host);
  if (literal) return { address: host, family: literal as 4 | 6 };
  try {
    // getaddrinfo cannot be cancelled: on timeout its answer is dropped.
    const found = await untilAborted(signal, lookup(host));
    return { address: found.address, family: found.family as 4 | 6 };
  } catch (err) {
    if (err instanceof ProbeFailure) throw err;
    throw new ProbeFailure('dns', `cannot resolve ${host}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function tcp(address: string, port: number, signal: AbortSignal): Promise<Socket> {
  const socket = netConnect({ host: address, port });
  const connected = new Promise<Socket>((ok, fail) => {
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      ok(socket);
    });
    socket.once('error', (err) => fail(new ProbeFailure(socketReason(err), `connecting to ${address}:${port}: ${err.message}`)));
  });
  return untilAborted(signal, connected, () => socket.destroy());
}

function handshake(socket: Socket, host: string, settings: TlsSettings, ca: Buffer | undefined, alpn: readonly string[] | undefined, signal: AbortSignal): Promise<TLSSocket> {
  const servername = settings.server_name ?? (isIP(host) ? undefined : host);
  // Verification is done here, after the handshake, rather than by Node refusing it: so an
  // expired certificate is still reported (its expiry is the metric that matters), and
  // nothing is ever written to a server that failed verification.
  const secure = tlsConnect({ socket, host: servername ?? host, ...(servername ? { servername } : {}), ...(ca ? { ca } : {}), rejectUnauthorized: false, ...(alpn ? { ALPNProtocols: [...alpn] } : {}) });
  const done = new Promise<TLSSocket>((ok, fail) => {
    secure.once('secureConnect', () => {
      secure.removeAllListeners('error');
      ok(secure);
    });
    secure.once('error', (err) => {
      const reason = socketReason(err);
      fail(new ProbeFailure(reason === 'error' ? 'tls' : reason, `TLS handshake: ${err.message}`));
    });
  });
  return untilAborted(signal, done, () => secure.destroy());
}

export interface ConnectOptions {
  readonly host: string;
  readonly port: number;
  /** Set for a TLS connection. */
  readonly tls?: TlsSettings;
  /** Protocols offered in the handshake (http/1.1 for HTTP and WebSocket; none for raw TCP). */
  readonly alpn?: readonly string[];
}

export async function connect(options: ConnectOptions, phases: Phases, signal: AbortSignal, onTls?: (info: TlsInfo) => void): Promise<Connection> {
  let start = performance.now();
  const { address, family } = await resolve(options.host, signal);
  addPhase(phases, 'resolve', since(start));
  start = performance.now();
  const socket = await tcp(address, options.port, signal);
  addPhase(phases, 'connect', since(start));
  if (!options.tls) return { socket, ipProtocol: family };
  start = performance.now();
  const ca = options.tls.ca_file ? await readFile(options.tls.ca_file) : undefined;
  const secure = await handshake(socket, options.tls.server_name ?? options.host, options.tls, ca, options.alpn, signal);
  addPhase(phases, 'tls', since(start));
  const info = tlsInfo(secure);
  if (info) onTls?.(info);
  if (!options.tls.insecure_skip_verify && !secure.authorized) {
    secure.destroy();
    const code = String(secure.authorizationError ?? 'unknown');
    throw new ProbeFailure(certificateReason(code), `certificate refused: ${code}`);
  }
  return { socket: secure, ipProtocol: family, ...(info ? { tls: info } : {}) };
}
