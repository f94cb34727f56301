// Secrets (Slack webhook URLs, tokens) come from the environment or from files, never
// from the config file itself, so the file can be committed and shown around:
//   webhook_url: ${SLACK_WEBHOOK_CRITICAL}        -> read from the environment at start
//   webhook_url_file: /run/secrets/slack-critical -> read from a file (a mounted Kubernetes Secret)
import { readFileSync } from 'node:fs';

const ENV_REF = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

export class SecretError extends Error {}

/**
 * Resolves one secret given either as `${ENV}` (inline value) or as a file path.
 * Throws SecretError with a message that names the source but never the value.
 */
export function resolveSecret(
  inline: string | undefined,
  file: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (inline !== undefined && file !== undefined) throw new SecretError('give the secret inline as ${ENV_VAR} or as a file, not both');
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new SecretError(`cannot read secret file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    const value = text.trim(); // files written with `echo` end with a newline
    if (value === '') throw new SecretError(`secret file ${file} is empty`);
    return value;
  }
  if (inline === undefined) return undefined;
  const m = ENV_REF.exec(inline.trim());
  if (!m) {
    throw new SecretError('secrets must not be written into the config file: use ${ENV_VAR} or the matching *_file key');
  }
  const value = env[m[1]!];
  if (value === undefined || value === '') throw new SecretError(`environment variable ${m[1]} is not set or empty`);
  return value;
}

/** "https://hooks.slack.com/services/T000/B000/XXXX" -> "https://hooks.slack.com/…": the host says which service, the path is the secret. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return '…';
  }
}

/**
 * A resolved secret. It prints, logs and serialises as "<secret>"; only reveal() gives
 * the value, so a secret cannot slip into a log line or an API response by accident.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toJSON(): string {
    return '<secret>';
  }
  toString(): string {
    return '<secret>';
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return '<secret>';
  }
}
