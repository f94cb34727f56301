// Basic auth against the web config's bcrypt hashes. bcrypt is slow on purpose (~50-100 ms
// at cost 10), so, as the exporter-toolkit does, a successful check is remembered: a scrape
// every 15 s does not pay it each time. The cache key is a hash of user, stored hash and
// password, so the cache holds no password, and a changed file (new hash) misses it.
// Failures are never cached: guessing keeps costing bcrypt.
import { createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';

// Compared against when the user is unknown, so an unknown user costs the same as a wrong password.
const DUMMY_HASH = '$2b$10$XA/durF7asssvl1WkEDrqer5Hi0klhnMJ2Z.GvxuwH9ILF.wQbzqW';
const CACHE_LIMIT = 100;

export class BasicAuthVerifier {
  private readonly verified = new Set<string>();
  /** bcrypt comparisons run so far (for tests: the cache must spare them). */
  comparisons = 0;

  /** `header` is the Authorization header; true when it names a user of `users` with the right password. */
  async verify(users: ReadonlyMap<string, string>, header: string | undefined): Promise<boolean> {
    const credentials = parseBasic(header);
    if (!credentials) return false;
    const hash = users.get(credentials.user);
    const key = createHash('sha256').update(`${credentials.user}\0${hash ?? ''}\0${credentials.password}`).digest('base64');
    if (hash !== undefined && this.verified.has(key)) return true;
    this.comparisons++;
    const ok = (await bcrypt.compare(credentials.password, hash ?? DUMMY_HASH)) && hash !== undefined;
    if (ok) {
      if (this.verified.size >= CACHE_LIMIT) this.verified.clear();
      this.verified.add(key);
    }
    return ok;
  }
}

export function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^basic\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
