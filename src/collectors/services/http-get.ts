// A small bounded GET for status pages (nginx's stub_status): optional TLS material and basic
// auth, a timeout and the scrape's abort signal, and a cap on the body. node:https rather than
// fetch, because fetch takes no CA or client certificate without an extra dispatcher package.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Secret } from '../../config/secret.js';
import type { loadTls } from './tls-files.js';
import { withSignal } from '../../util/signals.js';
import { seconds } from './wait-budget.js';

/** Status pages are a few hundred bytes; anything this long is not one. */
const MAX_BODY_BYTES = 64 * 1024;

export interface GetOptions {
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  readonly basicAuth?: { readonly username: string; readonly password: Secret | undefined } | undefined;
}

export class HttpGetError extends Error {}

/** GET `url`; resolves with the body of a 200 answer, rejects with a one-line reason otherwise. */
export function getText(url: URL, options: GetOptions, tls: ReturnType<typeof loadTls>): Promise<string> {
  // Not AbortSignal.any with AbortSignal.timeout: that one never fires after a GC in Node 20.
  return withSignal([options.signal], options.timeoutMs, (signal, scoped) => new Promise((resolve, reject) => {
    const headers: Record<string, string> = { accept: 'text/plain' };
    if (options.basicAuth) {
      const pair = `${options.basicAuth.username}:${options.basicAuth.password?.reveal() ?? ''}`;
      headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
    }
    const onResponse = (res: IncomingMessage) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new HttpGetError(`answered HTTP ${res.statusCode}`));
        return;
      }
      let size = 0;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          req.destroy(new HttpGetError(`answered more than ${MAX_BODY_BYTES} bytes: not a status page`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', (err) => reject(describe(err)));
    };
    const common = { method: 'GET', headers, signal, agent: false } as const;
    const req =
      url.protocol === 'https:'
        ? httpsRequest(url, { ...common, ...tls }, onResponse)
        : httpRequest(url, common, onResponse);
    req.on('error', (err) => {
      if (scoped.timedOut()) reject(new HttpGetError(`no answer within ${seconds(options.timeoutMs)}`));
      else reject(describe(err));
    });
    req.end();
  }));
}

function describe(err: unknown): Error {
  if (err instanceof HttpGetError) return err;
  const e = err as NodeJS.ErrnoException;
  return new HttpGetError(e.code ? `${e.code}: ${e.message}` : e.message);
}
