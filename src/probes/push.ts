// Push targets (heartbeats, as Gatus's external endpoints and Uptime Kuma's push monitors): a
// cron job or a server Tocsin cannot reach calls
//
//   POST /api/v1/push/{name}      Authorization: Bearer <the target's token>
//        [?status=success|failure&message=...]   (or the same as JSON or form fields)
//
// Each call is one check of the target (success, or push_failure with the message), counted by
// the same thresholds as any other check. While no call arrives within interval + grace, the
// scheduler records push_missing, and again every interval after (src/probes/scheduler.ts).
//
// Only POST: a GET that changes state is what link previewers, prefetchers and caching proxies
// repeat or drop at will, and as the token goes in a header (never in the URL, which access
// logs and proxies keep), curl needs a flag either way: `curl -fsS -X POST -H ...`.
//
// Authentication is per target: an unknown name and a wrong token get the same 401, after
// the same hashing work, so the endpoint tells nobody which targets exist (names can be
// private when exporter.probes.api_open_reads is false).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { pushTokenSha256 } from '../config/push.js';
import type { ProbeTargetConfig } from '../config/probes.js';
import { HttpError } from '../http/errors.js';
import type { RouteAuthConfig } from '../http/server.js';
import type { ProbeResult } from './probers/prober.js';

/** A message longer than this is cut (it is shown in the status API and logs, never a label). */
export const PUSH_MESSAGE_MAX = 256;
/** Form fields or JSON with a status and a message: a few KB at most. */
const BODY_LIMIT_BYTES = 16 * 1024;

export interface PushRoutesOptions {
  /** The target of that name, paused or not (config file or API), if any. */
  readonly lookup: (name: string) => ProbeTargetConfig | undefined;
  readonly paused: (name: string) => boolean;
  /** Records a heartbeat; false when the target is not scheduled (paused, or just removed). */
  readonly heartbeat: (name: string, result: ProbeResult) => boolean;
  /** When the target counts as missing next, in Unix seconds (for the answer). */
  readonly deadline: (name: string) => number | undefined;
}

/** How long after a heartbeat (or the start) the first push_missing is recorded, in ms. */
export function pushDeadlineMs(config: ProbeTargetConfig): number {
  return (config.interval + config.push.grace) * 1000;
}

/** The result recorded when no heartbeat came in time. */
export function missingHeartbeat(config: ProbeTargetConfig, lastHeartbeatMs: number | undefined): ProbeResult {
  const expected = `expected every ${config.interval}s + ${config.push.grace}s grace`;
  const since = lastHeartbeatMs === undefined ? 'since the target was scheduled' : `since ${new Date(lastHeartbeatMs).toISOString()}`;
  return { success: false, reason: 'push_missing', message: `no heartbeat ${since} (${expected})`, durationSeconds: 0, phases: {} };
}

/** One line, at most PUSH_MESSAGE_MAX characters. */
export function boundMessage(text: string): string {
  const flat = text.replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim();
  return flat.length > PUSH_MESSAGE_MAX ? `${flat.slice(0, PUSH_MESSAGE_MAX - 1)}…` : flat;
}

/** A heartbeat's status and message as a result. */
export function heartbeatResult(status: 'success' | 'failure', message: string | undefined): ProbeResult {
  if (status === 'success') return { success: true, durationSeconds: 0, phases: {}, ...(message ? { message } : {}) };
  return { success: false, reason: 'push_failure', message: message || 'the job reported a failure (no message)', durationSeconds: 0, phases: {} };
}

/** A new push token: 192 random bits, URL- and shell-safe. */
export function newPushToken(): string {
  return randomBytes(24).toString('base64url');
}

// A fixed hash to compare with when the name is unknown, so both cases cost the same.
const NO_TARGET = Buffer.from(pushTokenSha256('no such target'), 'hex');

function tokenMatches(target: ProbeTargetConfig | undefined, header: string | undefined): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  const presented = Buffer.from(pushTokenSha256(m?.[1] ?? ''), 'hex');
  const stored = target?.type === 'push' && target.push.tokenSha256 ? Buffer.from(target.push.tokenSha256, 'hex') : undefined;
  return timingSafeEqual(presented, stored ?? NO_TARGET) && m !== null && stored !== undefined;
}

function field(source: Record<string, unknown>, key: string): unknown {
  const v = source[key];
  return Array.isArray(v) ? v[0] : v;
}

/** status and message from the query and the body (the body wins); 400 naming the field. */
function parseHeartbeat(query: unknown, body: unknown): { status: 'success' | 'failure'; message: string | undefined } {
  if (body !== undefined && body !== null && (typeof body !== 'object' || Array.isArray(body))) {
    throw new HttpError(400, 'body: expected a JSON object or form fields (status, message)');
  }
  const merged = { ...(query as Record<string, unknown>), ...((body ?? {}) as Record<string, unknown>) };
  const status = field(merged, 'status') ?? 'success';
  if (status !== 'success' && status !== 'failure') throw new HttpError(400, `status: expected "success" or "failure", got ${JSON.stringify(status)}`);
  const message = field(merged, 'message');
  if (message !== undefined && typeof message !== 'string') throw new HttpError(400, 'message: expected a string');
  return { status, message: message === undefined ? undefined : boundMessage(message) };
}

export const pushRoutes: FastifyPluginAsync<PushRoutesOptions> = async (api, o) => {
  // `curl --data-urlencode status=failure --data-urlencode "message=..."` sends a form.
  api.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES }, (_request, text, done) => {
    done(null, Object.fromEntries(new URLSearchParams(text as string)));
  });

  api.post<{ Params: { name: string } }>('/push/:name', { bodyLimit: BODY_LIMIT_BYTES, config: { ownCredentials: true } satisfies RouteAuthConfig }, async (request, reply) => {
    const { name } = request.params;
    const target = o.lookup(name);
    if (!tokenMatches(target, request.headers.authorization)) {
      throw new HttpError(401, 'Unauthorized: unknown push target or wrong token', { 'www-authenticate': 'Bearer realm="tocsin"' });
    }
    const { status, message } = parseHeartbeat(request.query, request.body);
    if (o.paused(name) || !o.heartbeat(name, heartbeatResult(status, message))) {
      // Accepted but not recorded: a paused target is not watched, and a cron job should not fail for it.
      return reply.status(202).send({ target: name, status, recorded: false, paused: o.paused(name) });
    }
    return { target: name, status, recorded: true, next_deadline: o.deadline(name) ?? null };
  });

  api.get('/push/:name', async () => {
    throw new HttpError(405, 'use POST: a heartbeat changes state (curl -fsS -X POST -H "Authorization: Bearer $TOKEN" URL)', { allow: 'POST' });
  });
};
