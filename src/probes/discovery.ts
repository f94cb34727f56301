// Targets from discovery sources: HTTP endpoints that serve Prometheus' http_sd format,
//   [{"targets": ["https://shop.example.com/health", ...], "labels": {"environment": "LIVE", ...}}, ...]
// polled every refresh_interval. Each address becomes a target:
// - its type from the `type` label, else target_defaults.type, else its address (http:// and
//   https:// URLs: http; ws:// and wss://: websocket; host:port: tcp);
// - `environment`, `interval`, `timeout` and `notify` labels override target_defaults; labels
//   starting with "__" (Prometheus' __meta_*) are dropped; every other label is a free label;
// - its name is `<source>/<address>` (stable as long as the address is), or the `name` label
//   of a group that lists one address; see discoveredName for addresses that do not fit a name.
// A response is taken whole or not at all: a source that cannot be reached, times out,
// answers anything but 200, serves something that is not an http_sd list, or lists one
// invalid entry keeps its last good list (it never empties it), is reported down with the
// reason in tocsin_probe_discovery_failures_total, and is logged naming the source and the
// problem. The URL is not logged (a token may sit in its query string).
import { createHash } from 'node:crypto';
import { request, type IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { counter, gauge } from '../collectors/collector.js';
import { formatDurationMs } from '../config/duration.js';
import { CHECKED_PROBE_TYPES, probeTargetSchema, type DiscoverySourceConfig, type ProbeTargetConfig, type ProbeType } from '../config/probes.js';
import { SingleFlight } from '../util/single-flight.js';
import { withSignal } from '../util/signals.js';
import { asFailure, connect, untilAborted } from './probers/connect.js';
import { authorizationHeader } from './probers/http.js';

export const DISCOVERY_FAILURE_REASONS = ['timeout', 'connection', 'tls', 'http_status', 'invalid_response', 'invalid_entry'] as const;
export type DiscoveryFailureReason = (typeof DISCOVERY_FAILURE_REASONS)[number];

/** A list of 10,000 targets is well under 2 MB; more than this is not a target list. */
export const MAX_LIST_BYTES = 16 * 1024 * 1024;

/** Labels that set a target's fields instead of becoming free labels. */
export const FIELD_LABELS = ['name', 'type', 'environment', 'interval', 'timeout', 'notify'] as const;

export class DiscoveryError extends Error {
  constructor(
    readonly reason: DiscoveryFailureReason,
    message: string,
  ) {
    super(message);
  }
}

const NAME_CHARS = /[^A-Za-z0-9_.:/-]/g;
const MAX_NAME = 128;

/**
 * `<source>/<address>`, e.g. "inventory/https://shop.example.com/health". An address with
 * characters a name cannot hold (?, =, &, ...), or too long, has them replaced by "_" and gets
 * 8 hex digits of its SHA-256 appended, so two addresses that differ only there stay apart.
 */
export function discoveredName(source: string, address: string): string {
  const plain = `${source}/${address}`;
  const cleaned = plain.replace(NAME_CHARS, '_');
  if (cleaned === plain && plain.length <= MAX_NAME) return plain;
  const hash = createHash('sha256').update(address).digest('hex').slice(0, 8);
  return `${cleaned.slice(0, MAX_NAME - 9)}-${hash}`;
}

/** The type an address implies when neither a label nor target_defaults gives one. */
function typeOf(address: string): ProbeType {
  if (/^https?:\/\//i.test(address)) return 'http';
  if (/^wss?:\/\//i.test(address)) return 'websocket';
  return 'tcp';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** One http_sd document into targets; throws DiscoveryError naming the first bad entry. */
export function parseTargetList(source: DiscoverySourceConfig, text: string): ProbeTargetConfig[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new DiscoveryError('invalid_response', `not JSON (${(err as Error).message.slice(0, 120)})`);
  }
  if (!Array.isArray(data)) throw new DiscoveryError('invalid_response', 'expected a JSON array of {"targets": [...], "labels": {...}} groups');
  const defaults = source.target_defaults;
  const d = defaults.target;
  const out: ProbeTargetConfig[] = [];
  const names = new Set<string>();
  data.forEach((group, i) => {
    const where = `[${i}]`;
    if (!isRecord(group)) throw new DiscoveryError('invalid_entry', `${where}: expected an object with "targets" and "labels"`);
    const { targets, labels = {} } = group;
    if (!Array.isArray(targets) || targets.some((a) => typeof a !== 'string' || a === '')) {
      throw new DiscoveryError('invalid_entry', `${where}.targets: expected an array of addresses (strings)`);
    }
    if (!isRecord(labels) || Object.values(labels).some((v) => typeof v !== 'string')) {
      throw new DiscoveryError('invalid_entry', `${where}.labels: expected an object of string values`);
    }
    const l = labels as Record<string, string>;
    const free: Record<string, string> = {};
    for (const [k, v] of Object.entries(l)) {
      if (!k.startsWith('__') && !(FIELD_LABELS as readonly string[]).includes(k)) free[k] = v;
    }
    if (l.type !== undefined && !(CHECKED_PROBE_TYPES as readonly string[]).includes(l.type)) {
      throw new DiscoveryError('invalid_entry', `${where}.labels.type: expected one of ${CHECKED_PROBE_TYPES.join(', ')} (push targets are not discovered), got ${JSON.stringify(l.type)}`);
    }
    if (l.notify !== undefined && l.notify !== 'true' && l.notify !== 'false') {
      throw new DiscoveryError('invalid_entry', `${where}.labels.notify: expected "true" or "false", got ${JSON.stringify(l.notify)}`);
    }
    if (l.name !== undefined && targets.length !== 1) {
      throw new DiscoveryError('invalid_entry', `${where}.labels.name: a name label needs a group of exactly one target (this one has ${targets.length})`);
    }
    (targets as string[]).forEach((address, j) => {
      const body = {
        name: l.name ?? discoveredName(source.name, address),
        type: (l.type as ProbeType | undefined) ?? defaults.type ?? typeOf(address),
        address,
        environment: l.environment ?? d.environment,
        interval: l.interval ?? formatDurationMs(d.interval * 1000),
        timeout: l.timeout ?? formatDurationMs(d.timeout * 1000),
        retries: d.retries,
        retry_delay: formatDurationMs(d.retry_delay * 1000),
        failure_threshold: d.failure_threshold,
        success_threshold: d.success_threshold,
        notify: l.notify === undefined ? d.notify : l.notify === 'true',
        labels: { ...d.labels, ...free },
      };
      const parsed = probeTargetSchema.safeParse(body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const field = String(issue.path[0] ?? '');
        // Name the label the value came from, or the address.
        const label = field === 'labels' ? String(issue.path[1]) : field in l ? field : undefined;
        const at = label !== undefined ? `${where}.labels.${label}` : `${where}.targets[${j}]${issue.path.length ? ` ${issue.path.join('.')}` : ''}`;
        // A bad label name is reported by zod as an "invalid key" with the reason inside.
        const inner = issue.code === 'invalid_key' ? issue.issues[0]?.message : undefined;
        throw new DiscoveryError('invalid_entry', `${at} (${JSON.stringify(address)}): ${inner ?? issue.message}`);
      }
      if (names.has(parsed.data.name)) throw new DiscoveryError('invalid_entry', `${where}.targets[${j}]: the name ${JSON.stringify(parsed.data.name)} is listed twice`);
      names.add(parsed.data.name);
      // The sections (TLS, HTTP, WebSocket, TCP settings and credentials, maintenance windows) as target_defaults resolved them.
      out.push({ ...parsed.data, tls: d.tls, http: d.http, websocket: d.websocket, tcp: d.tcp, maintenance: d.maintenance });
    });
  });
  return out;
}

/** GET the source's URL: the body of a 200, or a DiscoveryError. */
export async function fetchTargetList(source: DiscoverySourceConfig, signal: AbortSignal): Promise<string> {
  const url = new URL(source.url);
  const secure = url.protocol === 'https:';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(url.port) || (secure ? 443 : 80);
  let socket: { destroy(): void } | undefined;
  try {
    const conn = await connect({ host, port, ...(secure ? { tls: source.tls, alpn: ['http/1.1'] } : {}) }, {}, signal);
    socket = conn.socket;
    const req = request({
      createConnection: () => conn.socket,
      method: 'GET',
      path: `${url.pathname}${url.search}`,
      headers: {
        host: url.host,
        accept: 'application/json',
        'user-agent': 'Tocsin discovery',
        // As Prometheus sends it, so a source can tell how often it is asked.
        'x-prometheus-refresh-interval-seconds': String(source.refresh_interval),
        ...authorizationHeader(source),
      },
    });
    const destroy = () => {
      req.destroy();
      conn.socket.destroy();
    };
    const response = await untilAborted(
      signal,
      new Promise<IncomingMessage>((ok, fail) => {
        req.once('response', ok);
        req.once('error', fail);
        req.end();
      }),
      destroy,
    );
    if (response.statusCode !== 200) {
      response.resume();
      throw new DiscoveryError('http_status', `answered HTTP ${response.statusCode}, expected 200`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    await untilAborted(
      signal,
      new Promise<void>((ok, fail) => {
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_LIST_BYTES) fail(new DiscoveryError('invalid_response', `the list is larger than ${MAX_LIST_BYTES} bytes`));
          else chunks.push(chunk);
        });
        response.once('end', ok);
        response.once('error', fail);
        response.once('aborted', () => fail(new Error('the connection closed in the middle of the body')));
      }),
      destroy,
    );
    return Buffer.concat(chunks).toString('utf8');
  } catch (err) {
    if (err instanceof DiscoveryError) throw err;
    const failure = asFailure(err);
    const reason: DiscoveryFailureReason = failure.reason === 'timeout' ? 'timeout' : failure.reason.startsWith('tls') ? 'tls' : 'connection';
    throw new DiscoveryError(reason, reason === 'timeout' ? `no complete answer within ${source.timeout}s` : failure.message);
  } finally {
    socket?.destroy();
  }
}

interface Source {
  config: DiscoverySourceConfig;
  /** The last good list (undefined until the first good answer) and the text it came from. */
  targets: ProbeTargetConfig[] | undefined;
  text: string | undefined;
  /** Result of the last poll: undefined before the first one ends. */
  up: boolean | undefined;
  lastSuccess: number | undefined;
  readonly failures: Map<DiscoveryFailureReason, number>;
  timer: NodeJS.Timeout | undefined;
  removed: boolean;
}

export interface DiscoveredTarget {
  readonly target: ProbeTargetConfig;
  /** The discovery source's name. */
  readonly source: string;
}

export interface DiscoveryOptions {
  readonly logger: Logger;
  /** Called after a source's list changed (not on every poll). */
  readonly onChange: () => void;
}

export class Discovery {
  private readonly sources = new Map<string, Source>();
  private readonly polls = new SingleFlight<Source, void>();
  private readonly closing = new AbortController();
  /** Discovered names shadowed by another target now, so each is logged once. */
  private shadowed = new Set<string>();

  constructor(
    sources: readonly DiscoverySourceConfig[],
    private readonly options: DiscoveryOptions,
  ) {
    this.reconfigure(sources);
  }

  /**
   * New sources start polling at once; removed ones stop and their targets go; a changed one
   * keeps its last good list (re-read with its new target_defaults) until its next answer.
   */
  reconfigure(configs: readonly DiscoverySourceConfig[]): void {
    const wanted = new Map(configs.map((c) => [c.name, c]));
    for (const [name, s] of this.sources) {
      if (wanted.has(name)) continue;
      s.removed = true;
      clearTimeout(s.timer);
      this.sources.delete(name);
    }
    for (const config of configs) {
      const s = this.sources.get(config.name);
      if (!s) {
        const fresh: Source = { config, targets: undefined, text: undefined, up: undefined, lastSuccess: undefined, failures: new Map(), timer: undefined, removed: false };
        this.sources.set(config.name, fresh);
        void this.poll(fresh.config.name);
        continue;
      }
      if (s.config === config) continue;
      s.config = config;
      if (s.text !== undefined) {
        try {
          s.targets = parseTargetList(config, s.text);
        } catch (err) {
          this.options.logger.warn({ source: config.name, problem: (err as Error).message }, 'discovery source: its last list does not fit the new target_defaults; kept as it was');
        }
      }
      clearTimeout(s.timer);
      void this.poll(config.name);
    }
  }

  /**
   * The discovered targets, without those whose name is `taken` (the config file's and the
   * API's win) or already discovered from an earlier source. Shadowed names are logged once.
   */
  targets(taken: ReadonlySet<string>): ProbeTargetConfig[] {
    return this.withSources(taken).map((d) => d.target);
  }

  /** As targets(), each with the name of the source that lists it. */
  withSources(taken: ReadonlySet<string>): DiscoveredTarget[] {
    const out: DiscoveredTarget[] = [];
    const names = new Set(taken);
    const shadowed = new Set<string>();
    for (const s of this.sources.values()) {
      for (const t of s.targets ?? []) {
        if (names.has(t.name)) {
          shadowed.add(t.name);
          if (!this.shadowed.has(t.name)) {
            this.options.logger.warn({ source: s.config.name, target: t.name }, 'discovered target ignored: a target of the same name comes from the config file, the API or an earlier discovery source, and that one wins');
          }
          continue;
        }
        names.add(t.name);
        out.push({ target: t, source: s.config.name });
      }
    }
    this.shadowed = shadowed;
    return out;
  }

  /** Polls one source now (joins a poll already running); resolves when it has ended. */
  poll(name: string): Promise<void> {
    const s = this.sources.get(name);
    if (!s) return Promise.resolve();
    return this.polls.run(s, () => this.pollOnce(s));
  }

  private async pollOnce(s: Source): Promise<void> {
    clearTimeout(s.timer);
    const config = s.config;
    let changed = false;
    try {
      const text = await withSignal([this.closing.signal], config.timeout * 1000, (signal) => fetchTargetList(config, signal));
      if (s.removed || this.closing.signal.aborted) return;
      const targets = parseTargetList(config, text);
      changed = text !== s.text || s.targets === undefined;
      if (changed) {
        const before = new Set((s.targets ?? []).map((t) => t.name));
        const after = new Set(targets.map((t) => t.name));
        this.options.logger.info(
          { source: config.name, targets: targets.length, added: [...after].filter((n) => !before.has(n)).length, removed: [...before].filter((n) => !after.has(n)).length },
          'discovery source: new target list',
        );
      }
      if (s.up === false) this.options.logger.info({ source: config.name }, 'discovery source answers again');
      s.targets = targets;
      s.text = text;
      s.up = true;
      s.lastSuccess = Date.now() / 1000;
    } catch (err) {
      if (s.removed || this.closing.signal.aborted) return;
      const failure = err instanceof DiscoveryError ? err : new DiscoveryError('connection', (err as Error).message);
      s.up = false;
      s.failures.set(failure.reason, (s.failures.get(failure.reason) ?? 0) + 1);
      this.options.logger.warn(
        { source: config.name, reason: failure.reason, problem: failure.message, kept: s.targets?.length ?? 0 },
        `discovery source ${config.name} failed (${failure.reason}: ${failure.message}); its last good list is kept`,
      );
    } finally {
      if (!s.removed && !this.closing.signal.aborted) {
        s.timer = setTimeout(() => void this.poll(config.name), config.refresh_interval * 1000);
        s.timer.unref();
      }
    }
    if (changed) this.options.onChange();
  }

  /** tocsin_probe_discovery_* of every source. */
  collect(registry: Registry): void {
    if (this.sources.size === 0) return;
    const up = gauge(registry, 'tocsin_probe_discovery_up', 'Whether the last poll of the discovery source succeeded (1) or not (0); its last good list stays in effect.', ['source']);
    const last = gauge(registry, 'tocsin_probe_discovery_last_success_timestamp_seconds', 'When the discovery source last answered with a valid list, in Unix seconds.', ['source']);
    const targets = gauge(registry, 'tocsin_probe_discovery_targets', 'Targets in the last good list of the discovery source.', ['source']);
    const failures = counter(registry, 'tocsin_probe_discovery_failures_total', 'Failed polls of the discovery source, by reason.', ['source', 'reason']);
    for (const s of this.sources.values()) {
      const source = s.config.name;
      if (s.up !== undefined) up.set({ source }, s.up ? 1 : 0);
      if (s.lastSuccess !== undefined) last.set({ source }, s.lastSuccess);
      targets.set({ source }, s.targets?.length ?? 0);
      // Every reason from 0, so rate() sees the first failure.
      for (const reason of DISCOVERY_FAILURE_REASONS) failures.inc({ source, reason }, s.failures.get(reason) ?? 0);
    }
  }

  close(): void {
    this.closing.abort();
    for (const s of this.sources.values()) {
      s.removed = true;
      clearTimeout(s.timer);
    }
    this.sources.clear();
  }
}
