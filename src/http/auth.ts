// Checks the credentials Alertmanager's http_config can send (bearer token or basic
// auth). Comparisons run in constant time so a token cannot be guessed byte by byte.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Secret } from '../config/secret.js';
import { HttpError } from './errors.js';

export interface Credentials {
  readonly bearerToken?: Secret | undefined;
  readonly basicAuth?: { readonly username: string; readonly password: Secret | undefined } | undefined;
}

function same(a: string, b: string): boolean {
  // Hash first: timingSafeEqual needs equal lengths, and the length must not leak either.
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

export function authRequired(c: Credentials): boolean {
  return c.bearerToken !== undefined || c.basicAuth !== undefined;
}

/** True when no credentials are configured, or the Authorization header carries one of them. */
export function authorized(c: Credentials, header: string | undefined): boolean {
  if (!authRequired(c)) return true;
  if (!header) return false;
  const space = header.indexOf(' ');
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === 'bearer' && c.bearerToken) return same(value, c.bearerToken.reveal());
  if (scheme === 'basic' && c.basicAuth?.password) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    // Evaluate both halves so a wrong username costs the same time as a wrong password.
    const userOk = same(decoded.slice(0, colon), c.basicAuth.username);
    const passOk = same(decoded.slice(colon + 1), c.basicAuth.password.reveal());
    return userOk && passOk;
  }
  return false;
}

// Requests already authenticated by a user of the web config file (src/http/server.ts).
const authenticated = new WeakSet<object>();

export function markAuthenticated(request: object): void {
  authenticated.add(request);
}

/**
 * An onRequest hook that answers 401 with WWW-Authenticate unless the request carries one
 * of the credentials; undefined when none are configured (nothing to check).
 */
export function requireAuth(c: Credentials) {
  if (!authRequired(c)) return undefined;
  const scheme = c.bearerToken ? 'Bearer' : 'Basic';
  return async (request: { headers: { authorization?: string | undefined } }) => {
    if (authenticated.has(request)) return;
    if (!authorized(c, request.headers.authorization)) {
      throw new HttpError(401, 'Unauthorized: missing or wrong credentials', { 'www-authenticate': `${scheme} realm="tocsin"` });
    }
  };
}

/** The caller named by an Authorization header that was already checked: a basic-auth user, or "token". */
export function callerFromAuthorization(header: string | undefined): string {
  const [scheme = '', value = ''] = (header ?? '').split(' ', 2);
  if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return decoded.slice(0, colon);
  }
  return scheme.toLowerCase() === 'bearer' ? 'token' : 'unknown';
}
