// Push targets on a real exporter over real HTTP: heartbeats with the target's own token (401
// alike for a wrong token and an unknown name), status and message, push_missing after
// interval + grace, targets from the config file, the API (a token made and shown once, only
// its hash stored) and reload, and the crontab line of the README run by real curl.
import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { pushTokenSha256 } from '../../src/config/push.js';
import { startExporter } from '../../src/exporter/server.js';
import { probeTargetSchema } from '../../src/config/probes.js';
import { heartbeatResult, PUSH_MESSAGE_MAX } from '../../src/probes/push.js';
import { ProbeScheduler } from '../../src/probes/scheduler.js';
import { silentLogger } from '../helpers/collect.js';
import { requireBinary } from '../helpers/bin.js';
import { captureLogger } from '../helpers/log-capture.js';
import { parseExposition, select, value, type Exposition } from '../helpers/exposition.js';
import { freePort } from '../helpers/net.js';
import { tmpDir } from '../helpers/tmp.js';
import bcrypt from 'bcryptjs';
import { loadWebConfig, WebSettings } from '../../src/http/web-config.js';

const API_TOKEN = 'push-test-api-token-7c1d0e';
const BACKUP_TOKEN = 'backup-heartbeat-token-91f3a2b4';
const OFF = '{cpu: {enabled: false}, meminfo: {enabled: false}, loadavg: {enabled: false}, stat: {enabled: false}, vmstat: {enabled: false}, pressure: {enabled: false}, filesystem: {enabled: false}, netdev: {enabled: false}, diskstats: {enabled: false}, process: {enabled: false}}';

function yaml(port: number, dir: string, targets: string, extra = '') {
  return `exporter:
  listen_address: 127.0.0.1:${port}
  collectors: ${OFF}
  probes:
    data_dir: ${dir}/store
    api_auth: {bearer_token_file: ${dir}/api-token}
${extra}    targets:
${targets}`;
}

async function start(t: Test, dir: string, targets: string, extra = '') {
  writeFileSync(join(dir, 'api-token'), API_TOKEN);
  const port = await freePort();
  const log = captureLogger('debug');
  const text = yaml(port, dir, targets, extra);
  const exporter = await startExporter(parseConfig(text, 'tocsin.yml', dir), log.logger);
  t.teardown(() => exporter.close());
  return { url: exporter.url.replace('0.0.0.0', '127.0.0.1'), exporter, log, port };
}

async function call(url: string, method: string, path: string, opts: { token?: string | null; body?: unknown; form?: Record<string, string> } = {}) {
  const token = opts.token === undefined ? API_TOKEN : opts.token;
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.body);
  } else if (opts.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(opts.form).toString();
  }
  const res = await fetch(`${url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}), signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: text === '' ? undefined : (JSON.parse(text) as Record<string, any>) };
}

async function scrape(url: string): Promise<{ text: string; exp: Exposition }> {
  const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  return { text, exp: parseExposition(text) };
}

/** /metrics, scraped until `ready` holds (bounded: 80 tries, 24 s and more under load). */
async function scrapeUntil(url: string, ready: (e: Exposition) => boolean): Promise<Exposition> {
  let last: Exposition | undefined;
  for (let i = 0; i < 80; i++) {
    last = (await scrape(url)).exp;
    if (ready(last)) return last;
    await sleep(300);
  }
  throw new Error(`not ready; last probe_success: ${JSON.stringify(last?.samples.filter((s) => s.name === 'probe_success' || s.name === 'tocsin_probe_failure_info'))}`);
}

const reasonOf = (e: Exposition, target: string) => select(e, 'tocsin_probe_failure_info', { target })[0]?.labels.reason;

t.test('a config file push target: heartbeats, failures with a message, push_missing, and nothing leaks', async (t) => {
  const dir = tmpDir(t, 'tocsin-push-');
  writeFileSync(join(dir, 'backup.token'), `${BACKUP_TOKEN}\n`);
  // interval 1s + grace 1s: missing 2 s after the last heartbeat.
  const { url, log } = await start(
    t,
    dir,
    `      - {name: nightly-backup, type: push, environment: LIVE, interval: 1s, timeout: 100ms, push: {token_file: ${dir}/backup.token, grace: 1s}}
      - {name: other, type: push, interval: 1m, push: {token_sha256: "${pushTokenSha256('other-token-0123456789')}"}}
`,
  );

  // Refusals: the same 401 for a wrong token, no token, and a name that does not exist.
  const wrong = await call(url, 'POST', '/api/v1/push/nightly-backup', { token: 'wrong-token-wrong-token' });
  const none = await call(url, 'POST', '/api/v1/push/nightly-backup', { token: null });
  const unknown = await call(url, 'POST', '/api/v1/push/no-such-target', { token: BACKUP_TOKEN });
  const otherToken = await call(url, 'POST', '/api/v1/push/other', { token: BACKUP_TOKEN });
  for (const [what, res] of [['wrong token', wrong], ['no token', none], ['unknown name', unknown], ["another target's token", otherToken]] as const) {
    t.equal(res.status, 401, `${what}: 401`);
    t.equal(res.body?.message, 'Unauthorized: unknown push target or wrong token', `${what}: the same words`);
    t.equal(res.headers.get('www-authenticate'), 'Bearer realm="tocsin"');
  }
  const viaGet = await call(url, 'GET', '/api/v1/push/nightly-backup', { token: BACKUP_TOKEN });
  t.equal(viaGet.status, 405, 'GET is refused: a heartbeat changes state');
  t.equal(viaGet.headers.get('allow'), 'POST');
  const badStatus = await call(url, 'POST', '/api/v1/push/nightly-backup?status=maybe', { token: BACKUP_TOKEN });
  t.equal(badStatus.status, 400);
  t.match(badStatus.body?.message, /^status: expected "success" or "failure", got "maybe"/);
  const badMessage = await call(url, 'POST', '/api/v1/push/nightly-backup', { token: BACKUP_TOKEN, body: { message: 42 } });
  t.equal(badMessage.status, 400);
  t.match(badMessage.body?.message, /^message: expected a string/);
  const badBody = await call(url, 'POST', '/api/v1/push/nightly-backup', { token: BACKUP_TOKEN, body: [1] });
  t.equal(badBody.status, 400);
  t.match(badBody.body?.message, /^body: /);

  // A heartbeat: up at once, with the interval's deadline in the answer.
  const ok = await call(url, 'POST', '/api/v1/push/nightly-backup', { token: BACKUP_TOKEN });
  t.equal(ok.status, 200);
  t.match(ok.body, { target: 'nightly-backup', status: 'success', recorded: true });
  t.ok(ok.body?.next_deadline >= Date.now() / 1000 + 1 && ok.body?.next_deadline <= Date.now() / 1000 + 3, `deadline about interval + grace ahead (${ok.body?.next_deadline})`);
  let e = (await scrape(url)).exp;
  t.equal(value(e, 'probe_success', { target: 'nightly-backup', type: 'push', environment: 'LIVE' }), 1);
  t.equal(value(e, 'tocsin_probe_state', { target: 'nightly-backup', state: 'up' }), 1);
  t.equal(select(e, 'probe_success', { target: 'other' }).length, 0, 'a target that never called has no result yet');

  // A failure with a message, as a form (curl --data-urlencode): push_failure, the message bounded.
  const long = `disk full on /backup\n${'x'.repeat(1000)}`;
  const failed = await call(url, 'POST', '/api/v1/push/nightly-backup', { token: BACKUP_TOKEN, form: { status: 'failure', message: long } });
  t.equal(failed.status, 200);
  e = (await scrape(url)).exp;
  t.equal(value(e, 'probe_success', { target: 'nightly-backup' }), 0);
  t.equal(reasonOf(e, 'nightly-backup'), 'push_failure');
  const status = (await call(url, 'GET', '/api/v1/targets/nightly-backup/status', { token: null })).body!;
  t.equal(status.state, 'down');
  t.equal(status.last_failure.reason, 'push_failure');
  t.equal(status.last_failure.message.length, PUSH_MESSAGE_MAX, 'the message is cut to its bound');
  t.match(status.last_failure.message, /^disk full on \/backup x+…$/, 'on one line');

  // Heartbeats stop: push_missing once interval + grace have passed, and no sooner.
  t.equal((await call(url, 'POST', '/api/v1/push/nightly-backup', { token: BACKUP_TOKEN, body: { status: 'success' } })).status, 200);
  const sent = Date.now();
  e = (await scrape(url)).exp;
  t.equal(value(e, 'probe_success', { target: 'nightly-backup' }), 1, 'up again');
  e = await scrapeUntil(url, (x) => reasonOf(x, 'nightly-backup') === 'push_missing');
  // The deadline was set before the answer left (and a timer may fire a millisecond early).
  t.ok(Date.now() - sent >= 1900, `missing after interval + grace (${Date.now() - sent} ms)`);
  t.equal(value(e, 'probe_success', { target: 'nightly-backup' }), 0);
  const missing = (await call(url, 'GET', '/api/v1/targets/nightly-backup/status', { token: null })).body!;
  t.match(missing.last_failure.message, /^no heartbeat since \d{4}-.*\(expected every 1s \+ 1s grace\)$/);
  // Each further interval without a heartbeat is one more failed check.
  await scrapeUntil(url, (x) => (select(x, 'tocsin_probe_consecutive_failures', { target: 'nightly-backup' })[0]?.value ?? 0) >= 2);

  // The token is nowhere: not in /metrics, the API's answers, the logs.
  const everything = [(await scrape(url)).text, JSON.stringify((await call(url, 'GET', '/api/v1/targets', { token: null })).body), JSON.stringify(missing), JSON.stringify(log.lines)].join('\n');
  t.notMatch(everything, BACKUP_TOKEN.slice(0, 12), 'the token appears nowhere');
  t.notMatch(everything, pushTokenSha256(BACKUP_TOKEN), 'nor its hash');
});

t.test('the README crontab line, run by real curl', async (t) => {
  const curl = requireBinary('curl', 'curl');
  const dir = tmpDir(t, 'tocsin-push-');
  writeFileSync(join(dir, 'backup.token'), `${BACKUP_TOKEN}\n`);
  const { url } = await start(t, dir, `      - {name: backup, type: push, interval: 1d, push: {token_file: ${dir}/backup.token, grace: 30m}}\n`);
  const sh = promisify(execFile);
  const base = `${url}/api/v1/push/backup`;
  // The README's crontab command, word for word but for the paths: the job's exit code decides
  // the status; the token comes from a file.
  const line = (job: string) =>
    `${job}; s=$?; ${curl} -fsS -m 10 --retry 3 -o /dev/null -H "Authorization: Bearer $(cat ${dir}/backup.token)" --data-urlencode "status=$([ $s = 0 ] && echo success || echo failure)" --data-urlencode "message=${job} exited with $s" ${base}`;
  await sh('/bin/sh', ['-c', line('true')], { timeout: 20_000 });
  t.equal(value((await scrape(url)).exp, 'probe_success', { target: 'backup' }), 1, 'a job that succeeded');
  await sh('/bin/sh', ['-c', line('false')], { timeout: 20_000 });
  const e = (await scrape(url)).exp;
  t.equal(value(e, 'probe_success', { target: 'backup' }), 0, 'a job that failed');
  t.equal(reasonOf(e, 'backup'), 'push_failure');
  const status = await call(url, 'GET', '/api/v1/targets/backup/status', { token: null });
  t.equal(status.body?.last_failure.message, 'false exited with 1', "the job's message");
  // A plain POST without a body is a success, and curl -f fails on a wrong token (cron mails it).
  await sh(curl, ['-fsS', '-m', '10', '-X', 'POST', '-H', `Authorization: Bearer ${BACKUP_TOKEN}`, base], { timeout: 20_000 });
  t.equal(value((await scrape(url)).exp, 'probe_success', { target: 'backup' }), 1);
  await t.rejects!(sh(curl, ['-fsS', '-m', '10', '-X', 'POST', '-H', 'Authorization: Bearer not-the-token-at-all', base], { timeout: 20_000 }), /401/);
});

t.test('push targets through the API: a token made and shown once, only its hash stored', async (t) => {
  const dir = tmpDir(t, 'tocsin-push-');
  const { url } = await start(t, dir, '      []\n');
  const refused = await call(url, 'POST', '/api/v1/targets', { body: { name: 'job', type: 'push', interval: '1m', push: { token: '${HOME}' } } });
  t.equal(refused.status, 400);
  t.match(refused.body?.message, /^body\.push\.token: a push target's token is made by Tocsin/);
  const hashRefused = await call(url, 'POST', '/api/v1/targets', { body: { name: 'job', type: 'push', interval: '1m', push: { token_sha256: 'a'.repeat(64) } } });
  t.match(hashRefused.body?.message, /^body\.push\.token_sha256: /);
  const withAddress = await call(url, 'POST', '/api/v1/targets', { body: { name: 'job', type: 'push', address: 'http://x/', interval: '1m' } });
  t.equal(withAddress.status, 400);
  t.match(withAddress.body?.message, /^body\.address: a push target has no address/);
  const badGrace = await call(url, 'POST', '/api/v1/targets', { body: { name: 'job', type: 'push', interval: '1m', push: { grace: 'soon' } } });
  t.match(badGrace.body?.message, /^body\.push\.grace: expected/);

  const created = await call(url, 'POST', '/api/v1/targets', { body: { name: 'job', type: 'push', interval: '1m', push: { grace: '2m' } } });
  t.equal(created.status, 201);
  const token = created.body?.push?.token as string;
  t.match(token, /^[A-Za-z0-9_-]{32}$/, 'a token of 192 random bits');
  t.same(created.body?.push, { url: '/api/v1/push/job', grace: 120, token });
  const shown = await call(url, 'GET', '/api/v1/targets/job', { token: null });
  t.same(shown.body?.push, { url: '/api/v1/push/job', grace: 120 }, 'never shown again');
  const stored = readFileSync(join(dir, 'store', 'targets.json'), 'utf8');
  t.notMatch(stored, token, 'the store has no token');
  t.match(stored, pushTokenSha256(token), 'only its hash');

  t.equal((await call(url, 'POST', '/api/v1/push/job', { token })).status, 200, 'the token works');
  t.equal(value((await scrape(url)).exp, 'probe_success', { target: 'job', type: 'push' }), 1);

  // PUT and PATCH keep the token; a PUT cannot set one.
  const put = await call(url, 'PUT', '/api/v1/targets/job', { body: { type: 'push', interval: '5m' } });
  t.equal(put.status, 200);
  t.equal(put.body?.push?.token, undefined, 'a replaced push target keeps its token (none shown)');
  t.equal((await call(url, 'PATCH', '/api/v1/targets/job', { body: { environment: 'LIVE' } })).status, 200);
  t.equal((await call(url, 'PATCH', '/api/v1/targets/job', { body: { push: { token_file: '/etc/passwd' } } })).status, 400);
  t.equal((await call(url, 'POST', '/api/v1/push/job', { token })).status, 200, 'the same token still works');

  // A lost token: a new one, the old one refused at once.
  const rotated = await call(url, 'POST', '/api/v1/targets/job/push-token');
  t.equal(rotated.status, 200);
  const fresh = rotated.body?.push?.token as string;
  t.not(fresh, token);
  t.equal((await call(url, 'POST', '/api/v1/push/job', { token })).status, 401, 'the old token is refused');
  t.equal((await call(url, 'POST', '/api/v1/push/job', { token: fresh })).status, 200, 'the new one works');
  t.equal((await call(url, 'POST', '/api/v1/targets/job/push-token', { token: null })).status, 401, 'rotation needs the API credentials');

  // Paused: accepted (a cron job should not fail for it) but not recorded.
  t.equal((await call(url, 'POST', '/api/v1/targets/job/pause')).status, 200);
  const paused = await call(url, 'POST', '/api/v1/push/job', { token: fresh });
  t.equal(paused.status, 202);
  t.match(paused.body, { recorded: false, paused: true });

  // Another type has no token: none is made, and a type change away from push drops the hash.
  t.equal((await call(url, 'POST', '/api/v1/targets/job/resume')).status, 200);
  const http = await call(url, 'PUT', '/api/v1/targets/job', { body: { type: 'tcp', address: '127.0.0.1:1', interval: '1m', timeout: '1s' } });
  t.equal(http.status, 200);
  t.equal(http.body?.push, undefined);
  t.notMatch(readFileSync(join(dir, 'store', 'targets.json'), 'utf8'), 'token_sha256', 'no hash kept for a tcp target');
  t.equal((await call(url, 'POST', '/api/v1/push/job', { token: fresh })).status, 401, 'a tcp target takes no heartbeats');
  t.equal((await call(url, 'POST', '/api/v1/targets/job/push-token')).status, 409);
});

t.test('reload: a new token applies at once; a removed push target loses its series', async (t) => {
  const dir = tmpDir(t, 'tocsin-push-');
  writeFileSync(join(dir, 'backup.token'), BACKUP_TOKEN);
  const targets = `      - {name: backup, type: push, interval: 1m, push: {token_file: ${dir}/backup.token}}\n`;
  const { url, exporter, port } = await start(t, dir, targets);
  t.equal((await call(url, 'POST', '/api/v1/push/backup', { token: BACKUP_TOKEN })).status, 200);
  const next = 'rotated-heartbeat-token-5e6f7a8b';
  writeFileSync(join(dir, 'backup.token'), next);
  await exporter.reconfigure!(parseConfig(yaml(port, dir, targets), 'tocsin.yml', dir));
  t.equal((await call(url, 'POST', '/api/v1/push/backup', { token: BACKUP_TOKEN })).status, 401, 'the old token is refused after the reload');
  t.equal((await call(url, 'POST', '/api/v1/push/backup', { token: next })).status, 200, 'the new one works');
  await exporter.reconfigure!(parseConfig(yaml(port, dir, '      []\n'), 'tocsin.yml', dir));
  t.equal(select((await scrape(url)).exp, 'probe_success', { target: 'backup' }).length, 0, 'removed: no series');
  t.equal((await call(url, 'POST', '/api/v1/push/backup', { token: next })).status, 401);
});

t.test('config: a push target is refused with the path of the bad field', async (t) => {
  const problems = (target: string, env: Record<string, string> = {}) => {
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      parseConfig(`exporter:\n  probes:\n    targets:\n      - ${target}\n`, 'tocsin.yml', process.cwd());
      return [];
    } catch (err) {
      if (err instanceof ConfigError) return [...err.problems];
      throw err;
    } finally {
      process.env = saved;
    }
  };
  t.match(problems('{name: a, type: push}'), [/exporter\.probes\.targets\[0\]\.push\.token: a push target needs its token/]);
  t.match(problems('{name: a, type: push, push: {token: literal-token-in-the-file}}'), [/exporter\.probes\.targets\[0\]\.push\.token: secrets must not be written into the config file/]);
  t.match(problems('{name: a, type: push, push: {token: "${PUSH_T}"}}', { PUSH_T: 'short' }), [/exporter\.probes\.targets\[0\]\.push\.token: the token must be at least 16 characters/]);
  t.match(problems('{name: a, type: push, push: {token_sha256: "ABC"}}'), [/exporter\.probes\.targets\[0\]\.push\.token_sha256: expected the SHA-256/]);
  t.match(problems('{name: a, type: push, address: "127.0.0.1:80", push: {token: "${PUSH_T}"}}', { PUSH_T: 'long-enough-token-123' }), [/exporter\.probes\.targets\[0\]\.address: a push target has no address/]);
  t.same(problems('{name: a, type: push, push: {token: "${PUSH_T}"}}', { PUSH_T: 'long-enough-token-123' }), [], 'a token from the environment');
  t.same(problems('{name: a, type: push, interval: 2s, push: {token: "${PUSH_T}"}}', { PUSH_T: 'long-enough-token-123' }), [], 'the (unused) timeout is not checked against a short interval');
  t.match(problems('{name: a, type: push, push: {token: "${PUSH_T}", token_sha256: "' + 'a'.repeat(64) + '"}}', { PUSH_T: 'long-enough-token-123' }), [/push\.token: give one of token, token_file or token_sha256/]);
});

t.test('the scheduler: failure_threshold counts missed intervals; a heartbeat brings it up at once', async (t) => {
  const target = probeTargetSchema.parse({ name: 'job', type: 'push', interval: '1s', timeout: '100ms', failure_threshold: 2, push: { token_sha256: 'a'.repeat(64), grace: '0s' } });
  const scheduler = new ProbeScheduler({ logger: silentLogger, maxConcurrent: 10 });
  t.teardown(() => scheduler.close());
  scheduler.setTargets([target]);
  const s = scheduler.status('job')!;
  const started = Date.now();
  for (let i = 0; i < 100 && s.consecutiveFailures < 1; i++) await sleep(50);
  t.equal(s.last?.reason, 'push_missing', 'missing once interval + grace passed without a heartbeat');
  t.equal(s.state, 'unknown', 'one missed interval is under failure_threshold 2');
  for (let i = 0; i < 100 && s.state !== 'down'; i++) await sleep(50);
  t.equal(s.state, 'down', 'the second missed interval turns it down');
  t.ok(Date.now() - started >= 1900, `not before two intervals (${Date.now() - started} ms)`);
  t.equal(scheduler.heartbeat('job', heartbeatResult('success', undefined)), true);
  t.equal(s.state, 'up', 'a heartbeat: up at once');
  t.equal(scheduler.heartbeat('other', heartbeatResult('success', undefined)), false, 'no such target');
});

t.test('with --web.config.file users, a heartbeat needs only its own token; every other route still needs a user', async (t) => {
  const dir = tmpDir(t, 'push-web-');
  const file = join(dir, 'web.yml');
  writeFileSync(file, `basic_auth_users:\n  prometheus: ${JSON.stringify(bcrypt.hashSync('scrape-password', 4))}\n`);
  writeFileSync(join(dir, 'api-token'), API_TOKEN);
  writeFileSync(join(dir, 'backup.token'), `${BACKUP_TOKEN}\n`);
  const port = await freePort();
  const config = parseConfig(yaml(port, dir, `      - {name: backup, type: push, interval: 1h, push: {token_file: ${dir}/backup.token}}\n`), 'tocsin.yml', dir);
  const exporter = await startExporter(config, silentLogger, { web: new WebSettings(await loadWebConfig(file)) });
  t.teardown(() => exporter.close());
  const url = exporter.url.replace('0.0.0.0', '127.0.0.1');
  const beat = await call(url, 'POST', '/api/v1/push/backup', { token: BACKUP_TOKEN });
  t.equal(beat.status, 200, 'the cron job\'s heartbeat is recorded with its token alone');
  t.equal(beat.body?.recorded, true);
  t.equal((await call(url, 'POST', '/api/v1/push/backup', { token: 'not-the-backup-token-at-all' })).status, 401, 'a wrong token still fails');
  t.equal((await call(url, 'POST', '/api/v1/push/backup', { token: null })).status, 401, 'no token fails');
  // Everything else keeps the web config's users, including the GET on the same path.
  t.equal((await fetch(`${url}/metrics`)).status, 401, '/metrics needs a user');
  t.equal((await fetch(`${url}/api/v1/push/backup`)).status, 401, 'GET on the push path needs a user');
  t.equal((await call(url, 'GET', '/api/v1/targets', { token: BACKUP_TOKEN })).status, 401, 'a push token opens nothing else');
  const scraped = await fetch(`${url}/metrics`, { headers: { authorization: `Basic ${Buffer.from('prometheus:scrape-password').toString('base64')}` } });
  t.equal(scraped.status, 200, 'the user still scrapes');
});
