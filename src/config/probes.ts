// exporter.probes: the targets the probe collector checks on their own schedules
// (src/probes/). Every mistake here must fail `tocsin check-config` with the path of the bad
// field: a regex that does not compile, a timeout not shorter than the interval, a duplicate
// name, an address that does not fit the type.
import { z } from 'zod';
import { duration } from './fields.js';
import { configPath, dataDirectory } from './paths.js';
import { parseJsonCondition } from './json-condition.js';
import { resolveSecret, Secret, SecretError } from './secret.js';
import { maintenanceWindowSchema, sharedMaintenanceWindowSchema } from './maintenance.js';
import { pushSection } from './push.js';

const regex = z.string().superRefine((value, ctx) => {
  try {
    new RegExp(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `invalid regular expression: ${(err as Error).message}` });
  }
});

const jsonCondition = z.string().transform((value, ctx) => {
  try {
    return parseJsonCondition(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

// Labels the collector sets itself, and Prometheus' reserved ones.
const RESERVED_LABELS = new Set(['target', 'type', 'environment', 'notify', 'phase', 'reason', 'version', 'state', 'subject', 'issuer', 'job', 'instance']);
const labelName = z
  .string()
  .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'expected a Prometheus label name')
  .superRefine((n, ctx) => {
    if (n.startsWith('__') || RESERVED_LABELS.has(n)) ctx.addIssue({ code: 'custom', message: `label ${JSON.stringify(n)} is reserved (set by Tocsin or Prometheus)` });
  });

const tls = z
  .strictObject({
    // Verification is on by default; skip it for a self-signed certificate you accept.
    insecure_skip_verify: z.boolean().default(false),
    // Trust this CA (PEM) instead of the system's.
    ca_file: configPath.optional(),
    // The name to check the certificate against (and to send as SNI); default: the address's host.
    server_name: z.string().min(1).optional(),
  })
  .prefault({});

/** `key: ${ENV}` or `key_file: path`, resolved into a Secret (never printed) at load time. */
function secret(section: Record<string, unknown>, key: string, ctx: z.RefinementCtx, path: (string | number)[] = []): Secret | undefined {
  try {
    const value = resolveSecret(section[key] as string | undefined, section[`${key}_file`] as string | undefined);
    return value === undefined ? undefined : new Secret(value);
  } catch (err) {
    if (!(err instanceof SecretError)) throw err;
    ctx.addIssue({ code: 'custom', message: err.message, path: [...path, section[`${key}_file`] !== undefined ? `${key}_file` : key] });
    return undefined;
  }
}

const httpSection = z
  .strictObject({
    // Credentials from the environment (${ENV}) or a file, never written into tocsin.yml.
    basic_auth: z.strictObject({ username: z.string().min(1), password: z.string().optional(), password_file: configPath.optional() }).optional(),
    bearer_token: z.string().optional(),
    bearer_token_file: configPath.optional(),
    method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']).default('GET'),
    headers: z.record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'expected an HTTP header name'), z.string()).default({}),
    body: z.string().optional(),
    // Empty: any 2xx, as blackbox_exporter.
    valid_status_codes: z.array(z.number().int().min(100).max(599)).default([]),
    // The body must match (fail_if_body_not_matches_regexp).
    body_regex: regex.optional(),
    json_condition: jsonCondition.optional(),
    // A check slower than this fails with too_slow (the timeout still applies).
    max_response_time: duration({ min: 0.001 }).optional(),
    follow_redirects: z.boolean().default(true),
  })
  .transform(({ basic_auth, bearer_token, bearer_token_file, ...rest }, ctx) => {
    if (Object.keys(rest.headers).some((h) => h.toLowerCase() === 'authorization')) {
      ctx.addIssue({ code: 'custom', message: 'credentials must not be written into the config file: use basic_auth or bearer_token (${ENV_VAR} or a *_file)', path: ['headers'] });
    }
    return { ...rest, ...httpCredentials({ basic_auth, bearer_token, bearer_token_file }, ctx) };
  })
  .prefault({});

interface CredentialFields {
  basic_auth?: { username: string; password?: string | undefined; password_file?: string | undefined } | undefined;
  bearer_token?: string | undefined;
  bearer_token_file?: string | undefined;
}

/** basic_auth or bearer_token(_file), resolved into Secrets (probe targets and discovery sources). */
function httpCredentials({ basic_auth, bearer_token, bearer_token_file }: CredentialFields, ctx: z.RefinementCtx): { basicAuth?: { username: string; password: Secret }; bearerToken?: Secret } {
  if (basic_auth && (bearer_token !== undefined || bearer_token_file !== undefined)) {
    ctx.addIssue({ code: 'custom', message: 'give basic_auth or bearer_token, not both', path: ['bearer_token'] });
  }
  const password = basic_auth ? secret(basic_auth, 'password', ctx, ['basic_auth']) : undefined;
  if (basic_auth && !password && basic_auth.password === undefined && basic_auth.password_file === undefined) {
    ctx.addIssue({ code: 'custom', message: 'password or password_file is required', path: ['basic_auth', 'password'] });
  }
  const bearer = secret({ bearer_token, bearer_token_file }, 'bearer_token', ctx);
  return {
    ...(basic_auth && password ? { basicAuth: { username: basic_auth.username, password } } : {}),
    ...(bearer ? { bearerToken: bearer } : {}),
  };
}

const websocketSection = z
  .strictObject({
    // Sent once the handshake completes; `expect` must match a reply.
    send: z.string().optional(),
    expect: regex.optional(),
    // Send a ping and wait for the pong.
    ping: z.boolean().default(false),
  })
  .prefault({});

const tcpSection = z
  .strictObject({
    // Connect with TLS (the `tls` settings apply).
    tls: z.boolean().default(false),
    // A line sent after connecting (a newline is added); `expect` must match what comes back.
    send: z.string().optional(),
    expect: regex.optional(),
  })
  .prefault({});

export const PROBE_TYPES = ['http', 'https', 'websocket', 'ws', 'wss', 'tcp', 'push'] as const;
/** The types /probe modules can check: a push target is not checked, it calls in. */
export const CHECKED_PROBE_TYPES = PROBE_TYPES.filter((t): t is Exclude<ProbeType, 'push'> => t !== 'push');
export type ProbeType = (typeof PROBE_TYPES)[number];

const targetName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}$/, 'expected a name of letters, digits, ".", "_", ":", "/" or "-" (at most 128)');

const URL_SCHEMES: Record<ProbeType, readonly string[]> = {
  http: ['http:', 'https:'],
  https: ['https:'],
  websocket: ['ws:', 'wss:'],
  ws: ['ws:'],
  wss: ['wss:'],
  tcp: [],
  push: [],
};

/** host:port, with [v6]:port; the host and port, or undefined. */
export function parseHostPort(address: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(address);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1] ?? m[2]!, port };
}

/** What is wrong with `address` for a target of `type`, or undefined. */
export function addressProblem(type: ProbeType, address: string): string | undefined {
  if (type === 'push') return address === '' ? undefined : 'a push target has no address: it calls Tocsin (POST /api/v1/push/{name})';
  if (type === 'tcp') return parseHostPort(address) ? undefined : 'a tcp target needs host:port (e.g. db.example.com:5432 or [::1]:22)';
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return `expected a URL such as ${type.startsWith('w') ? 'wss://example.com/socket' : 'https://example.com/health'}`;
  }
  const schemes = URL_SCHEMES[type];
  if (!schemes.includes(url.protocol)) return `a ${type} target needs a ${schemes.map((s) => s.replace(':', '://')).join(' or ')} URL`;
  if (url.username !== '' || url.password !== '') return 'credentials must not be written into the URL';
  return undefined;
}

export const probeTargetSchema = z
  .strictObject({
    name: targetName,
    type: z.enum(PROBE_TYPES),
    // A URL for http(s) and WebSocket targets, host:port for tcp, none for push.
    address: z.string().default(''),
    // DEV, STAGE, LIVE, ...: the `environment` label the shipped rules use for severity.
    environment: z.string().default(''),
    interval: duration({ min: 1 }).default(30),
    timeout: duration({ min: 0.01 }).default(5),
    // Extra attempts, retry_delay apart, before a check counts as failed.
    retries: z.number().int().min(0).max(10).default(0),
    retry_delay: duration({ max: 600 }).default(1),
    // Consecutive failed checks that turn the state down, and successes that turn it up again.
    // 1/1: the shipped rules already wait a minute (`for: 1m`) before they fire.
    failure_threshold: z.number().int().min(1).max(100).default(1),
    success_threshold: z.number().int().min(1).max(100).default(1),
    // false: the series carry notify="false" and the relay drops their alerts.
    notify: z.boolean().default(true),
    labels: z.record(labelName, z.string()).default({}),
    tls,
    http: httpSection,
    websocket: websocketSection,
    tcp: tcpSection,
    // type push: the target's token and how late a heartbeat may be (src/config/push.ts).
    push: pushSection,
    // This target's maintenance windows (src/config/maintenance.ts).
    maintenance: z.array(maintenanceWindowSchema).max(100).default([]),
  })
  .superRefine((t, ctx) => {
    if (t.type === 'push' && t.push.tokenSha256 === undefined) {
      ctx.addIssue({ code: 'custom', message: 'a push target needs its token: token (${ENV_VAR}) or token_file', path: ['push', 'token'] });
    }
    const problem = addressProblem(t.type, t.address);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, path: ['address'] });
    // A push target is not checked: its timeout and retries are unused.
    if (t.type === 'push') return;
    if (t.timeout >= t.interval) ctx.addIssue({ code: 'custom', message: `the timeout (${t.timeout}s) must be shorter than the interval (${t.interval}s)`, path: ['timeout'] });
    if (t.timeout * (t.retries + 1) + t.retry_delay * t.retries >= t.interval * 10) {
      ctx.addIssue({ code: 'custom', message: 'retries × (timeout + retry_delay) must stay under 10 intervals', path: ['retries'] });
    }
  });

// blackbox_exporter-style modules for GET /probe?target=&module=: how to check, not what.
const moduleName = z.string().regex(/^[A-Za-z0-9_.-]{1,63}$/, 'expected a module name of letters, digits, ".", "_" or "-"');
export const probeModuleSchema = z.strictObject({
  type: z.enum(CHECKED_PROBE_TYPES),
  timeout: duration({ min: 0.01, max: 300 }).default(5),
  tls,
  http: httpSection,
  websocket: websocketSection,
  tcp: tcpSection,
});
/** blackbox_exporter's example modules, so `module=http_2xx` works out of the box. */
export const DEFAULT_PROBE_MODULES = {
  http_2xx: { type: 'http' },
  tcp_connect: { type: 'tcp' },
  websocket: { type: 'websocket' },
} as const;

// exporter.probes.discovery[]: HTTP endpoints serving target lists in Prometheus' http_sd
// format, polled on refresh_interval (src/probes/discovery.ts). target_defaults is a target
// without name and address, validated here as the config file's targets are; the labels of
// each group (type, environment, interval, timeout, notify) override it per target.
const sourceName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'expected a source name of letters, digits, ".", "_" or "-" (at most 63)');

/** An address of each type, to validate target_defaults as a whole target. */
type CheckedProbeType = Exclude<ProbeType, 'push'>;
const PLACEHOLDER_ADDRESS: Record<CheckedProbeType, string> = {
  http: 'http://discovered.invalid/',
  https: 'https://discovered.invalid/',
  websocket: 'ws://discovered.invalid/',
  ws: 'ws://discovered.invalid/',
  wss: 'wss://discovered.invalid/',
  tcp: 'discovered.invalid:1',
};

const targetDefaults = z
  .record(z.string(), z.unknown())
  .transform((raw, ctx) => {
    for (const key of ['name', 'address']) {
      if (key in raw) ctx.addIssue({ code: 'custom', message: `the ${key} of a discovered target comes from the source's list, not from target_defaults`, path: [key] });
    }
    if (raw.type === 'push') {
      // A push target has no address and a token of its own: nothing a list could give it.
      ctx.addIssue({ code: 'custom', message: 'discovered targets are checked by Tocsin: push targets are declared in the config file or the API', path: ['type'] });
      return z.NEVER;
    }
    const type = CHECKED_PROBE_TYPES.includes(raw.type as CheckedProbeType) ? (raw.type as CheckedProbeType) : 'http';
    const parsed = probeTargetSchema.safeParse({ type, ...raw, name: 'target-defaults', address: PLACEHOLDER_ADDRESS[type] });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const unknown = issue.code === 'unrecognized_keys' ? issue.keys : undefined;
        ctx.addIssue({ code: 'custom', message: unknown ? `unknown key ${unknown.map((k) => JSON.stringify(k)).join(', ')}` : issue.message, path: issue.path as (string | number)[] });
      }
      return z.NEVER;
    }
    // The type only when given: otherwise each target's is read from its address.
    return { type: raw.type === undefined ? undefined : parsed.data.type, target: parsed.data };
  })
  .prefault({});

export const discoverySourceSchema = z
  .strictObject({
    // The `source` label of the discovery metrics, and the prefix of derived target names.
    name: sourceName,
    url: z.string().superRefine((value, ctx) => {
      const problem = addressProblem('http', value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem.replace('a http target', 'a discovery source') });
    }),
    refresh_interval: duration({ min: 1 }).default(60),
    timeout: duration({ min: 0.01 }).default(10),
    basic_auth: z.strictObject({ username: z.string().min(1), password: z.string().optional(), password_file: configPath.optional() }).optional(),
    bearer_token: z.string().optional(),
    bearer_token_file: configPath.optional(),
    tls,
    target_defaults: targetDefaults,
  })
  .transform(({ basic_auth, bearer_token, bearer_token_file, ...rest }, ctx) => ({ ...rest, ...httpCredentials({ basic_auth, bearer_token, bearer_token_file }, ctx) }))
  .superRefine((s, ctx) => {
    if (s.timeout >= s.refresh_interval) ctx.addIssue({ code: 'custom', message: `the timeout (${s.timeout}s) must be shorter than the refresh_interval (${s.refresh_interval}s)`, path: ['timeout'] });
  });

// exporter.probes.connectivity: "am I offline?" (src/probes/connectivity.ts). While none of
// these answers, failed checks are held instead of turning targets down.
const connectivityTarget = probeModuleSchema.extend({ name: targetName, address: z.string().min(1) }).superRefine((t, ctx) => {
  const problem = addressProblem(t.type, t.address);
  if (problem) ctx.addIssue({ code: 'custom', message: problem, path: ['address'] });
});
export const connectivitySchema = z
  .strictObject({
    interval: duration({ min: 1 }).default(10),
    targets: z.array(connectivityTarget).default([]),
  })
  .superRefine((c, ctx) => {
    c.targets.forEach((t, i) => {
      if (t.timeout >= c.interval) ctx.addIssue({ code: 'custom', message: `the timeout (${t.timeout}s) must be shorter than connectivity.interval (${c.interval}s)`, path: ['targets', i, 'timeout'] });
    });
  })
  .prefault({});

export const probesSchema = z
  .strictObject({
    modules: z.record(moduleName, probeModuleSchema).default(() => probeModuleDefaults()),
    // A safety bound on checks running at once, not a scheduler: each target holds at most one
    // slot (its checks never overlap), so with fewer targets than this no check ever waits.
    max_concurrent: z.number().int().min(1).max(100_000).default(4096),
    targets: z.array(probeTargetSchema).default([]),
    // Where targets added through /api/v1/targets are kept (targets.json), relative to the
    // config file's directory; must survive restarts.
    data_dir: dataDirectory.prefault('data/probes'),
    // Bearer token for changes through /api/v1/targets (${ENV} or a file). Without it (and
    // without web-config users) the targets API is read-only.
    api_auth: z
      .strictObject({ bearer_token: z.string().optional(), bearer_token_file: configPath.optional() })
      .transform((a, ctx) => ({ bearerToken: secret(a, 'bearer_token', ctx) }))
      .prefault({}),
    // false: reads of /api/v1/targets need the same credentials as writes.
    api_open_reads: z.boolean().default(true),
    // Maintenance windows of several targets (`targets: [names]`) or of all (no `targets`).
    maintenance: z.array(sharedMaintenanceWindowSchema).max(1000).default([]),
    discovery: z.array(discoverySourceSchema).default([]),
    connectivity: connectivitySchema,
  })
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    p.targets.forEach((t, i) => {
      if (seen.has(t.name)) ctx.addIssue({ code: 'custom', message: `duplicate target name ${JSON.stringify(t.name)}`, path: ['targets', i, 'name'] });
      seen.add(t.name);
    });
    const sources = new Set<string>();
    p.discovery.forEach((s, i) => {
      if (sources.has(s.name)) ctx.addIssue({ code: 'custom', message: `duplicate discovery source name ${JSON.stringify(s.name)}`, path: ['discovery', i, 'name'] });
      sources.add(s.name);
    });
  })
  .prefault({});

function probeModuleDefaults(): Record<string, z.infer<typeof probeModuleSchema>> {
  return Object.fromEntries(Object.entries(DEFAULT_PROBE_MODULES).map(([name, m]) => [name, probeModuleSchema.parse(m)]));
}

export type ProbesConfig = z.infer<typeof probesSchema>;
export type ProbeModuleConfig = z.infer<typeof probeModuleSchema>;
export type ProbeTargetConfig = z.infer<typeof probeTargetSchema>;
export type DiscoverySourceConfig = z.infer<typeof discoverySourceSchema>;
export type ConnectivityConfig = z.infer<typeof connectivitySchema>;
