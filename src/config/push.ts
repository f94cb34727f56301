// The `push:` section of a probe target of type push (a heartbeat: a cron job or a server
// Tocsin cannot reach calls POST /api/v1/push/{name} with the target's own bearer token).
//
// Only the token's SHA-256 is kept in memory and in the targets store, never the token: a
// heartbeat presents the token, its hash is compared. The token is 128+ random bits when Tocsin
// makes it (API targets), so a plain SHA-256 is enough (GitHub keeps its tokens the same way;
// a slow password hash would only slow down every heartbeat). Gatus keeps external endpoint
// tokens in its config and Uptime Kuma keeps push tokens readable in its database; here a
// leaked store or a config holding `token_sha256` gives nothing to push with.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { duration } from './fields.js';
import { configPath } from './paths.js';
import { resolveSecret, SecretError } from './secret.js';

/** Shorter tokens are refused: a heartbeat URL is reachable by whoever reaches the exporter. */
export const MIN_PUSH_TOKEN_LENGTH = 16;

/**
 * Default grace: how late a heartbeat may be before the target counts as missing. A minute
 * covers what makes a cron job's call late without anything being wrong: cron starts jobs on
 * the minute and a job that calls at its end is late by its own run time. Raise it for jobs
 * whose run time varies more (a backup that takes 20 to 40 minutes: grace 30m).
 */
export const DEFAULT_PUSH_GRACE_SECONDS = 60;

export function pushTokenSha256(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export const pushSection = z
  .strictObject({
    // The token, from the environment (${ENV}) or a file; or only its SHA-256 (hex), e.g.
    // `printf %s "$TOKEN" | sha256sum`. The API sets token_sha256 itself.
    token: z.string().optional(),
    token_file: configPath.optional(),
    token_sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'expected the SHA-256 of the token as 64 lowercase hex digits')
      .optional(),
    // How late a heartbeat may be past the target's interval before it counts as missing.
    grace: duration({ min: 0 }).default(DEFAULT_PUSH_GRACE_SECONDS),
  })
  .transform(({ token, token_file, token_sha256, grace }, ctx) => {
    const given = [token, token_file, token_sha256].filter((x) => x !== undefined).length;
    if (given > 1) {
      ctx.addIssue({ code: 'custom', message: 'give one of token, token_file or token_sha256', path: ['token'] });
      return z.NEVER;
    }
    let hash = token_sha256;
    if (token !== undefined || token_file !== undefined) {
      try {
        const value = resolveSecret(token, token_file)!;
        if (value.length < MIN_PUSH_TOKEN_LENGTH) {
          ctx.addIssue({ code: 'custom', message: `the token must be at least ${MIN_PUSH_TOKEN_LENGTH} characters long`, path: [token_file !== undefined ? 'token_file' : 'token'] });
          return z.NEVER;
        }
        hash = pushTokenSha256(value);
      } catch (err) {
        if (!(err instanceof SecretError)) throw err;
        ctx.addIssue({ code: 'custom', message: err.message, path: [token_file !== undefined ? 'token_file' : 'token'] });
        return z.NEVER;
      }
    }
    return { grace, ...(hash !== undefined ? { tokenSha256: hash } : {}) };
  })
  .prefault({});
