// No secret leaks, anywhere a user can look. A real relay and a real exporter run as child
// processes with real-looking Slack webhook URLs, a webhook bearer token, an API token, a basic-auth
// password (web config, bcrypt hash), and MySQL and nginx passwords; the fake Slack answers
// 401/404/500 with the webhook URL echoed in its error body, the fake nginx echoes the request's
// Authorization header, configs are wrong (check-config with secrets inline or in bad files) and
// requests are bad (wrong tokens, bad bodies, webhook URLs with credentials). Then every log line,
// both /metrics pages, every API response, every error message and every file in the relay's data
// dir except channels.json (the secret store itself) is scanned for each secret and its distinctive
// parts: each webhook path segment, and every 8-character piece of a token or password.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { FakeSlack } from '../helpers/fake-slack.js';
import { FakeSlackApi } from '../helpers/fake-slack-api.js';
import { freePort } from '../helpers/net.js';
import { pollUntil } from '../helpers/relay-config.js';
import { tmpDir } from '../helpers/tmp.js';
import { startTocsin, tocsinArgs } from '../helpers/tocsin-process.js';

const FRAGMENT = 8;
/** Letters and digits only, so that every 8-character piece is distinctive. */
const token = (n: number) => randomBytes(n * 2).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, n);

interface Hook {
  readonly name: string;
  readonly workspace: string;
  readonly bot: string;
  readonly token: string;
  readonly path: string;
}
const hook = (name: string, workspace: string, bot: string): Hook => {
  const tok = token(24);
  return { name, workspace, bot, token: tok, path: `/services/${workspace}/${bot}/${tok}` };
};
const HOOKS = {
  unauthorized: hook('unauthorized', 'T0123ABCD', 'B0456EFGH'),
  gone: hook('gone', 'T0789WXYZ', 'B0ABCDEF1'),
  broken: hook('broken', 'T0QRSTUVW', 'B0MNOPQRS'),
  api: hook('api', 'T0APIAPIA', 'B0APIAPIB'),
};
// A Slack app's bot token (type: slack_app), shaped like Slack's: xoxb-<team>-<bot>-<24 secret>.
const BOT_SECRET = token(24);
const BOT_TOKEN = `xoxb-${1000 + Math.floor(Math.random() * 9000)}${token(8).replace(/\D/g, '7')}-${token(10).replace(/\D/g, '3')}-${BOT_SECRET}`;
const RELAY_TOKEN = token(32);
const API_TOKEN = token(32);
const BASIC_PASSWORD = token(20);
const BASIC_HASH = bcrypt.hashSync(BASIC_PASSWORD, 4);
const MYSQL_PASSWORD = token(20);
const NGINX_PASSWORD = token(20);

/** Every piece of `secret` of FRAGMENT characters (the whole of a shorter one). */
const pieces = (secret: string) =>
  secret.length <= FRAGMENT ? [secret] : Array.from({ length: secret.length - FRAGMENT + 1 }, (_, i) => secret.slice(i, i + FRAGMENT));

/** name -> the strings that must appear nowhere. */
const NEEDLES = new Map<string, string[]>([
  ...Object.values(HOOKS).map((h): [string, string[]] => [`webhook ${h.name}`, [h.workspace, h.bot, ...pieces(h.token)]]),
  ['Slack bot token', [BOT_TOKEN.slice(0, BOT_TOKEN.length - BOT_SECRET.length - 1), ...pieces(BOT_SECRET)]],
  ['relay bearer token', pieces(RELAY_TOKEN)],
  ['API token', pieces(API_TOKEN)],
  ['basic-auth password', pieces(BASIC_PASSWORD)],
  ['basic-auth password, base64', [Buffer.from(`prometheus:${BASIC_PASSWORD}`).toString('base64')]],
  // The hash is not the password, but it lets one guess it offline: it stays in the web config.
  ['basic-auth bcrypt hash', pieces(BASIC_HASH.slice(7))],
  ['MySQL password', pieces(MYSQL_PASSWORD)],
  ['nginx password', pieces(NGINX_PASSWORD)],
  ['nginx password, base64', [Buffer.from(`tocsin:${NGINX_PASSWORD}`).toString('base64')]],
]);

interface Place {
  readonly where: string;
  readonly text: string;
}

function leaksIn(places: readonly Place[]): string[] {
  const found: string[] = [];
  for (const p of places) {
    for (const [name, needles] of NEEDLES) {
      const hit = needles.find((n) => p.text.includes(n));
      if (hit) found.push(`${name} (${JSON.stringify(hit)}) in ${p.where}: ${p.text.slice(0, 300)}`);
    }
  }
  return found;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = join(dir, name);
    return statSync(file).isDirectory() ? filesUnder(file) : [file];
  });
}

t.test('secrets: none in logs, /metrics, API responses, error messages or data files', async (t) => {
  const dir = tmpDir(t, 'tocsin-secrets-');
  const places: Place[] = [];
  const keep = (where: string, text: string) => places.push({ where, text });

  const slack = await FakeSlack.start();
  t.teardown(() => slack.close());
  const url = (h: Hook) => slack.url(h.path);
  // Each answers with an error whose body repeats the webhook URL, as a proxy or Slack's edge may.
  slack.setMode(HOOKS.unauthorized.path, { kind: 'serverError', status: 401, body: `invalid_token for ${url(HOOKS.unauthorized)}` });
  slack.setMode(HOOKS.gone.path, { kind: 'serverError', status: 404, body: `channel_not_found: POST ${url(HOOKS.gone)} (${HOOKS.gone.path})` });
  slack.setMode(HOOKS.broken.path, { kind: 'serverError', status: 500, body: `rollup_error at ${HOOKS.broken.path.slice(1)}` });
  slack.setMode(HOOKS.api.path, { kind: 'slackError', error: 'invalid_token' });
  // Slack's Web API for the Slack app destination: it knows another token, so ours is invalid_auth.
  const slackApi = await FakeSlackApi.start({ tokens: ['xoxb-someone-else'], channels: ['C0SECRETS01'] });
  t.teardown(() => slackApi.close());

  // A stub_status page that refuses the exporter and echoes its Authorization header and URL.
  const nginx = createServer((req, res) => {
    res.writeHead(401, { 'content-type': 'text/plain' });
    res.end(`unauthorized: ${req.headers.authorization ?? ''} ${req.url ?? ''}`);
  });
  nginx.listen(0, '127.0.0.1');
  await once(nginx, 'listening');
  t.teardown(() => new Promise((r) => nginx.close(r)));
  const nginxPort = (nginx.address() as AddressInfo).port;
  // Nothing listens there: the MySQL collector fails to connect.
  const mysqlPort = await freePort();

  writeFileSync(join(dir, 'relay-token'), RELAY_TOKEN);
  writeFileSync(join(dir, 'gone-url'), `${url(HOOKS.gone)}\n`);
  writeFileSync(join(dir, 'nginx-password'), NGINX_PASSWORD);
  writeFileSync(join(dir, 'web.yml'), `basic_auth_users:\n  prometheus: ${BASIC_HASH}\n`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TOCSIN_HX_HOOK_401: url(HOOKS.unauthorized),
    TOCSIN_HX_HOOK_500: url(HOOKS.broken),
    TOCSIN_HX_API_TOKEN: API_TOKEN,
    TOCSIN_HX_BOT_TOKEN: BOT_TOKEN,
    TOCSIN_HX_MYSQL_PASSWORD: MYSQL_PASSWORD,
  };
  writeFileSync(
    join(dir, 'relay.yml'),
    `log: {level: debug}
relay:
  data_dir: ${dir}/data
  auth: {bearer_token_file: ${dir}/relay-token}
  api_auth: {bearer_token: "\${TOCSIN_HX_API_TOKEN}"}
  delivery: {min_interval: 10ms, timeout: 2s}
  destinations:
    - {name: unauthorized, webhook_url: "\${TOCSIN_HX_HOOK_401}"}
    - {name: gone, webhook_url_file: ${dir}/gone-url}
    - {name: broken, webhook_url: "\${TOCSIN_HX_HOOK_500}"}
    - {name: app, type: slack_app, bot_token: "\${TOCSIN_HX_BOT_TOKEN}", channel: C0SECRETS01, api_url: "${slackApi.url}"}
  default_destinations: [unauthorized, gone, broken, app]
`,
  );
  writeFileSync(
    join(dir, 'exporter.yml'),
    `log: {level: debug}
exporter:
  collectors:
    nginx:
      enabled: true
      timeout: 1s
      endpoints:
        - url: http://127.0.0.1:${nginxPort}/nginx_status
          basic_auth: {username: tocsin, password_file: ${dir}/nginx-password}
    mysql: {enabled: true, host: 127.0.0.1, port: ${mysqlPort}, user: tocsin, password: "\${TOCSIN_HX_MYSQL_PASSWORD}", timeout: 1s}
`,
  );

  const relay = await startTocsin(['relay', `--config.file=${dir}/relay.yml`, '--relay.listen-address=127.0.0.1:0'], { env });
  t.teardown(() => relay.stop());
  const exporter = await startTocsin(
    ['exporter', `--config.file=${dir}/exporter.yml`, `--web.config.file=${dir}/web.yml`, '--web.listen-address=127.0.0.1:0'],
    { env },
  );
  t.teardown(() => exporter.stop());

  /** One request; its status, headers and body are all scanned. */
  const call = async (base: string, method: string, path: string, headers: Record<string, string> = {}, body?: string) => {
    // A JSON content type with no body is a 400 of its own: not what these requests test.
    const { 'content-type': contentType, ...rest } = headers;
    const sent = body === undefined || contentType === undefined ? rest : headers;
    const res = await fetch(`${base}${path}`, { method, headers: sent, ...(body !== undefined && { body }), signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    keep(`${method} ${path} -> ${res.status}`, `${res.status} ${JSON.stringify([...res.headers])} ${text}`);
    return { status: res.status, text };
  };
  const json = { 'content-type': 'application/json' };
  const hookAuth = { ...json, authorization: `Bearer ${RELAY_TOKEN}` };
  const apiAuth = { ...json, authorization: `Bearer ${API_TOKEN}` };
  const basic = (user: string, pw: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}` });

  // Notifications to the three failing destinations.
  const notification = (i: number) =>
    JSON.stringify({
      version: '4',
      groupKey: `{}:{alertname="SecretScan${i}"}`,
      status: 'firing',
      receiver: 'relay',
      groupLabels: { alertname: `SecretScan${i}` },
      commonLabels: { alertname: `SecretScan${i}`, severity: 'critical' },
      commonAnnotations: { summary: 'a test alert' },
      externalURL: 'http://alertmanager.example:9093',
      truncatedAlerts: 0,
      alerts: [{ status: 'firing', labels: { alertname: `SecretScan${i}` }, annotations: {}, startsAt: new Date().toISOString(), endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: `f${i}` }],
    });
  for (let i = 0; i < 3; i++) t.equal((await call(relay.url, 'POST', '/hooks/alertmanager', hookAuth, notification(i))).status, 200);

  // Bad requests to the relay: near-miss and swapped credentials, bad bodies.
  const nearMiss = `${RELAY_TOKEN.slice(0, -1)}${RELAY_TOKEN.endsWith('x') ? 'y' : 'x'}`;
  for (const authorization of [`Bearer ${nearMiss}`, `Bearer ${API_TOKEN}`, `Basic ${Buffer.from(`am:${RELAY_TOKEN}`).toString('base64')}`, RELAY_TOKEN]) {
    t.equal((await call(relay.url, 'POST', '/hooks/alertmanager', { ...json, authorization }, notification(9))).status, 401);
  }
  t.equal((await call(relay.url, 'POST', '/hooks/alertmanager', hookAuth, '{"status": "firing", "alerts": "no"}')).status, 400);
  t.equal((await call(relay.url, 'POST', '/hooks/alertmanager', hookAuth, '{not json')).status, 400);
  t.equal((await call(relay.url, 'POST', '/hooks/alertmanager', hookAuth, 'x'.repeat(2 * 1024 * 1024))).status, 413);

  // The channels API: wrong token; webhook URLs with credentials (refused without echo); a good one.
  t.equal((await call(relay.url, 'GET', '/api/v1/channels', { authorization: `Bearer ${RELAY_TOKEN}` })).status, 401);
  const withCredentials = `https://user:${API_TOKEN}@hooks.slack.com${HOOKS.api.path}`;
  t.equal((await call(relay.url, 'POST', '/api/v1/channels', apiAuth, JSON.stringify({ name: 'creds', webhook_url: withCredentials }))).status, 400);
  t.equal((await call(relay.url, 'POST', '/api/v1/channels', apiAuth, JSON.stringify({ name: 'bad name!', webhook_url: url(HOOKS.api) }))).status, 400);
  t.equal((await call(relay.url, 'POST', '/api/v1/channels', apiAuth, JSON.stringify({ name: 'api', webhook_url: url(HOOKS.api), colour: url(HOOKS.api) }))).status, 400);
  t.equal((await call(relay.url, 'POST', '/api/v1/channels', apiAuth, JSON.stringify({ name: 'api', webhook_url: url(HOOKS.api) }))).status, 201);
  t.equal((await call(relay.url, 'POST', '/api/v1/channels', apiAuth, JSON.stringify({ name: 'api', webhook_url: url(HOOKS.api) }))).status, 409);
  t.equal((await call(relay.url, 'PUT', '/api/v1/channels/api', apiAuth, JSON.stringify({ webhook_url: `127.0.0.1${HOOKS.api.path}` }))).status, 400);
  t.equal((await call(relay.url, 'PATCH', '/api/v1/channels/api', apiAuth, JSON.stringify({ webhook_url: withCredentials }))).status, 400);
  t.equal((await call(relay.url, 'PATCH', '/api/v1/channels/nowhere', apiAuth, JSON.stringify({ webhook_url: url(HOOKS.api) }))).status, 404);

  // The exporter behind basic auth: wrong password, wrong user, the hash as the password.
  for (const [user, pw] of [['prometheus', `${BASIC_PASSWORD}x`], ['root', BASIC_PASSWORD], ['prometheus', BASIC_HASH]] as const) {
    t.equal((await call(exporter.url, 'GET', '/metrics', basic(user, pw))).status, 401);
  }
  t.equal((await call(exporter.url, 'GET', '/metrics', { authorization: `Bearer ${BASIC_PASSWORD}` })).status, 401);

  // Let every destination fail at least twice (dead letters for 401/404, retries for 500).
  await pollUntil(
    () => [HOOKS.unauthorized, HOOKS.gone, HOOKS.broken].every((h) => slack.requestsTo(h.path).length >= 2) && slackApi.authTests.some((c) => c.token === BOT_TOKEN),
    20_000,
    () => `requests: ${slack.requests.map((r) => `${r.path.split('/')[2]} ${r.status}`).join(', ')}`,
  );
  // Re-drive the dead letters: they fail again, through the API this time.
  for (const d of ['unauthorized', 'gone']) t.equal((await call(relay.url, 'POST', `/api/v1/dead-letters/retry?destination=${d}`, apiAuth)).status, 200);
  await pollUntil(() => slack.requestsTo(HOOKS.gone.path).length >= 4, 10_000, () => 'the re-driven dead letters were not sent again');
  await new Promise((r) => setTimeout(r, 500));

  // What a user reads: every API answer, both /metrics, the ops pages.
  for (const path of ['/api/v1/channels', '/api/v1/channels/api', '/api/v1/channels/gone', '/api/v1/dead-letters', '/api/v1/queues']) {
    t.equal((await call(relay.url, 'GET', path, apiAuth)).status, 200, path);
  }
  t.equal((await call(relay.url, 'GET', '/metrics')).status, 200);
  t.equal((await call(relay.url, 'GET', '/')).status, 200);
  const scrape = await call(exporter.url, 'GET', '/metrics', basic('prometheus', BASIC_PASSWORD));
  t.equal(scrape.status, 200);
  t.match(scrape.text, /nginx_up 0/, 'the nginx collector ran and failed');
  t.match(scrape.text, /mysql_up 0/, 'the MySQL collector ran and failed');
  t.ok(JSON.parse((await call(relay.url, 'GET', '/api/v1/dead-letters', apiAuth)).text).length >= 2, 'Slack refusals were dead-lettered');

  // Wrong configs: each must fail check-config (exit 1) without repeating the secret.
  const badConfigs: Record<string, string> = {
    'inline webhook URL': `relay:\n  destinations:\n    - {name: a, webhook_url: "https://hooks.slack.com${HOOKS.unauthorized.path}"}\n`,
    'inline bearer token': `relay:\n  auth: {bearer_token: ${RELAY_TOKEN}}\n`,
    'inline API token': `relay:\n  api_auth: {bearer_token: "${API_TOKEN}"}\n`,
    'inline bot token': `relay:\n  destinations:\n    - {name: a, type: slack_app, bot_token: ${BOT_TOKEN}, channel: C0SECRETS01}\n`,
    'a bot token on a webhook destination': `relay:\n  destinations:\n    - {name: a, webhook_url_file: ${dir}/gone-url, bot_token_file: ${dir}/bot-token}\n`,
    'inline MySQL password': `exporter:\n  collectors:\n    mysql: {enabled: true, password: ${MYSQL_PASSWORD}}\n`,
    'a YAML error on the line of a secret': `relay:\n  destinations:\n    - {name: a, webhook_url: "https://hooks.slack.com${HOOKS.gone.path}}\n`,
    'a misspelt key holding a secret': `relay:\n  auth: {bearer_tokn: ${RELAY_TOKEN}}\n`,
    // (A secret typed into a field that is not secret, such as max_body_bytes, is echoed like
    // any other bad value: the loader cannot know it is one.)
    'a secret of the wrong type': `relay:\n  auth: {bearer_token: {value: ${RELAY_TOKEN}}}\n`,
    'a secret in a list': `relay:\n  api_auth: {bearer_token: [${API_TOKEN}]}\n`,
    'a webhook URL with credentials in its file': `relay:\n  destinations:\n    - {name: a, webhook_url_file: ${dir}/creds-url}\n`,
    'a webhook URL file holding garbage': `relay:\n  destinations:\n    - {name: a, webhook_url_file: ${dir}/garbage-url}\n`,
    'a web config with a plain password': '',
  };
  writeFileSync(join(dir, 'bot-token'), BOT_TOKEN);
  writeFileSync(join(dir, 'creds-url'), `https://hooks:${NGINX_PASSWORD}@hooks.slack.com${HOOKS.broken.path}\n`);
  writeFileSync(join(dir, 'garbage-url'), `not a url ${HOOKS.broken.path} ${RELAY_TOKEN}\n`);
  writeFileSync(join(dir, 'plain-web.yml'), `basic_auth_users:\n  prometheus: ${BASIC_PASSWORD}\n`);
  mkdirSync(join(dir, 'bad'), { recursive: true });
  for (const [name, text] of Object.entries(badConfigs)) {
    const file = join(dir, 'bad', `${name.replace(/\W+/g, '-')}.yml`);
    writeFileSync(file, text || 'log: {level: info}\n');
    const args = ['check-config', file, ...(text ? [] : [`--web.config.file=${dir}/plain-web.yml`])];
    const r = spawnSync(process.execPath, tocsinArgs(args), { encoding: 'utf8', timeout: 30_000, env });
    t.equal(r.status, 1, `check-config refuses ${name}: ${r.stdout}${r.stderr}`);
    keep(`check-config (${name})`, `${r.stdout}\n${r.stderr}`);
    // A bad config at start: the same message, then exit 1.
  }

  await relay.stop();
  await exporter.stop();
  for (const [who, p] of [['relay', relay], ['exporter', exporter]] as const) {
    for (const [i, line] of `${p.stderr()}\n${p.stdout()}`.split('\n').entries()) if (line.trim()) keep(`${who} log line ${i + 1}`, line);
  }
  const files = filesUnder(join(dir, 'data')).filter((f) => !f.endsWith('/channels.json'));
  t.ok(files.some((f) => /outbox/.test(f)), `the outbox is among the files scanned (${files.map((f) => f.slice(dir.length)).join(', ')})`);
  for (const f of files) keep(`file ${f.slice(dir.length + 1)}`, readFileSync(f, 'latin1'));
  // The secret store holds the API-created URL: proof that it was a real secret to find.
  t.ok(readFileSync(join(dir, 'data', 'channels.json'), 'utf8').includes(HOOKS.api.token), 'channels.json (not scanned) holds the API channel URL');

  const leaks = leaksIn(places);
  const by = (kind: string) => places.filter((p) => p.where.startsWith(kind)).length;
  t.comment(
    `secrets: ${NEEDLES.size} secrets, ${[...NEEDLES.values()].reduce((s, n) => s + n.length, 0)} distinctive parts; places scanned ${places.length} ` +
      `(log lines ${by('relay log') + by('exporter log')}, API/metrics/HTTP responses ${places.filter((p) => / -> \d+$/.test(p.where)).length}, ` +
      `check-config outputs ${by('check-config')}, data files ${by('file')}); leaks ${leaks.length}`,
  );
  t.same(leaks, [], 'zero leaks');
});
