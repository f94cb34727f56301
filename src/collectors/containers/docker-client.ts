// The Docker Engine API as the container collector uses it, through dockerode: where the
// engine is (a unix socket or tcp with TLS, from the config or DOCKER_HOST as the docker CLI
// reads it), the five calls the collector makes, each bounded by a timeout, and failures
// described in one stable sentence for the log and the scrape error.
//
// The calls: GET /_ping (every scrape: "did the engine answer?"), GET /containers/json and
// GET /containers/{id}/json (the state cache, on events and resyncs, never per scrape),
// GET /events (one long-lived stream, no timeout) and GET /containers/{id}/stats with
// stream=false&one-shot=true (only for containers whose cgroups the exporter cannot see,
// in the background). Podman's Docker-compatible socket answers the same calls.
import { readFileSync } from 'node:fs';
import Dockerode from 'dockerode';
import { scopedSignal } from '../../util/signals.js';

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';
/** Bound on every request except the events stream. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;

export interface TlsFiles {
  readonly ca_file?: string | undefined;
  readonly cert_file?: string | undefined;
  readonly key_file?: string | undefined;
}

export interface EngineEndpoint {
  /** The engine's address for messages: unix:///var/run/docker.sock, tcp://host:2376. */
  readonly display: string;
  readonly socketPath?: string;
  readonly host?: string;
  readonly port?: number;
  readonly tls?: { readonly ca?: string; readonly cert?: string; readonly key?: string };
}

export class EngineConfigError extends Error {
  override readonly name = 'EngineConfigError';
}

/**
 * Where the engine is: `dockerHost` (the config's docker_host), else $DOCKER_HOST, else the
 * local socket. TLS material comes from `tls` (file paths), else, like the docker CLI, from
 * $DOCKER_CERT_PATH/{ca,cert,key}.pem when $DOCKER_TLS_VERIFY is set and the address came
 * from the environment. Pure except for reading the TLS files.
 */
export function resolveEndpoint(
  dockerHost: string | undefined,
  tls: TlsFiles | undefined,
  env: NodeJS.ProcessEnv = process.env,
  read: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): EngineEndpoint {
  const fromEnv = dockerHost === undefined || dockerHost === '';
  const address = fromEnv ? env.DOCKER_HOST || `unix://${DEFAULT_DOCKER_SOCKET}` : dockerHost;
  if (address.startsWith('/')) return { display: `unix://${address}`, socketPath: address };
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new EngineConfigError(`docker_host ${JSON.stringify(address)} is not an address such as unix:///var/run/docker.sock or tcp://host:2376`);
  }
  if (url.protocol === 'unix:') {
    const path = decodeURIComponent(url.pathname) || DEFAULT_DOCKER_SOCKET;
    return { display: `unix://${path}`, socketPath: path };
  }
  if (url.protocol !== 'tcp:' && url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new EngineConfigError(`docker_host scheme ${url.protocol.replace(/:$/, '')} is not supported (use unix:// or tcp://)`);
  }
  const files = tlsFiles(tls, fromEnv, env);
  const load = (key: string, path: string | undefined) => {
    if (!path) return {};
    try {
      return { [key]: read(path) };
    } catch (err) {
      throw new EngineConfigError(`docker TLS ${key} file ${path}: ${(err as Error).message}`);
    }
  };
  const material = files && { ...load('ca', files.ca_file), ...load('cert', files.cert_file), ...load('key', files.key_file) };
  const secure = material !== undefined || url.protocol === 'https:';
  const port = url.port ? Number(url.port) : secure ? 2376 : 2375;
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  return {
    display: `tcp://${url.hostname}:${port}`,
    host: hostname,
    port,
    ...(secure ? { tls: material ?? {} } : {}),
  };
}

function tlsFiles(tls: TlsFiles | undefined, fromEnv: boolean, env: NodeJS.ProcessEnv): TlsFiles | undefined {
  if (tls && (tls.ca_file || tls.cert_file || tls.key_file)) return tls;
  const certPath = env.DOCKER_CERT_PATH;
  if (fromEnv && certPath && env.DOCKER_TLS_VERIFY && env.DOCKER_TLS_VERIFY !== '0') {
    return { ca_file: `${certPath}/ca.pem`, cert_file: `${certPath}/cert.pem`, key_file: `${certPath}/key.pem` };
  }
  return undefined;
}

/**
 * One sentence saying why the engine did not answer, the same for the same cause, so the
 * scrape engine (which logs when a collector's error changes) logs it once.
 */
export function describeEngineError(err: unknown, endpoint: Pick<EngineEndpoint, 'display' | 'socketPath'>, timedOutMs?: number): string {
  const where = `Docker engine at ${endpoint.display}`;
  if (timedOutMs !== undefined) return `${where} did not answer within ${timedOutMs} ms (engine hung or overloaded)`;
  const e = err as NodeJS.ErrnoException & { statusCode?: number; json?: { message?: string } };
  switch (e?.code) {
    case 'ENOENT':
      return `${where}: socket ${endpoint.socketPath ?? ''} does not exist (is the engine running?)`;
    case 'EACCES':
    case 'EPERM':
      return `${where}: permission denied on the socket (the exporter needs read and write access to it, see docs/containers.md)`;
    case 'ECONNREFUSED':
      return `${where}: connection refused (is the engine running?)`;
    case 'ECONNRESET':
    case 'EPIPE':
      return `${where}: connection reset by the engine`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${where}: host name not found`;
    case 'ETIMEDOUT':
      return `${where}: connection timed out`;
    default:
      break;
  }
  if (typeof e?.statusCode === 'number') {
    return `${where}: HTTP ${e.statusCode}${e.json?.message ? ` (${e.json.message})` : ''}`;
  }
  const message = (e as Error)?.message ?? String(err);
  return `${where}: ${message}`;
}

/** GET /containers/json entries, the fields the cache uses. */
export interface ListedContainer {
  readonly Id: string;
  readonly State?: string;
}

/** The parts of GET /events lines the cache uses. */
export interface EngineEvent {
  readonly Type?: string;
  readonly Action?: string;
  readonly id?: string;
  readonly Actor?: { readonly ID?: string };
  /** Unix seconds / nanoseconds. */
  readonly time?: number;
  readonly timeNano?: number;
}

/**
 * Container events that change what the collector reports. Not exec_* (a health check makes
 * three every interval), nor kill and stop (die carries the state change). Podman's compat
 * API filters on its own names ("died"; "remove" where Docker says "destroy") and sends
 * "die" and "remove"; Docker ignores names it does not have.
 */
export const WATCHED_EVENTS = [
  'create',
  'start',
  'restart',
  'die',
  'died',
  'oom',
  'pause',
  'unpause',
  'rename',
  'update',
  'destroy',
  'remove',
  'health_status',
] as const;

/** Events after which the container no longer exists. */
export const REMOVAL_EVENTS: readonly string[] = ['destroy', 'remove'];


// dockerode's runtime accepts an abortSignal on every call; its typings do not say so.
interface DockerodeCalls {
  ping(opts: { abortSignal: AbortSignal }): Promise<unknown>;
  listContainers(opts: { all: boolean; abortSignal: AbortSignal }): Promise<unknown>;
  getEvents(opts: { filters: string; abortSignal: AbortSignal }): Promise<NodeJS.ReadableStream>;
  getContainer(id: string): {
    inspect(opts: { abortSignal: AbortSignal }): Promise<unknown>;
    stats(opts: { stream: false; 'one-shot': boolean; abortSignal: AbortSignal }): Promise<unknown>;
  };
}

/** Thrown by EngineClient calls; `message` is describeEngineError's sentence. */
export class EngineError extends Error {
  override readonly name = 'EngineError';
  constructor(
    message: string,
    readonly statusCode: number | undefined,
  ) {
    super(message);
  }
}

export class EngineClient {
  private readonly docker: DockerodeCalls;

  constructor(
    readonly endpoint: EngineEndpoint,
    private readonly requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS,
  ) {
    const options: Dockerode.DockerOptions = endpoint.socketPath
      ? { socketPath: endpoint.socketPath }
      : {
          host: endpoint.host,
          port: endpoint.port,
          protocol: endpoint.tls ? 'https' : 'http',
          ...(endpoint.tls?.ca ? { ca: endpoint.tls.ca } : {}),
          ...(endpoint.tls?.cert ? { cert: endpoint.tls.cert } : {}),
          ...(endpoint.tls?.key ? { key: endpoint.tls.key } : {}),
        };
    this.docker = new Dockerode(options) as unknown as DockerodeCalls;
  }

  /** Resolves when the engine answers GET /_ping within `timeoutMs`. */
  ping(signal?: AbortSignal, timeoutMs = this.requestTimeoutMs): Promise<void> {
    return this.call(signal, timeoutMs, (abortSignal) => this.docker.ping({ abortSignal })).then(() => undefined);
  }

  async listContainers(signal?: AbortSignal): Promise<ListedContainer[]> {
    const list = await this.call(signal, this.requestTimeoutMs, (abortSignal) => this.docker.listContainers({ all: true, abortSignal }));
    return Array.isArray(list) ? (list as ListedContainer[]) : [];
  }

  /** GET /containers/{id}/json; undefined when the container no longer exists. */
  async inspect(id: string, signal?: AbortSignal): Promise<unknown> {
    try {
      return await this.call(signal, this.requestTimeoutMs, (abortSignal) => this.docker.getContainer(id).inspect({ abortSignal }));
    } catch (err) {
      if (err instanceof EngineError && err.statusCode === 404) return undefined;
      throw err;
    }
  }

  /** One stats sample without the second, one-second-later sample `docker stats` waits for. */
  async statsOnce(id: string, signal?: AbortSignal): Promise<unknown> {
    try {
      return await this.call(signal, this.requestTimeoutMs, (abortSignal) =>
        this.docker.getContainer(id).stats({ stream: false, 'one-shot': true, abortSignal }),
      );
    } catch (err) {
      if (err instanceof EngineError && err.statusCode === 404) return undefined;
      throw err;
    }
  }

  /**
   * The container events stream (newline-delimited JSON), open until `signal` aborts or the
   * engine closes it. Only the wait for the response headers is bounded (a hung engine
   * accepts the connection and never answers); the stream itself may stay quiet for hours.
   */
  async events(signal: AbortSignal): Promise<NodeJS.ReadableStream> {
    const filters = JSON.stringify({ type: ['container'], event: WATCHED_EVENTS });
    const headers = new AbortController();
    const timer = setTimeout(() => headers.abort(), this.requestTimeoutMs);
    // Follows `signal` for as long as the stream is open, and no longer (events() is called
    // again after every reconnect: listeners left on `signal` would pile up).
    const scoped = scopedSignal([signal, headers.signal]);
    try {
      const stream = await this.docker.getEvents({ filters, abortSignal: scoped.signal });
      const release = () => scoped.dispose();
      stream.once('close', release).once('end', release).once('error', release);
      return stream;
    } catch (err) {
      scoped.dispose();
      throw this.wrap(err, headers.signal.aborted ? this.requestTimeoutMs : undefined);
    } finally {
      clearTimeout(timer);
    }
  }

  private async call<T>(signal: AbortSignal | undefined, timeoutMs: number, f: (s: AbortSignal) => Promise<T>): Promise<T> {
    // Not AbortSignal.any with AbortSignal.timeout: that one never fires after a GC in Node 20.
    const scoped = scopedSignal([signal], timeoutMs);
    try {
      return await f(scoped.signal);
    } catch (err) {
      throw this.wrap(err, scoped.timedOut() ? timeoutMs : undefined);
    } finally {
      scoped.dispose();
    }
  }

  private wrap(err: unknown, timedOutMs: number | undefined): EngineError {
    if (err instanceof EngineError) return err;
    const statusCode = (err as { statusCode?: unknown })?.statusCode;
    return new EngineError(describeEngineError(err, this.endpoint, timedOutMs), typeof statusCode === 'number' ? statusCode : undefined);
  }
}
