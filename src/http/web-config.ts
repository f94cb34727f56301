// --web.config.file: the file format of the Prometheus exporter-toolkit, so the same file
// node_exporter, blackbox_exporter and Alertmanager accept works here:
//
//   tls_server_config:      cert_file, key_file, client_auth_type, client_ca_file,
//                           min_version, max_version, cipher_suites, curve_preferences,
//                           prefer_server_cipher_suites
//   http_server_config:     headers (the toolkit's five security headers), http2 (accepted, ignored)
//   basic_auth_users:       user: bcrypt hash
//
// One file applies to every listener of the process (exporter and relay alike). Paths are
// relative to the file's directory. Everything is checked at load: an unknown key, a missing
// or unreadable file, a certificate that does not match its key is an error naming the path.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { load as loadYaml } from 'js-yaml';
import { z } from 'zod';
import { ConfigError, formatPath } from '../config/load.js';

export const CLIENT_AUTH_TYPES = [
  'NoClientCert',
  'RequestClientCert',
  'RequireAnyClientCert',
  'VerifyClientCertIfGiven',
  'RequireAndVerifyClientCert',
] as const;
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

const TLS_VERSIONS = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' } as const;
type TlsVersionName = keyof typeof TLS_VERSIONS;

// Go's cipher suite names (crypto/tls) and OpenSSL's, which Node uses. TLS 1.3 suites keep
// their IANA names in both; like Go, Tocsin does not let the list restrict TLS 1.3.
const CIPHERS: Record<string, string> = {
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_CBC_SHA256: 'AES128-SHA256',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_RSA_WITH_3DES_EDE_CBC_SHA: 'DES-CBC3-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA: 'ECDHE-RSA-DES-CBC3-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: 'ECDHE-ECDSA-AES128-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: 'ECDHE-RSA-AES128-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_AES_128_GCM_SHA256: 'TLS_AES_128_GCM_SHA256',
  TLS_AES_256_GCM_SHA384: 'TLS_AES_256_GCM_SHA384',
  TLS_CHACHA20_POLY1305_SHA256: 'TLS_CHACHA20_POLY1305_SHA256',
};
const TLS13_CIPHERS = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';

const CURVES: Record<string, string> = { CurveP256: 'P-256', CurveP384: 'P-384', CurveP521: 'P-521', X25519: 'X25519' };

// The toolkit allows only these response headers (and, for two of them, only these values).
const HEADERS: Record<string, readonly string[] | undefined> = {
  'Strict-Transport-Security': undefined,
  'X-Content-Type-Options': ['nosniff'],
  'X-Frame-Options': ['deny', 'sameorigin'],
  'X-XSS-Protection': undefined,
  'Content-Security-Policy': undefined,
};

// $2a$/$2b$/$2y$ (htpasswd -B writes $2y$), cost, 53 characters of salt and hash.
const BCRYPT = /^\$2[aby]?\$\d\d\$[./A-Za-z0-9]{53}$/;

const tlsVersion = z.enum(Object.keys(TLS_VERSIONS) as [TlsVersionName, ...TlsVersionName[]]);

const schema = z.strictObject({
  tls_server_config: z
    .strictObject({
      cert_file: z.string().min(1).optional(),
      key_file: z.string().min(1).optional(),
      client_auth_type: z.enum(CLIENT_AUTH_TYPES).default('NoClientCert'),
      client_ca_file: z.string().min(1).optional(),
      min_version: tlsVersion.default('TLS12'),
      max_version: tlsVersion.optional(),
      cipher_suites: z
        .array(z.string().refine((c) => c in CIPHERS, { message: 'unknown cipher suite (use Go\'s names, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)' }))
        .optional(),
      curve_preferences: z
        .array(z.string().refine((c) => c in CURVES, { message: `unknown curve (expected one of ${Object.keys(CURVES).join(', ')})` }))
        .optional(),
      prefer_server_cipher_suites: z.boolean().optional(),
    })
    .superRefine((c, ctx) => {
      if (!c.cert_file) ctx.addIssue({ code: 'custom', message: 'missing cert_file', path: ['cert_file'] });
      if (!c.key_file) ctx.addIssue({ code: 'custom', message: 'missing key_file', path: ['key_file'] });
      if (c.client_ca_file && c.client_auth_type === 'NoClientCert') {
        ctx.addIssue({ code: 'custom', message: 'client_ca_file is set but client_auth_type is NoClientCert', path: ['client_ca_file'] });
      }
      const order = Object.keys(TLS_VERSIONS);
      if (c.max_version && order.indexOf(c.max_version) < order.indexOf(c.min_version)) {
        ctx.addIssue({ code: 'custom', message: `max_version ${c.max_version} is below min_version ${c.min_version}`, path: ['max_version'] });
      }
    })
    .optional(),
  http_server_config: z
    .strictObject({
      // Accepted for compatibility with files written for the Go exporters; Tocsin serves HTTP/1.1.
      http2: z.boolean().optional(),
      headers: z
        .record(z.string(), z.string())
        .superRefine((headers, ctx) => {
          for (const [name, value] of Object.entries(headers)) {
            if (!(name in HEADERS)) {
              ctx.addIssue({ code: 'custom', message: `header not allowed (allowed: ${Object.keys(HEADERS).join(', ')})`, path: [name] });
              continue;
            }
            const allowed = HEADERS[name];
            if (allowed && !allowed.includes(value.toLowerCase())) {
              ctx.addIssue({ code: 'custom', message: `expected one of ${allowed.join(', ')}`, path: [name] });
            }
          }
        })
        .optional(),
    })
    .optional(),
  basic_auth_users: z
    // Never echo the value: a hash is not the password, but it is still nobody's business.
    .record(z.string().min(1), z.string().regex(BCRYPT, 'expected a bcrypt hash such as "$2y$10$..." (htpasswd -nBC 10 "" | tr -d \':\\n\')'))
    .optional(),
});

export interface TlsSettings {
  readonly clientAuth: ClientAuthType;
  /** cert, key, ca, minVersion, maxVersion, ciphers, ecdhCurve: what a secure context is made of. */
  readonly context: SecureContextOptions;
}

export interface WebConfig {
  readonly file: string | undefined;
  readonly tls: TlsSettings | undefined;
  /** user -> bcrypt hash */
  readonly users: ReadonlyMap<string, string>;
  readonly headers: Readonly<Record<string, string>>;
}

/** No file: plain HTTP, no authentication, no extra headers. */
export const NO_WEB_CONFIG: WebConfig = { file: undefined, tls: undefined, users: new Map(), headers: {} };

export async function loadWebConfig(file: string | undefined): Promise<WebConfig> {
  if (file === undefined) return NO_WEB_CONFIG;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read web config file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
  }
  let raw: unknown;
  try {
    raw = text.trim() === '' ? {} : (loadYaml(text, { filename: file }) ?? {});
  } catch (err) {
    throw new ConfigError(file, [`YAML: ${(err as Error).message}`]);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      file,
      parsed.error.issues.map((i) =>
        i.code === 'unrecognized_keys'
          ? `${i.path.length ? `${formatPath(i.path)}: ` : ''}unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => JSON.stringify(k)).join(', ')}`
          : `${formatPath(i.path)}: ${i.message}`,
      ),
    );
  }
  const c = parsed.data;
  const base = dirname(resolve(file));
  const problems: string[] = [];
  const read = async (key: string, path: string | undefined): Promise<string | undefined> => {
    if (path === undefined) return undefined;
    const full = resolve(base, path);
    try {
      return await readFile(full, 'utf8');
    } catch (err) {
      problems.push(`tls_server_config.${key}: cannot read ${full}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      return undefined;
    }
  };
  let tls: TlsSettings | undefined;
  const t = c.tls_server_config;
  if (t) {
    const [cert, key, ca] = [await read('cert_file', t.cert_file), await read('key_file', t.key_file), await read('client_ca_file', t.client_ca_file)];
    const context: SecureContextOptions = {
      cert,
      key,
      ...(ca !== undefined ? { ca } : {}),
      minVersion: TLS_VERSIONS[t.min_version],
      ...(t.max_version ? { maxVersion: TLS_VERSIONS[t.max_version] } : {}),
      ...(t.cipher_suites ? { ciphers: [...t.cipher_suites.map((s) => CIPHERS[s]!), TLS13_CIPHERS].join(':') } : {}),
      ...(t.curve_preferences ? { ecdhCurve: t.curve_preferences.map((s) => CURVES[s]!).join(':') } : {}),
      ...(t.prefer_server_cipher_suites !== undefined ? { honorCipherOrder: t.prefer_server_cipher_suites } : {}),
    };
    if (problems.length === 0) {
      try {
        createSecureContext(context); // a key that does not match, a PEM that is not one
      } catch (err) {
        problems.push(`tls_server_config: cannot use cert_file/key_file/client_ca_file: ${(err as Error).message}`);
      }
    }
    tls = { clientAuth: t.client_auth_type, context };
  }
  if (problems.length) throw new ConfigError(file, problems);
  return {
    file,
    tls,
    users: new Map(Object.entries(c.basic_auth_users ?? {})),
    headers: c.http_server_config?.headers ?? {},
  };
}

/**
 * The web config the listeners use, replaced on reload. Users, headers and the TLS
 * certificate, key, CA and cipher settings change at once; turning TLS on or off and
 * changing client_auth_type need a restart (they shape how the listener was created).
 */
export class WebSettings {
  private readonly listeners = new Set<(next: WebConfig) => void>();

  constructor(private config: WebConfig = NO_WEB_CONFIG) {}

  get current(): WebConfig {
    return this.config;
  }

  onChange(listener: (next: WebConfig) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Applies `next`; returns what only a restart would change. */
  update(next: WebConfig): string[] {
    const before = this.config;
    const restart: string[] = [];
    if (!!before.tls !== !!next.tls) restart.push('tls_server_config (turning TLS on or off)');
    else if (before.tls && next.tls && before.tls.clientAuth !== next.tls.clientAuth) restart.push('tls_server_config.client_auth_type');
    this.config = next;
    for (const l of this.listeners) l(next);
    return restart;
  }
}
