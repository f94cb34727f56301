// The schema of tocsin.yml: one file for the whole of Tocsin. Unknown keys are errors
// (a misspelt `mount_points_exlude` silently doing nothing is worse than a refusal),
// and every default lives here so `tocsin check-config` can show the effective config.
import { join } from 'node:path';
import { z } from 'zod';
import { byteSize, duration, httpPath, listenAddress } from './fields.js';
import { configPath, dataDirectory, existingFile, PACKAGE_ROOT, yamlDirectory } from './paths.js';
import { resolveSecret, Secret, SecretError } from './secret.js';
import { webhookUrlProblem } from './webhook-url.js';
import { parseMatcher } from './matchers.js';
import { checkTemplate } from './template-syntax.js';
import { probesSchema } from './probes.js';

const regex = z.string().superRefine((value, ctx) => {
  try {
    new RegExp(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `invalid regular expression: ${(err as Error).message}` });
  }
});

const enabled = { enabled: z.boolean().default(true) };
const simpleCollector = z.strictObject(enabled).prefault({});

// node_exporter 1.5's defaults, so Tocsin and node_exporter report the same mounts and devices.
export const DEFAULT_MOUNT_POINTS_EXCLUDE =
  '^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)';
export const DEFAULT_FS_TYPES_EXCLUDE =
  '^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs)$';
export const DEFAULT_DISKSTATS_DEVICE_EXCLUDE = '^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\\d+n\\d+p)\\d+$';

const processGroup = z
  .strictObject({
    // A fixed name ("mysqld") or a template ("{comm}") that makes one group per value.
    name: z.string().min(1),
    comm: z.array(regex).min(1).optional(),
    exe: z.array(regex).min(1).optional(),
    cmdline: z.array(regex).min(1).optional(),
  })
  .refine((g) => g.comm || g.exe || g.cmdline, {
    message: 'a group needs at least one matcher: comm, exe or cmdline',
  });

// --- Services (src/collectors/services/). Section owned by the service collectors. ------
// Off by default: each needs an address of a server to read.
const serviceTls = z
  .strictObject({
    ca_file: configPath.optional(),
    cert_file: configPath.optional(),
    key_file: configPath.optional(),
    // Accept any certificate (a self-signed one on 127.0.0.1); the connection is still encrypted.
    insecure_skip_verify: z.boolean().default(false),
  })
  .optional();
const servicePassword = secretPair('password', true);
const serviceBasicAuth = z
  .strictObject({ username: z.string().min(1), ...servicePassword.shape })
  .transform((b, ctx) => ({ username: b.username, password: servicePassword.resolve(b, ctx) }));
// The value of the `endpoint` label when there are several endpoints.
const endpointName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}$/, 'expected a name of letters, digits, ".", "_", ":", "/" or "-"');
const nginxEndpoint = z.strictObject({
  url: z.string().superRefine((value, ctx) => {
    let u: URL;
    try {
      u = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected an http(s) URL such as http://127.0.0.1:8080/nginx_status' });
      return;
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') ctx.addIssue({ code: 'custom', message: 'expected an http:// or https:// URL' });
    // Credentials in the URL would be a secret inside the config file (and in error messages).
    if (u.username !== '' || u.password !== '') ctx.addIssue({ code: 'custom', message: 'credentials must not be written into the URL: use basic_auth with password_file or ${ENV_VAR}' });
  }),
  name: endpointName.optional(),
  tls: serviceTls,
  basic_auth: serviceBasicAuth.optional(),
});
const nginxCollector = z
  .strictObject({
    enabled: z.boolean().default(false),
    // Per request to a stub_status page (nginx-prometheus-exporter's -nginx.timeout); keep it
    // below the scrape timeout, or a hung nginx costs the whole section instead of nginx_up 0.
    timeout: duration({ min: 0.1, max: 60 }).default(5),
    endpoints: z.array(nginxEndpoint).default([]),
  })
  .superRefine((c, ctx) => {
    if (c.enabled && c.endpoints.length === 0) ctx.addIssue({ code: 'custom', message: 'the nginx collector is enabled but has no endpoints', path: ['endpoints'] });
    const seen = new Set<string>();
    c.endpoints.forEach((e, i) => {
      // The default `endpoint` label is the URL's host:port (src/collectors/services/nginx.ts).
      const key = e.name ?? (URL.canParse(e.url) ? new URL(e.url).host : e.url);
      if (seen.has(key)) ctx.addIssue({ code: 'custom', message: `duplicate endpoint ${JSON.stringify(key)}: give each a distinct name`, path: ['endpoints', i] });
      seen.add(key);
    });
  })
  .prefault({});
const mysqlPassword = secretPair('password', false);
const mysqlCollector = z
  .strictObject({
    enabled: z.boolean().default(false),
    // TCP (host, port) or a unix socket (socket: /run/mysqld/mysqld.sock), as the mysql client.
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(1).max(65535).default(3306),
    socket: configPath.optional(),
    user: z.string().min(1).default('tocsin'),
    // ${ENV_VAR} or password_file; never the password itself.
    ...mysqlPassword.shape,
    tls: serviceTls,
    // Bounds connecting and each query (mysqld_exporter's --timeout-offset spirit): keep it
    // below the scrape timeout so a hung server gives mysql_up 0 rather than a timed-out collector.
    timeout: duration({ min: 0.1, max: 60 }).default(5),
    // The statements with the most total time (performance_schema's digest summary).
    top_statements: z
      .strictObject({
        enabled: z.boolean().default(true),
        limit: z.number().int().min(1).max(100).default(10),
        // Longer digest texts are cut: label values must stay small.
        digest_text_max_length: z.number().int().min(16).max(1024).default(120),
      })
      .prefault({}),
  })
  .transform((c, ctx) => {
    const { password, password_file, ...rest } = c;
    return { ...rest, password: mysqlPassword.resolve({ password, password_file }, ctx) };
  })
  .prefault({});

export const exporterSchema = z.strictObject({
  listen_address: listenAddress().default(':9469'),
  telemetry_path: httpPath.default('/metrics'),
  // Used when the scraper sends no X-Prometheus-Scrape-Timeout-Seconds header. 0 would fail
  // every collector at once.
  scrape_timeout: duration({ min: 0.1, max: 600 }).default(10),
  paths: z
    .strictObject({
      procfs: z.string().min(1).default('/proc'),
      sysfs: z.string().min(1).default('/sys'),
      rootfs: z.string().min(1).default('/'),
    })
    .prefault({}),
  collectors: z
    .strictObject({
      cpu: simpleCollector,
      meminfo: simpleCollector,
      loadavg: simpleCollector,
      stat: simpleCollector,
      vmstat: z
        .strictObject({ ...enabled, fields: regex.default('^(oom_kill|pgpg|pswp|pg.*fault).*') })
        .prefault({}),
      pressure: simpleCollector,
      filesystem: z
        .strictObject({
          ...enabled,
          mount_points_exclude: regex.default(DEFAULT_MOUNT_POINTS_EXCLUDE),
          fs_types_exclude: regex.default(DEFAULT_FS_TYPES_EXCLUDE),
        })
        .prefault({}),
      netdev: z
        .strictObject({ ...enabled, device_exclude: regex.optional() })
        .prefault({}),
      diskstats: z
        .strictObject({ ...enabled, device_exclude: regex.default(DEFAULT_DISKSTATS_DEVICE_EXCLUDE) })
        .prefault({}),
      process: z
        .strictObject({ ...enabled, groups: z.array(processGroup).default([]) })
        .prefault({}),
      // Docker containers (src/collectors/containers/). Section owned by the container collector.
      // Off by default: on a host without Docker it could only report failure.
      containers: z
        .strictObject({
          enabled: z.boolean().default(false),
          // unix:///var/run/docker.sock, tcp://host:2376; default: $DOCKER_HOST, else the local socket.
          docker_host: z
            .string()
            .regex(/^((unix|tcp|https?):\/\/|\/)/, 'expected an address such as unix:///var/run/docker.sock or tcp://host:2376')
            .optional(),
          tls: z
            .strictObject({ ca_file: configPath.optional(), cert_file: configPath.optional(), key_file: configPath.optional() })
            .optional(),
          // Container labels copied into metric labels (sanitised names); keep this list short.
          label_allowlist: z
            .array(z.string())
            .default([
              'com.docker.compose.project',
              'com.docker.compose.service',
              'io.kubernetes.pod.namespace',
              'io.kubernetes.pod.name',
              'io.kubernetes.container.name',
            ]),
        })
        .prefault({}),
      nginx: nginxCollector,
      mysql: mysqlCollector,
    })
    .prefault({}),
  // Health checks of targets, each on its own schedule (src/config/probes.ts, src/probes/).
  probes: probesSchema,
});

const name = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/i, 'expected a name of letters, digits, ".", "_" or "-" (at most 63)');

/**
 * A secret given as `key: ${ENV}` or `key_file: /path`; resolved at load time into a
 * Secret that never prints. `required` makes a missing secret an error.
 */
function secretPair<K extends string>(key: K, required: boolean) {
  const fileKey = `${key}_file` as const;
  return {
    shape: { [key]: z.string().optional(), [fileKey]: configPath.optional() } as Record<K, z.ZodOptional<z.ZodString>> & Record<`${K}_file`, z.ZodOptional<typeof configPath>>,
    resolve(section: Record<string, unknown>, ctx: z.RefinementCtx): Secret | undefined {
      try {
        const value = resolveSecret(section[key] as string | undefined, section[fileKey] as string | undefined);
        if (value === undefined && required) {
          ctx.addIssue({ code: 'custom', message: `${key} or ${fileKey} is required`, path: [key] });
        }
        return value === undefined ? undefined : new Secret(value);
      } catch (err) {
        if (!(err instanceof SecretError)) throw err;
        const where = section[fileKey] !== undefined ? fileKey : key;
        ctx.addIssue({ code: 'custom', message: err.message, path: [where] });
        return undefined;
      }
    },
  };
}

const webhookUrl = secretPair('webhook_url', false);
const botToken = secretPair('bot_token', false);
// A Slack conversation ID (C…, G… for old private channels, D… for a DM): chat.postMessage accepts
// names too, but chat.update needs the ID, and an ID survives a channel rename.
const slackChannelId = z.string().regex(/^[CGD][A-Z0-9]{8,}$/, 'expected a Slack channel ID such as C0123456789 (channel details, at the bottom of the About tab)');
const destination = z
  .strictObject({
    name,
    type: z.enum(['slack', 'console', 'slack_app']).default('slack'),
    enabled: z.boolean().default(true),
    ...webhookUrl.shape,
    // type slack_app (src/relay/slack-app/): a bot token (xoxb-…) and a channel ID.
    ...botToken.shape,
    channel: slackChannelId.optional(),
    // The resolution reply is also shown in the channel (reply_broadcast).
    broadcast_resolved: z.boolean().default(true),
    // A group that fires again within this long after it resolved continues its old thread; 0:
    // every incident gets a new thread.
    reuse_thread_within: duration({ max: 30 * 86_400 }).default(0),
    // Slack's Web API; another for GovSlack (https://slack-gov.com/api/) or a proxy, and for tests.
    api_url: z.url({ protocol: /^https?$/ }).default('https://slack.com/api/'),
  })
  .transform((d, ctx) => {
    const url = webhookUrl.resolve(d, ctx);
    const token = botToken.resolve(d, ctx);
    if (d.type === 'slack' && d.webhook_url === undefined && d.webhook_url_file === undefined) {
      ctx.addIssue({ code: 'custom', message: 'a slack destination needs webhook_url (as ${ENV_VAR}) or webhook_url_file', path: ['webhook_url'] });
    }
    if (d.type !== 'slack' && (d.webhook_url !== undefined || d.webhook_url_file !== undefined)) {
      // Otherwise the URL is ignored and messages meant for Slack go to standard output.
      ctx.addIssue({ code: 'custom', message: `a ${d.type} destination has no webhook URL: remove it, or set type: slack`, path: ['type'] });
    }
    if (d.type === 'slack_app') {
      if (d.bot_token === undefined && d.bot_token_file === undefined) {
        ctx.addIssue({ code: 'custom', message: 'a slack_app destination needs bot_token (as ${ENV_VAR}) or bot_token_file', path: ['bot_token'] });
      }
      if (d.channel === undefined) ctx.addIssue({ code: 'custom', message: 'a slack_app destination needs channel (a channel ID such as C0123456789)', path: ['channel'] });
    } else {
      for (const key of ['bot_token', 'bot_token_file', 'channel'] as const) {
        if (d[key] !== undefined) ctx.addIssue({ code: 'custom', message: `${key} is for type: slack_app destinations`, path: [key] });
      }
    }
    const problem = url && webhookUrlProblem(url.reveal());
    if (problem) {
      // Never echo the value: it is a secret.
      ctx.addIssue({ code: 'custom', message: `the webhook URL ${problem}`, path: [d.webhook_url_file !== undefined ? 'webhook_url_file' : 'webhook_url'] });
    }
    const slackApp =
      d.type === 'slack_app' && token !== undefined && d.channel !== undefined
        ? {
            botToken: token,
            channel: d.channel,
            broadcastResolved: d.broadcast_resolved,
            reuseThreadWithinMs: d.reuse_thread_within * 1000,
            apiUrl: d.api_url,
          }
        : undefined;
    return { name: d.name, type: d.type, enabled: d.enabled, webhookUrl: url, ...(slackApp ? { slackApp } : {}) };
  });

const matcher = z.string().superRefine((value, ctx) => {
  try {
    parseMatcher(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

const template = z.string().superRefine((value, ctx) => {
  for (const problem of checkTemplate(value)) ctx.addIssue({ code: 'custom', message: problem });
});

const route = z.strictObject({
  // Alertmanager matcher syntax; all must match. An empty list matches everything.
  matchers: z.array(matcher).default([]),
  destinations: z.array(name).min(1),
  // Put in front of firing messages of this route, e.g. "<!here>" or "<!subteam^S0123ABC>".
  mention: z.string().optional(),
  // Checked here: a typo or a Go template construct would otherwise render as nothing.
  title_template: template.optional(),
  text_template: template.optional(),
  // Like Alertmanager's `continue`: keep matching later routes after this one.
  continue: z.boolean().default(false),
});

const bearer = secretPair('bearer_token', false);
const password = secretPair('password', true);
const authSchema = z
  .strictObject({
    ...bearer.shape,
    basic_auth: z
      .strictObject({ username: z.string().min(1), ...password.shape })
      .transform((b, ctx) => ({ username: b.username, password: password.resolve(b, ctx) }))
      .optional(),
  })
  .transform((a, ctx) => ({ bearerToken: bearer.resolve(a, ctx), basicAuth: a.basic_auth }));

// --- CloudWatch alarms through SNS (src/relay/routes/sns.ts). -------------------------------
// AWS's signing-certificate hosts: sns.<region>.amazonaws.com, and .amazonaws.com.cn in China.
export const DEFAULT_SNS_CERT_HOST = '^sns\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?$';
const snsTopicArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/, 'expected an SNS topic ARN such as arn:aws:sns:ap-northeast-2:123456789012:alarms');
const snsSeverity = z.enum(['critical', 'warning', 'info']);
const snsSeverityRule = z
  .strictObject({
    // Regular expressions on the alarm's name and description; every one given must match.
    alarm_name: regex.optional(),
    description: regex.optional(),
    severity: snsSeverity,
  })
  .refine((r) => r.alarm_name !== undefined || r.description !== undefined, { message: 'a rule needs alarm_name or description' });
const snsSchema = z
  .strictObject({
    // Topics whose subscriptions are confirmed and whose messages are accepted; every other
    // topic is refused (403). Empty: the endpoint refuses everything.
    topics: z.array(snsTopicArn).default([]),
    severity: z
      .strictObject({
        // The first rule that matches an alarm decides; without a match, `default`.
        rules: z.array(snsSeverityRule).default([]),
        default: snsSeverity.default('warning'),
        // An alarm without data is shown as such, at this severity.
        insufficient_data: snsSeverity.default('info'),
      })
      .prefault({}),
    // A message older than this (its Timestamp) is refused as a replay; message IDs are
    // remembered this long. SNS retries an HTTP(S) delivery for at most an hour.
    replay_window: duration({ min: 60, max: 86_400 }).default(3900),
    // Where signing certificates (SigningCertURL) and confirmations (SubscribeURL) may be fetched
    // from: https only, on a host matching this. Tests point both at a local test CA.
    cert_host_pattern: regex.default(DEFAULT_SNS_CERT_HOST),
    // CA bundle for those fetches instead of the system's (tests).
    ca_file: existingFile.optional(),
  })
  .prefault({});

// --- Shared state of two or more relay replicas (src/relay/replica-state/). ----------------
// Without it each relay keeps its duplicate window and Slack thread map to itself (one relay).
const redisPassword = secretPair('password', false);
const redisSchema = z
  .strictObject({
    // host:port of the Redis server (a Kubernetes Service name works: "tocsin-redis:6379").
    address: z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected host:port such as 127.0.0.1:6379 or tocsin-redis:6379'),
    // Redis 6 ACL user; without it the password is Redis's requirepass.
    username: z.string().min(1).optional(),
    ...redisPassword.shape,
    db: z.number().int().min(0).max(15).default(0),
    // Every key the relay writes starts with this, so one Redis can serve several relay groups.
    key_prefix: z.string().regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'expected up to 64 letters, digits, ":", "_", "." or "-"').default('tocsin:'),
    // Per command (and for connecting): a Redis that does not answer is treated as down.
    timeout: duration({ min: 0.05, max: 60 }).default(1),
  })
  .transform((r, ctx) => ({
    address: r.address,
    username: r.username,
    password: redisPassword.resolve(r, ctx),
    db: r.db,
    keyPrefix: r.key_prefix,
    timeoutMs: Math.round(r.timeout * 1000),
  }));
const sharedStateSchema = z.strictObject({ redis: redisSchema.optional() }).prefault({});

export const relaySchema = z
  .strictObject({
    listen_address: listenAddress().default(':9470'),
    // Where the outbox and the channel store live; must survive restarts.
    data_dir: dataDirectory.prefault('data/relay'),
    // Alertmanager webhook authentication (its http_config: bearer or basic auth).
    auth: authSchema.prefault({}),
    // Bearer token for the channel management API (/api/v1/channels).
    api_auth: z
      .strictObject({ ...bearer.shape })
      .transform((a, ctx) => ({ bearerToken: bearer.resolve(a, ctx) }))
      .prefault({}),
    // A notification of 1,000 alerts is about 1 MB; a larger limit only invites memory abuse.
    max_body_bytes: byteSize({ min: 1024, max: 64 * 1024 ** 2 }).default(1024 * 1024),
    // Times in messages are shown in this IANA zone, named.
    time_zone: z.string().default('UTC').refine((tz) => {
      // UTC needs no check, and skipping it keeps ICU's time zone data (~6 MB of RSS) out
      // of processes that never format a time, such as a lone exporter.
      if (tz === 'UTC') return true;
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'expected an IANA time zone such as "UTC" or "Asia/Seoul"'),
    // A notification identical (status, alerts with their status and startsAt) to the last one
    // accepted for its group within this window is a retry or a second Alertmanager replica:
    // dropped and counted. Keep it below the shortest repeat_interval. 0 turns it off.
    dedupe_window: duration({ max: 86_400 }).default(300),
    // An alert with this label set to "false" is not sent (counted as suppressed).
    suppress_label: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'expected a Prometheus label name').default('notify'),
    delivery: z
      .strictObject({
        // Slack allows about one message per second per incoming webhook.
        min_interval: duration({ max: 3600 }).default(1),
        // Per post. 0 would mean no timeout: a hung Slack would stall the destination for good.
        timeout: duration({ min: 0.1, max: 300 }).default(10),
        // A destination with more waiting notifications than this gets one digest instead.
        digest_threshold: z.number().int().min(2).max(10_000).default(10),
        // A notification that keeps failing (5xx, 429, timeouts) is dead-lettered after this long,
        // counted from its acceptance or from when its channel became deliverable again.
        retry_horizon: duration({ min: 1 }).default(72 * 3600),
        // The retry schedule after 5xx, timeouts and network errors: exponential backoff with full
        // jitter from backoff_initial, doubling up to backoff_max. Tests shrink it to replay a
        // long outage in seconds.
        backoff_initial: duration({ min: 0.01, max: 3600 }).default(1),
        backoff_max: duration({ min: 0.01, max: 86_400 }).default(300),
        // A 429's Retry-After is honoured up to this (a broken proxy must not park a channel for days).
        max_retry_after: duration({ min: 0.01, max: 3600 }).default(3600),
      })
      .prefault({})
      .superRefine((d, ctx) => {
        if (d.backoff_max < d.backoff_initial) ctx.addIssue({ code: 'custom', message: 'backoff_max must be at least backoff_initial', path: ['backoff_max'] });
      }),
    // None would mean every notification answered 200 and dropped.
    destinations: z
      .array(destination)
      .min(1, 'at least one destination is needed: with none, every notification would be accepted and dropped')
      .default([{ name: 'console', type: 'console' as const, enabled: true, webhookUrl: undefined }]),
    routes: z.array(route).default([]),
    // Where notifications that no route matched go.
    default_destinations: z.array(name).default([]),
    // CloudWatch alarms (and other messages) posted by Amazon SNS to /hooks/sns.
    sns: snsSchema,
    // Where two or more relay replicas keep what they must agree on (duplicates, Slack threads).
    shared_state: sharedStateSchema,
  })
  .superRefine((r, ctx) => {
    const names = new Set<string>();
    r.destinations.forEach((d, i) => {
      if (names.has(d.name)) ctx.addIssue({ code: 'custom', message: `duplicate destination name "${d.name}"`, path: ['destinations', i, 'name'] });
      names.add(d.name);
    });
    const check = (list: readonly string[], path: (string | number)[]) =>
      list.forEach((n, i) => {
        if (!names.has(n)) ctx.addIssue({ code: 'custom', message: `unknown destination "${n}"`, path: [...path, i] });
      });
    r.routes.forEach((route, i) => check(route.destinations, ['routes', i, 'destinations']));
    check(r.default_destinations, ['default_destinations']);
  });

// `tocsin stack`: the whole chain on one machine (Prometheus and Alertmanager as children).
export const stackSchema = z.strictObject({
  data_dir: dataDirectory.prefault('data/stack'),
  // Not 9090/9093: Debian's packages start their own Prometheus and Alertmanager there.
  prometheus_listen_address: listenAddress({ fixedPort: true }).default('127.0.0.1:19090'),
  alertmanager_listen_address: listenAddress({ fixedPort: true }).default('127.0.0.1:19093'),
  scrape_interval: duration({ min: 1, max: 3600 }).default(15),
  evaluation_interval: duration({ min: 1, max: 3600 }).default(15),
  // The shipped files; a copy goes into data_dir with the relay's address filled in.
  // Checked when given: a missing file would stop `tocsin stack`, and a rules directory without
  // rule files would run a Prometheus that never alerts. The defaults (the package's own files)
  // are not checked, so a config without a stack section loads where they are not installed.
  rules: yamlDirectory.default(join(PACKAGE_ROOT, 'rules')),
  alertmanager_config: existingFile.default(join(PACKAGE_ROOT, 'alertmanager', 'alertmanager.yml')),
});

export const configSchema = z.strictObject({
  log: z
    .strictObject({
      level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
      // json: one object a line (log shippers); logfmt: key=value (people, journald).
      format: z.enum(['json', 'logfmt']).default('json'),
    })
    .prefault({}),
  exporter: exporterSchema.prefault({}),
  relay: relaySchema.prefault({}),
  stack: stackSchema.prefault({}),
});

export type Config = z.infer<typeof configSchema>;
export type ExporterConfig = Config['exporter'];
export type CollectorsConfig = ExporterConfig['collectors'];
export type ProcessGroupConfig = z.infer<typeof processGroup>;
export type RelayConfig = Config['relay'];
export type StackConfig = Config['stack'];
export type DestinationConfig = RelayConfig['destinations'][number];
export type RouteConfig = RelayConfig['routes'][number];
export type RedisSharedStateConfig = NonNullable<RelayConfig['shared_state']['redis']>;
