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

/**
 * "https://hooks.slack.com/services/T000/B000/XXXX" -> "https://hooks.slack.com/…": the host says
 * which service; the path (workspace, bot and token segments), query and user info are secret.
 */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return '…';
  }
}

/** A fragment of a secret this long or longer is removed wherever it appears. */
export const MIN_SECRET_FRAGMENT = 8;

/**
 * The secret parts of a webhook URL: the path after its first segment (/services/T…/B…/token ->
 * "T…/B…/token", and each of those segments), or the whole path when it has one segment; the
 * query; the password. Percent-decoded forms too, as an error text may show them.
 */
export function urlSecrets(url: string): string[] {
  const out: string[] = [];
  try {
    const u = new URL(url);
    const segments = u.pathname.split('/').filter((x) => x !== '');
    const secretSegments = segments.length > 1 ? segments.slice(1) : segments;
    out.push(secretSegments.join('/') + u.search);
    // Short segments (an API version, "v1") are not worth redacting wherever they appear.
    out.push(...secretSegments.filter((x) => x.length >= 4));
    if (u.search.length > 1) out.push(u.search.slice(1));
    if (u.password) out.push(u.password);
    for (const x of [...out]) {
      try {
        out.push(decodeURIComponent(x));
      } catch {
        // not decodable: the encoded form is enough
      }
    }
  } catch {
    // An unparsable URL: only the whole string is known to be secret.
    out.push(url);
  }
  return [...new Set(out.filter((x) => x.length > 0))];
}

/**
 * Returns a function that replaces with "[redacted]" each of `exact`, each of `secrets`, and
 * every fragment of a secret of MIN_SECRET_FRAGMENT characters or more (so a secret cut short
 * by a proxy's echo, or broken by a line break, is caught too).
 */
export function secretRedactor(secrets: readonly string[], exact: readonly string[] = []): (text: string) => string {
  const whole = [...new Set([...exact, ...secrets])].filter((x) => x.length > 0).sort((a, b) => b.length - a.length);
  const parts = secrets.filter((x) => x.length >= MIN_SECRET_FRAGMENT);
  // Every MIN_SECRET_FRAGMENT-long piece of every secret: a fragment starts with one of them.
  const grams = new Set<string>();
  for (const s of parts) for (let i = 0; i + MIN_SECRET_FRAGMENT <= s.length; i++) grams.add(s.slice(i, i + MIN_SECRET_FRAGMENT));
  const inSecret = (piece: string) => parts.some((s) => s.includes(piece));
  return (text: string) => {
    let out = text;
    for (const s of whole) out = out.split(s).join('[redacted]');
    if (grams.size === 0) return out;
    let result = '';
    let i = 0;
    while (i < out.length) {
      if (i + MIN_SECRET_FRAGMENT <= out.length && grams.has(out.slice(i, i + MIN_SECRET_FRAGMENT))) {
        let end = i + MIN_SECRET_FRAGMENT;
        while (end < out.length && inSecret(out.slice(i, end + 1))) end++;
        result += '[redacted]';
        i = end;
      } else {
        result += out[i];
        i++;
      }
    }
    return result;
  };
}

/** A redactor for a webhook URL: the whole URL, and its secret parts (see urlSecrets) and their fragments. */
export function redactor(url: string): (text: string) => string {
  let href = url;
  try {
    href = new URL(url).href;
  } catch {
    // unparsable: the text as given
  }
  return secretRedactor(urlSecrets(url), [url, href]);
}

// Redacting looks at this much of a text at most: an excerpt is short, and a fragment the cap
// splits is either still 8+ characters long (redacted) or falls outside the excerpt.
const REDACT_SCAN_CHARS = 8192;

/**
 * A one-line excerpt of at most `max` characters (plus "…") of a text that may hold secrets:
 * redacted first, then cut. Cutting first would split a secret so that it no longer matches,
 * and leave its first characters in the excerpt.
 */
export function redactedExcerpt(text: string, max: number, redact: (s: string) => string): string {
  const flat = redact(text.slice(0, REDACT_SCAN_CHARS + max)).replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
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
