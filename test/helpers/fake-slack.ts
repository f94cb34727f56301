// A local stand-in for Slack's incoming webhooks: a real HTTP server on 127.0.0.1, one path per
// webhook (= per channel), answering the way Slack does (see src/relay/slack/webhook.ts for the
// sources): 200 `ok`; 429 `rate_limited` with Retry-After in seconds; 500 `rollup_error`; 400
// invalid_payload / invalid_blocks / no_text / too_many_attachments; 403 invalid_token /
// action_prohibited; 404 channel_not_found / no_service; 410 channel_is_archived. It records every
// request, and each path can be told how to answer, including hanging forever and failing N times.
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** Slack's error strings for incoming webhooks and the status it sends with each. */
export const SLACK_ERRORS = {
  invalid_payload: 400,
  invalid_blocks: 400,
  no_text: 400,
  too_many_attachments: 400,
  user_not_found: 400,
  invalid_token: 403,
  action_prohibited: 403,
  team_disabled: 403,
  channel_not_found: 404,
  no_service: 404,
  no_team: 404,
  channel_is_archived: 410,
  rollup_error: 500,
} as const;
export type SlackErrorCode = keyof typeof SLACK_ERRORS;

export type FakeSlackMode =
  | { readonly kind: 'ok' }
  /** 200 with a body other than `ok` (a proxy or portal in between). */
  | { readonly kind: 'okBody'; readonly body: string }
  /** 429; Retry-After in seconds (default 1), or with `httpDate` as the date that many seconds ahead. */
  | { readonly kind: 'rateLimited'; readonly retryAfterSeconds?: number; readonly httpDate?: boolean }
  | { readonly kind: 'serverError'; readonly status?: number; readonly body?: string }
  /** One of Slack's error answers with its real status. */
  | { readonly kind: 'slackError'; readonly error: SlackErrorCode }
  /** A redirect (a webhook URL that moved, a proxy's login page), with an optional Location. */
  | { readonly kind: 'redirect'; readonly status: 301 | 302 | 303 | 307 | 308; readonly location?: string }
  /** Never answers (until the server closes). */
  | { readonly kind: 'hang' }
  /** Answers like `then` (default ok), but only after `delayMs`: a slow Slack or proxy. */
  | { readonly kind: 'slow'; readonly delayMs: number; readonly then?: FakeSlackMode }
  /** Answers `fail` for the first `failures` requests to the path, then `then` (default ok). */
  | { readonly kind: 'failThenOk'; readonly failures: number; readonly fail: FakeSlackMode; readonly then?: FakeSlackMode };

export interface RecordedRequest {
  readonly path: string;
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: string;
  /** Parsed JSON, or undefined when the body is not JSON. */
  readonly body: unknown;
  /** performance.now() when the request was complete. */
  readonly at: number;
  readonly status: number | 'hung';
  /** The Retry-After header sent with the answer, if any. */
  readonly retryAfter?: string;
}

export interface FakeSlackOptions {
  /** Problems with a message (e.g. checkSlackLimits from src/relay/slack/limits.ts): any -> 400 invalid_blocks. */
  readonly validate?: (message: unknown) => string[];
  readonly defaultMode?: FakeSlackMode;
}

export class FakeSlack {
  readonly requests: RecordedRequest[] = [];
  private readonly modes = new Map<string, FakeSlackMode>();
  private readonly counts = new Map<string, number>();
  private readonly sockets = new Set<Socket>();
  private readonly waiters = new Set<() => void>();
  private defaultMode: FakeSlackMode;
  private readonly server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => this.answer(req.url ?? '/', req.method ?? 'GET', req.headers, Buffer.concat(chunks).toString('utf8'), res));
  });

  private constructor(private readonly opts: FakeSlackOptions) {
    this.defaultMode = opts.defaultMode ?? { kind: 'ok' };
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  static async start(opts: FakeSlackOptions = {}): Promise<FakeSlack> {
    const fake = new FakeSlack(opts);
    await new Promise<void>((resolve, reject) => {
      fake.server.once('error', reject);
      fake.server.listen(0, '127.0.0.1', () => resolve());
    });
    return fake;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The webhook URL for a path such as /services/T000/B000/secret. */
  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  setMode(path: string, mode: FakeSlackMode): void {
    this.modes.set(path, mode);
    this.counts.set(path, 0);
  }

  setDefaultMode(mode: FakeSlackMode): void {
    this.defaultMode = mode;
  }

  requestsTo(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  /** Resolves when `predicate` holds for the recorded requests; rejects after timeoutMs. */
  async waitFor(predicate: (reqs: readonly RecordedRequest[]) => boolean, timeoutMs = 3000): Promise<void> {
    if (predicate(this.requests)) return;
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!predicate(this.requests)) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`fake Slack: condition not met within ${timeoutMs} ms (${this.requests.length} requests)`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  /** Waits until `n` requests reached `path`. */
  waitForRequests(path: string, n: number, timeoutMs = 3000): Promise<void> {
    return this.waitFor((reqs) => reqs.filter((r) => r.path === path).length >= n, timeoutMs);
  }

  /** Closes the server and every connection, hanging ones included. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    this.server.closeAllConnections();
    await closed;
  }

  private answer(path: string, method: string, headers: IncomingHttpHeaders, rawBody: string, res: ServerResponse): void {
    const n = (this.counts.get(path) ?? 0) + 1;
    this.counts.set(path, n);
    let mode = this.modes.get(path) ?? this.defaultMode;
    let delayMs = 0;
    while (mode.kind === 'failThenOk' || mode.kind === 'slow') {
      if (mode.kind === 'slow') {
        delayMs += mode.delayMs;
        mode = mode.then ?? { kind: 'ok' };
      } else mode = n <= mode.failures ? mode.fail : (mode.then ?? { kind: 'ok' });
    }

    let body: unknown;
    try {
      body = JSON.parse(rawBody);
    } catch {
      body = undefined;
    }
    const reply = this.reply(mode, method, body);
    const retryAfter = reply?.headers?.['retry-after'];
    this.requests.push({ path, method, headers, rawBody, body, at: performance.now(), status: reply ? reply.status : 'hung', ...(retryAfter !== undefined ? { retryAfter } : {}) });
    for (const w of [...this.waiters]) w();
    if (!reply) return; // hang: the socket stays open until close()
    const send = () => {
      if (res.destroyed) return; // the client gave up (its timeout) or the server closed
      res.writeHead(reply.status, { 'content-type': 'text/html', ...(reply.headers ?? {}) });
      res.end(reply.body);
    };
    if (delayMs > 0) setTimeout(send, delayMs).unref();
    else send();
  }

  private reply(
    mode: Exclude<FakeSlackMode, { kind: 'failThenOk' } | { kind: 'slow' }>,
    method: string,
    body: unknown,
  ): { status: number; body: string; headers?: Record<string, string> } | undefined {
    switch (mode.kind) {
      case 'hang':
        return undefined;
      case 'rateLimited': {
        const seconds = mode.retryAfterSeconds ?? 1;
        const value = mode.httpDate ? new Date(Date.now() + seconds * 1000).toUTCString() : String(seconds);
        return { status: 429, body: 'rate_limited', headers: { 'retry-after': value } };
      }
      case 'serverError':
        return { status: mode.status ?? 500, body: mode.body ?? 'rollup_error' };
      case 'slackError':
        return { status: SLACK_ERRORS[mode.error], body: mode.error };
      case 'okBody':
        return { status: 200, body: mode.body };
      case 'redirect':
        return { status: mode.status, body: '', headers: mode.location === undefined ? {} : { location: mode.location } };
      case 'ok': {
        // Like Slack, check the payload before accepting it.
        if (method !== 'POST') return { status: 405, body: 'invalid_method' };
        if (typeof body !== 'object' || body === null || Array.isArray(body)) return { status: 400, body: 'invalid_payload' };
        const m = body as { text?: unknown; blocks?: unknown; attachments?: unknown };
        if (Array.isArray(m.attachments) && m.attachments.length > 100) return { status: 400, body: 'too_many_attachments' };
        if (typeof m.text !== 'string' && !Array.isArray(m.blocks) && !Array.isArray(m.attachments)) {
          return { status: 400, body: 'no_text' };
        }
        if (this.opts.validate && this.opts.validate(body).length > 0) return { status: 400, body: 'invalid_blocks' };
        return { status: 200, body: 'ok' };
      }
    }
  }
}
