// The token of a push target made through /api/v1/targets: Tocsin makes it, returns it once in
// the answer that created it, and stores only its SHA-256 (push.token_sha256 in the stored
// body; see src/config/push.ts). An API caller cannot set it: `token`/`token_file` would read
// the exporter's environment or files, and a hash chosen by the caller would make a weak
// token possible. A lost token is replaced with POST /api/v1/targets/{name}/push-token.
import { pushTokenSha256 } from '../config/push.js';
import { HttpError } from '../http/errors.js';
import { newPushToken } from './push.js';

type Body = Record<string, unknown>;

function isObject(v: unknown): v is Body {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** 400 naming the field when a request body tries to set a push token. */
export function refusePushSecrets(body: unknown): void {
  if (!isObject(body) || !isObject(body.push)) return;
  for (const key of ['token', 'token_file', 'token_sha256']) {
    if (key in body.push) {
      throw new HttpError(400, `body.push.${key}: a push target's token is made by Tocsin and shown once, in the answer that creates the target; to choose your own, declare the target in the config file`);
    }
  }
}

/**
 * The body to store: a push target keeps the token hash of `previous` (a push target of the
 * same name), or gets a new token (returned here, to show once). Other types carry no hash.
 */
export function withPushToken(body: unknown, previous: Body | undefined): { body: unknown; token?: string } {
  if (!isObject(body) || (body.push !== undefined && !isObject(body.push))) return { body }; // the schema names what is wrong
  const push = (body.push ?? {}) as Body;
  if (body.type !== 'push') {
    if (!('token_sha256' in push)) return { body };
    const { token_sha256: _dropped, ...rest } = push;
    return { body: { ...body, push: rest } };
  }
  const kept = previous?.type === 'push' && isObject(previous.push) ? previous.push.token_sha256 : undefined;
  if (typeof kept === 'string') return { body: { ...body, push: { ...push, token_sha256: kept } } };
  const token = newPushToken();
  return { body: { ...body, push: { ...push, token_sha256: pushTokenSha256(token) } }, token };
}
