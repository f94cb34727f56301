// GET over https from a host SNS may use (signing certificates, subscription confirmations).
// node:https rather than fetch(): a test CA can be given for these requests alone, without
// changing what the rest of the process trusts.
import { request } from 'node:https';

export interface TrustedFetchOptions {
  /** The hosts allowed, e.g. /^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/. */
  readonly hostPattern: RegExp;
  /** PEM CA bundle instead of the system's. */
  readonly ca?: string;
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

/** Why a URL may not be fetched, or undefined when it may. */
export function untrustedUrl(url: string, hostPattern: RegExp): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'not a URL';
  }
  if (u.protocol !== 'https:') return `${u.protocol.replace(':', '')} is not https`;
  if (u.username !== '' || u.password !== '') return 'credentials in the URL';
  if (!hostPattern.test(u.hostname)) return `host ${u.hostname} is not a trusted SNS host`;
  return undefined;
}

export interface FetchResult {
  readonly status: number;
  readonly body: string;
}

/** GETs a URL already checked with untrustedUrl(); rejects on network errors, timeouts and oversized bodies. */
export function trustedGet(url: string, o: TrustedFetchOptions): Promise<FetchResult> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', ...(o.ca !== undefined ? { ca: o.ca } : {}), timeout: o.timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > o.maxBytes) {
          req.destroy(new Error(`answer larger than ${o.maxBytes} bytes`));
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
