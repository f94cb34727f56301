// A local stand-in for Slack's Web API (the methods the Slack app integration uses): a real HTTP
// server on 127.0.0.1 at /api/<method>, answering as Slack does (https://api.slack.com/web):
// - HTTP 200 with {"ok":true,...} or {"ok":false,"error":"code"}: a missing token is not_authed,
//   an unknown one invalid_auth, an unknown channel channel_not_found, chat.update of a message
//   that is not there message_not_found (all with HTTP 200, as Slack sends them);
// - HTTP 429 with Retry-After (seconds) and {"ok":false,"error":"ratelimited"};
// - ts values like "1712345678.000100", unique per message; threads (thread_ts), edits;
// - auth.test (the token check): {"ok":true,"url":...,"team":...,"user":...,"team_id":...,
//   "user_id":...,"bot_id":...} for a known token, {"ok":false,"error":"invalid_auth"} (HTTP 200)
//   for another, not_authed without one. Token checks are recorded apart (authTests), so tests
//   that count posts and edits see only those; plans without a method leave them alone.
// Bodies are read as Slack reads them: form-encoded (what @slack/web-api sends; nested values are
// JSON strings) or JSON. Every call is recorded with its parsed arguments; a reply whose thread_ts
// names no message is accepted (Slack would show it as a lone message) but flagged `orphan`, so
// tests can assert that none ever happens.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ApiCall {
  readonly method: string;
  /** The bearer token sent, if any. */
  readonly token: string | undefined;
  readonly args: Record<string, unknown>;
  readonly status: number | 'hung';
  /** Slack's `error` when the answer was not ok. */
  readonly error: string | undefined;
  /** The ts of the message posted or edited, when ok. */
  readonly ts: string | undefined;
  /** A reply to a thread that does not exist. */
  readonly orphan: boolean;
  readonly at: number;
}

export interface PostedMessage {
  readonly channel: string;
  readonly ts: string;
  readonly threadTs: string | undefined;
  /** The latest text and attachments (after edits). */
  text: string;
  attachments: unknown;
  edits: number;
  deleted: boolean;
}

/** One planned answer for the next matching call. */
export type Planned =
  | { readonly kind: 'error'; readonly error: string }
  | { readonly kind: 'rateLimited'; readonly retryAfterSeconds: number }
  | { readonly kind: 'serverError'; readonly status: number }
  | { readonly kind: 'hang' };

export interface FakeSlackApiOptions {
  /** Bot tokens accepted (default ["xoxb-test-token"]). */
  readonly tokens?: readonly string[];
  /** Channel IDs that exist and the bot may post to (default ["C0123456789"]). */
  readonly channels?: readonly string[];
}

export class FakeSlackApi {
  readonly calls: ApiCall[] = [];
  /** auth.test calls, in order. */
  readonly authTests: ApiCall[] = [];
  readonly messages: PostedMessage[] = [];
  private readonly plans: { method: string | undefined; plan: Planned; skip: number }[] = [];
  private readonly channelErrors = new Map<string, string>();
  private readonly sockets = new Set<Socket>();
  private readonly waiters = new Set<() => void>();
  private seq = 0;
  private readonly server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => this.answer(req.url ?? '/', req.headers, Buffer.concat(chunks).toString('utf8'), res));
  });

  private tokens: readonly string[];

  private constructor(private readonly opts: FakeSlackApiOptions) {
    this.tokens = opts.tokens ?? ['xoxb-test-token'];
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  static async start(opts: FakeSlackApiOptions = {}): Promise<FakeSlackApi> {
    const fake = new FakeSlackApi(opts);
    await new Promise<void>((resolve, reject) => {
      fake.server.once('error', reject);
      fake.server.listen(0, '127.0.0.1', () => resolve());
    });
    return fake;
  }

  /** The base URL for @slack/web-api's slackApiUrl. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/`;
  }

  /**
   * The next `times` calls (of `method`, or of any method) get `plan` instead of the normal answer,
   * after `after` such calls were answered normally.
   */
  plan(plan: Planned, opts: { method?: string; times?: number; after?: number } = {}): void {
    for (let i = 0; i < (opts.times ?? 1); i++) this.plans.push({ method: opts.method, plan, skip: i === 0 ? (opts.after ?? 0) : 0 });
  }

  /** The tokens accepted from now on (a token revoked, an app reinstalled). */
  setTokens(tokens: readonly string[]): void {
    this.tokens = tokens;
  }

  /** Every call naming `channel` answers {"ok":false,"error":error} (not_in_channel, is_archived...). */
  setChannelError(channel: string, error: string | undefined): void {
    if (error === undefined) this.channelErrors.delete(channel);
    else this.channelErrors.set(channel, error);
  }

  /** Someone deleted the message: chat.update answers message_not_found. */
  deleteMessage(ts: string): void {
    const m = this.messages.find((x) => x.ts === ts);
    if (m) m.deleted = true;
  }

  message(ts: string): PostedMessage | undefined {
    return this.messages.find((m) => m.ts === ts && !m.deleted);
  }

  /** Calls answered ok, in order. */
  okCalls(): ApiCall[] {
    return this.calls.filter((c) => c.status === 200 && c.error === undefined);
  }

  async waitFor(predicate: (calls: readonly ApiCall[]) => boolean, timeoutMs = 5000): Promise<void> {
    if (predicate(this.calls)) return;
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!predicate(this.calls)) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`fake Slack API: condition not met within ${timeoutMs} ms (${this.calls.length} calls: ${this.calls.map((c) => `${c.method}:${c.error ?? c.status}`).join(', ')})`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    this.server.closeAllConnections();
    await closed;
  }

  private nextTs(): string {
    this.seq++;
    return `${1712345678 + this.seq}.000100`;
  }

  private answer(url: string, headers: Record<string, string | string[] | undefined>, raw: string, res: ServerResponse): void {
    const method = url.replace(/^\/api\//, '').replace(/\?.*$/, '');
    const args = parseArgs(String(headers['content-type'] ?? ''), raw);
    const auth = String(headers.authorization ?? '');
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : typeof args.token === 'string' ? args.token : undefined;
    const record = (status: number | 'hung', error: string | undefined, ts?: string, orphan = false) => {
      (method === 'auth.test' ? this.authTests : this.calls).push({ method, token, args, status, error, ts, orphan, at: performance.now() });
      for (const w of [...this.waiters]) w();
    };
    const send = (status: number, body: Record<string, unknown>, extra: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...extra });
      res.end(JSON.stringify(body));
    };
    const fail = (error: string) => {
      record(200, error);
      send(200, { ok: false, error });
    };

    const i = this.plans.findIndex((p) => (p.method === undefined ? method !== 'auth.test' : p.method === method));
    if (i >= 0 && this.plans[i]!.skip > 0) this.plans[i]!.skip--;
    else if (i >= 0) {
      const { plan } = this.plans.splice(i, 1)[0]!;
      switch (plan.kind) {
        case 'hang':
          record('hung', undefined);
          return;
        case 'rateLimited':
          record(429, 'ratelimited');
          send(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(plan.retryAfterSeconds) });
          return;
        case 'serverError':
          record(plan.status, undefined);
          res.writeHead(plan.status, { 'content-type': 'text/html' });
          res.end('<html><body>Slack is having trouble</body></html>');
          return;
        case 'error':
          fail(plan.error);
          return;
      }
    }
    if (token === undefined || token === '') return fail('not_authed');
    if (!this.tokens.includes(token)) return fail('invalid_auth');
    if (method === 'auth.test') {
      record(200, undefined);
      send(200, { ok: true, url: 'https://tocsin-test.slack.com/', team: 'Tocsin Test', user: 'tocsin', team_id: 'T0TOCSIN01', user_id: 'U0TOCSIN01', bot_id: 'B0TOCSIN01', is_enterprise_install: false });
      return;
    }
    if (method !== 'chat.postMessage' && method !== 'chat.update') return fail('unknown_method');
    const channel = typeof args.channel === 'string' ? args.channel : '';
    if (channel === '') return fail('channel_not_found');
    const channelError = this.channelErrors.get(channel);
    if (channelError !== undefined) return fail(channelError);
    if (!(this.opts.channels ?? ['C0123456789']).includes(channel)) return fail('channel_not_found');
    const text = typeof args.text === 'string' ? args.text : '';
    if (text === '' && args.blocks === undefined && args.attachments === undefined) return fail('no_text');
    if (text.length > 40_000) return fail('msg_too_long');

    if (method === 'chat.postMessage') {
      const threadTs = typeof args.thread_ts === 'string' ? args.thread_ts : undefined;
      const orphan = threadTs !== undefined && this.message(threadTs) === undefined;
      const ts = this.nextTs();
      const m: PostedMessage = { channel, ts, threadTs, text, attachments: args.attachments, edits: 0, deleted: false };
      this.messages.push(m);
      record(200, undefined, ts, orphan);
      send(200, { ok: true, channel, ts, message: { type: 'message', subtype: 'bot_message', text, ts, ...(threadTs ? { thread_ts: threadTs } : {}) } });
      return;
    }
    // chat.update
    const ts = typeof args.ts === 'string' ? args.ts : '';
    const m = this.messages.find((x) => x.ts === ts && x.channel === channel && !x.deleted);
    if (m === undefined) return fail('message_not_found');
    m.text = text;
    m.attachments = args.attachments;
    m.edits++;
    record(200, undefined, ts);
    send(200, { ok: true, channel, ts, text, message: { type: 'message', text, edited: { ts: this.nextTs() } } });
  }
}

/** Form fields (nested values as JSON strings, as @slack/web-api sends them) or a JSON body. */
function parseArgs(contentType: string, raw: string): Record<string, unknown> {
  if (contentType.includes('application/json')) {
    try {
      return JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return {};
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    if (k === 'attachments' || k === 'blocks') {
      try {
        out[k] = JSON.parse(v);
        continue;
      } catch {
        // left as text
      }
    }
    out[k] = v === 'true' ? true : v === 'false' ? false : v;
  }
  return out;
}
