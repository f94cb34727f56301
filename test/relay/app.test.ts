// The relay's HTTP surface through app.inject(), with a real outbox on disk and the fake
// Slack on a real socket behind it.
import t, { type Test } from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { createRelay, type Relay } from '../../src/relay/server.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import type { Logger } from 'pino';
import { capturingLogger, silentLogger } from '../helpers/collect.js';
import { parseExposition, select, value } from '../helpers/exposition.js';
import { MAX_RECEIVERS } from '../../src/relay/metrics.js';
import { amFixtureJson as fixture } from '../helpers/am-fixtures.js';
import { tmpDir } from '../helpers/tmp.js';


interface Setup {
  relay: Relay;
  slack: FakeSlack;
  dir: string;
  lines: string[];
}

async function setup(t: Test, extra = '', logger: Logger = silentLogger): Promise<Setup> {
  const slack = await FakeSlack.start();
  const dir = tmpDir(t, 'tocsin-relay-app-');
  process.env.TOCSIN_TEST_CRITICAL = slack.url('/critical');
  process.env.TOCSIN_TEST_WARNING = slack.url('/warning');
  writeFileSync(join(dir, 'token'), 's3cret-token\n');
  const config = parseConfig(
    `relay:
  data_dir: ${dir}/data
  auth:
    bearer_token_file: ${dir}/token
  delivery:
    min_interval: 10ms
    timeout: 2s
  destinations:
    - {name: critical, webhook_url: "\${TOCSIN_TEST_CRITICAL}"}
    - {name: warning, webhook_url: "\${TOCSIN_TEST_WARNING}"}
    - {name: console, type: console}
  routes:
    - {matchers: ['severity="critical"'], destinations: [critical], mention: '<!here>'}
    - {matchers: ['severity="warning"'], destinations: [warning]}
  default_destinations: [console]
${extra}`,
    'test.yml',
  );
  const lines: string[] = [];
  const relay = await createRelay(config, logger, { consoleWrite: (text) => lines.push(text) });
  t.teardown(async () => {
    await relay.close();
    await slack.close();
  });
  return { relay, slack, dir, lines };
}

const auth = { authorization: 'Bearer s3cret-token' };
const post = (s: Setup, body: unknown, headers: Record<string, string> = auth) =>
  s.relay.app.inject({ method: 'POST', url: '/hooks/alertmanager', payload: body as object, headers });

t.test('routes by severity; the fixture payloads arrive at the right fake channel', async (t) => {
  const s = await setup(t);
  const crit = await post(s, fixture('firing-grouped-critical.json'));
  t.equal(crit.statusCode, 200);
  t.same(crit.json(), { outcome: 'accepted', destinations: ['critical'] });
  const warn = await post(s, fixture('firing-warning.json'));
  t.same(warn.json().destinations, ['warning']);
  await s.slack.waitForRequests('/critical', 1, 5000);
  await s.slack.waitForRequests('/warning', 1, 5000);
  const msg = s.slack.requestsTo('/critical')[0]!.body as { text: string };
  t.match(msg.text, /<!here>/, 'critical carries the mention');
  t.notMatch((s.slack.requestsTo('/warning')[0]!.body as { text: string }).text, /<!here>/);

  // No route matches severity="info": it goes to the default destination, the console.
  const info = fixture('firing-warning.json');
  info.commonLabels = { ...info.commonLabels, severity: 'info' };
  info.groupKey = 'info-group';
  t.same((await post(s, info)).json().destinations, ['console']);
  const deadline = Date.now() + 5000;
  while (s.lines.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.match(s.lines[0], /FIRING/, 'the console prints readable text');
  t.notMatch(s.lines[0], /^\{/, 'not raw JSON');
});

t.test('authentication: 401 without or with wrong credentials, never logged', async (t) => {
  const log = capturingLogger();
  const s = await setup(t, '', log.logger);
  const body = fixture('firing-warning.json');
  t.equal((await post(s, body, {})).statusCode, 401);
  const wrong = await post(s, body, { authorization: 'Bearer nope' });
  t.equal(wrong.statusCode, 401);
  t.notMatch(wrong.body, /s3cret/);
  t.equal((await post(s, body, { authorization: 'Basic dXNlcjpzM2NyZXQtdG9rZW4=' })).statusCode, 401, 'basic auth not configured');
  t.equal((await post(s, body)).statusCode, 200);
  t.match(log.text(), /401/, 'the refusals are logged (at debug level at least)');
  t.notMatch(log.text(), /s3cret|nope|dXNlcjpz|authorization/i, 'neither the credentials nor the header are');
});

t.test('basic auth as Alertmanager sends it', async (t) => {
  const dir = tmpDir(t, 'tocsin-basic-');
  writeFileSync(join(dir, 'pw'), 'hunter2');
  const config = parseConfig(
    `relay:\n  data_dir: ${dir}/data\n  auth:\n    basic_auth: {username: am, password_file: ${dir}/pw}\n  destinations: [{name: console, type: console}]\n`,
    'basic.yml',
  );
  const relay = await createRelay(config, silentLogger, { consoleWrite: () => undefined });
  t.teardown(() => relay.close());
  const send = (authorization?: string) =>
    relay.app.inject({ method: 'POST', url: '/hooks/alertmanager', payload: fixture('firing-warning.json'), headers: authorization ? { authorization } : {} });
  t.equal((await send()).statusCode, 401);
  t.equal((await send(`Basic ${Buffer.from('am:wrong').toString('base64')}`)).statusCode, 401);
  t.equal((await send(`Basic ${Buffer.from('am:hunter2').toString('base64')}`)).statusCode, 200);
});

t.test('bad bodies get a 400 that names the field; unknown fields are fine', async (t) => {
  const s = await setup(t);
  let res = await post(s, { status: 'firing', receiver: 'r' });
  t.equal(res.statusCode, 400);
  t.match(res.json().message, /alerts/);
  const body = fixture('firing-warning.json');
  body.alerts[0].status = 'burning';
  res = await post(s, body);
  t.equal(res.statusCode, 400);
  t.match(res.json().message, 'body.alerts[0].status');
  const extra = { ...fixture('firing-warning.json'), someFutureField: { x: 1 } };
  extra.alerts[0].anotherNewField = true;
  t.equal((await post(s, extra)).statusCode, 200, 'Alertmanager may add fields');
  res = await s.relay.app.inject({ method: 'POST', url: '/hooks/alertmanager', payload: 'not json', headers: { ...auth, 'content-type': 'application/json' } });
  t.equal(res.statusCode, 400);
});

t.test('wrong types are refused, not coerced: 400 naming the field (issue 8 item 11)', async (t) => {
  const s = await setup(t);
  const nullReceiver = fixture('firing-warning.json');
  nullReceiver.receiver = null;
  let res = await post(s, nullReceiver);
  t.equal(res.statusCode, 400, 'receiver: null');
  t.match(res.json().message, /^body\.receiver: /);
  const numericLabel = fixture('firing-warning.json');
  numericLabel.alerts[0].labels.port = 9100;
  res = await post(s, numericLabel);
  t.equal(res.statusCode, 400, 'a numeric label value');
  t.match(res.json().message, /^body\.alerts\[0\]\.labels\.port: /);
  const numericReceiver = fixture('firing-warning.json');
  numericReceiver.receiver = 42;
  t.equal((await post(s, numericReceiver)).statusCode, 400, 'a number is not a string either');
  const boolAnnotation = fixture('firing-warning.json');
  boolAnnotation.commonAnnotations.summary = true;
  res = await post(s, boolAnnotation);
  t.equal(res.statusCode, 400);
  t.match(res.json().message, /^body\.commonAnnotations\.summary: /);
  t.equal(s.relay.outbox.depth(), 0, 'nothing was stored');
  const extra = { ...fixture('firing-warning.json'), futureField: { nested: [1, { x: null }] }, futureNumber: 3 };
  t.equal((await post(s, extra)).statusCode, 200, 'unknown extra fields of any type still pass');
});

t.test('deeply nested JSON in an unknown field: 400, not 503 (issue 8 item 8)', async (t) => {
  const s = await setup(t, '  max_body_bytes: 1MiB\n');
  const levels = 10_000;
  const text = JSON.stringify(fixture('firing-warning.json')).replace(/^\{/, `{"deep":${'['.repeat(levels)}${']'.repeat(levels)},`);
  const res = await s.relay.app.inject({
    method: 'POST',
    url: '/hooks/alertmanager',
    payload: text,
    headers: { ...auth, 'content-type': 'application/json' },
  });
  t.equal(res.statusCode, 400, '400: Alertmanager does not retry it forever');
  t.match(res.json().message, /^body\.deep: nested deeper than \d+ levels/);
  t.equal(s.relay.outbox.depth(), 0, 'nothing was stored');
  // Some nesting in an unknown field is fine (Alertmanager may add structured fields).
  const nested = { ...fixture('firing-warning.json'), groupKey: 'nested', deep: JSON.parse(`${'['.repeat(10)}${']'.repeat(10)}`) };
  t.equal((await post(s, nested)).statusCode, 200);
  const metrics = parseExposition((await s.relay.app.inject('/metrics')).body);
  t.equal(value(metrics, 'tocsin_relay_notifications_rejected_total', { reason: 'invalid' }), 1);
});

t.test('body size limit gives 413', async (t) => {
  const s = await setup(t, '  max_body_bytes: 2KiB\n');
  const body = fixture('firing-warning.json');
  body.alerts[0].annotations.description = 'x'.repeat(4096);
  t.equal((await post(s, body)).statusCode, 413);
  const metrics = parseExposition((await s.relay.app.inject('/metrics')).body);
  t.equal(value(metrics, 'tocsin_relay_notifications_rejected_total', { reason: 'too_large' }), 1);
});

t.test('an identical notification within the window is a duplicate and counted', async (t) => {
  const s = await setup(t);
  const body = fixture('firing-warning.json');
  const [a, b] = await Promise.all([post(s, body), post(s, body)]);
  t.same([a.json().outcome, b.json().outcome].sort(), ['accepted', 'duplicate'], 'concurrent copies: one stored');
  t.equal((await post(s, body)).json().outcome, 'duplicate');
  t.equal((await post(s, fixture('resolved-warning.json'))).json().outcome, 'accepted', 'the resolved one is new');
  const metrics = parseExposition((await s.relay.app.inject('/metrics')).body);
  t.equal(value(metrics, 'tocsin_relay_duplicates_total'), 2);
});

t.test('notify="false" alerts are suppressed and counted', async (t) => {
  const s = await setup(t);
  const body = fixture('firing-grouped-critical.json');
  body.alerts[0].labels.notify = 'false';
  t.equal((await post(s, body)).json().outcome, 'accepted', 'one alert is left');
  await s.slack.waitForRequests('/critical', 1, 5000);
  const sent = JSON.stringify(s.slack.requestsTo('/critical')[0]!.body);
  t.notMatch(sent, /Container api stopped/, 'the suppressed alert is not shown');
  t.match(sent, /Container worker stopped/);
  body.alerts[1].labels.notify = 'false';
  body.groupKey = 'other';
  t.equal((await post(s, body)).json().outcome, 'suppressed');
  const metrics = parseExposition((await s.relay.app.inject('/metrics')).body);
  t.equal(value(metrics, 'tocsin_relay_notifications_suppressed_total', { reason: 'label' }), 1);
});

t.test('the receiver label is bounded: 3,000 distinct receivers, a bounded number of series (issue 8 item 9)', async (t) => {
  const s = await setup(t);
  const N = 3000;
  const body = fixture('firing-warning.json');
  body.alerts[0].labels.notify = 'false'; // suppressed: counted, not stored (fast), as in the report
  for (let i = 0; i < N; i++) {
    body.receiver = `receiver-${i}`;
    const res = await post(s, body);
    if (res.statusCode !== 200) t.fail(`post ${i}: ${res.statusCode}`);
  }
  const text = (await s.relay.app.inject('/metrics')).body;
  const series = select(parseExposition(text), 'tocsin_relay_notifications_received_total');
  t.ok(series.length <= MAX_RECEIVERS + 1, `${series.length} series for ${N} receivers`);
  t.ok(series.length > 1, 'the first receivers keep their own series');
  t.equal(value(parseExposition(text), 'tocsin_relay_notifications_received_total', { receiver: 'receiver-0', status: 'firing' }), 1);
  t.equal(
    value(parseExposition(text), 'tocsin_relay_notifications_received_total', { receiver: 'other', status: 'firing' }),
    N - MAX_RECEIVERS,
    'the rest are counted under receiver="other"',
  );
  t.equal(series.reduce((sum, x) => sum + x.value, 0), N, 'every notification is counted once');
  t.ok(Buffer.byteLength(text) < 100_000, `/metrics stays small (${Buffer.byteLength(text)} bytes)`);
});

t.test('the outbox cannot store: 503, so Alertmanager retries', async (t) => {
  const s = await setup(t);
  await s.relay.outbox.close();
  const res = await post(s, fixture('firing-warning.json'));
  t.equal(res.statusCode, 503);
  // Not remembered as seen: Alertmanager's retry is tried again, not answered 200 as a duplicate.
  t.equal((await post(s, fixture('firing-warning.json'))).statusCode, 503, 'the retry is not taken for a duplicate');
});

t.test('channel API: CRUD, masked URLs, persistence, auth', async (t) => {
  process.env.TOCSIN_TEST_API_TOKEN = 'api-token';
  const s = await setup(t, '  api_auth:\n    bearer_token: "${TOCSIN_TEST_API_TOKEN}"\n');
  const api = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: object, token = 'api-token') =>
    s.relay.app.inject({ method, url: `/api/v1${url}`, ...(payload && { payload }), headers: { authorization: `Bearer ${token}` } });

  t.equal((await api('GET', '/channels', undefined, 'wrong')).statusCode, 401);
  let res = await api('GET', '/channels');
  t.equal(res.statusCode, 200);
  t.same(res.json().map((c: { name: string }) => c.name), ['critical', 'warning', 'console']);
  t.notMatch(res.body, /\/critical/, 'webhook URLs are masked');

  const secretUrl = s.slack.url('/ops/T000/B000/very-secret');
  res = await api('POST', '/channels', { name: 'ops', webhook_url: secretUrl });
  t.equal(res.statusCode, 201);
  t.notMatch(res.body, /very-secret/);
  t.equal((await api('POST', '/channels', { name: 'ops', webhook_url: secretUrl })).statusCode, 409);
  res = await api('POST', '/channels', { name: 'x', webhook_url: 'ftp://nope', colour: 'red' });
  t.equal(res.statusCode, 400);
  t.match(res.json().message, 'body.colour');
  res = await api('POST', '/channels', { name: 'x', webhook_url: 'not a url' });
  t.match(res.json().message, 'body.webhook_url');
  t.notMatch(res.body, /not a url/, 'the rejected value is not echoed');
  t.equal((await api('PATCH', '/channels/ops', { enabled: 'yes' })).statusCode, 400);

  res = await api('PATCH', '/channels/warning', { enabled: false });
  t.equal(res.json().enabled, false);
  const warn = await post(s, fixture('firing-warning.json'));
  t.equal(warn.json().outcome, 'suppressed', 'a disabled destination gets nothing');
  t.equal((await api('DELETE', '/channels/console')).statusCode, 409, 'config channels are not deleted');
  t.equal((await api('GET', '/channels/nope')).statusCode, 404);
  res = await api('PUT', '/channels/critical', { webhook_url: s.slack.url('/critical-2'), enabled: true });
  t.equal(res.statusCode, 200);
  t.equal((await post(s, fixture('firing-grouped-critical.json'))).json().outcome, 'accepted');
  await s.slack.waitForRequests('/critical-2', 1, 5000);
  t.equal(s.slack.requestsTo('/critical-2').length, 1, 'a changed URL applies at once');

  // A new relay on the same data directory sees the API's changes, and says which the API made.
  await s.relay.close();
  const again = await createRelay(
    parseConfig(
      `relay:\n  data_dir: ${s.dir}/data\n  api_auth: {bearer_token: "\${TOCSIN_TEST_API_TOKEN}"}\n  destinations:\n    - {name: critical, webhook_url: "\${TOCSIN_TEST_CRITICAL}"}\n    - {name: warning, webhook_url: "\${TOCSIN_TEST_WARNING}"}\n`,
      'again.yml',
    ),
    silentLogger,
  );
  t.teardown(() => again.close());
  const list = (await again.app.inject({ url: '/api/v1/channels', headers: { authorization: 'Bearer api-token' } })).json() as { name: string; enabled: boolean; source: string; overridden: boolean }[];
  t.same(
    list.map((c) => [c.name, c.enabled, c.source, c.overridden]),
    [
      ['critical', true, 'config+api', true],
      ['warning', false, 'config+api', true],
      ['ops', true, 'api', false],
    ],
  );
  const del = await again.app.inject({ method: 'DELETE', url: '/api/v1/channels/ops', headers: { authorization: 'Bearer api-token' } });
  t.equal(del.statusCode, 204);
  const stored = readFileSync(join(s.dir, 'data', 'channels.json'), 'utf8');
  t.notMatch(stored, /very-secret/, 'deleted channels leave nothing behind');
});

t.test('dead letters are visible through the API and metrics', async (t) => {
  const s = await setup(t);
  s.slack.setMode('/warning', { kind: 'slackError', error: 'channel_is_archived' });
  await post(s, fixture('firing-warning.json'));
  const deadline = Date.now() + 5000;
  let dead: { reason: string; destination: string }[] = [];
  while (dead.length === 0 && Date.now() < deadline) {
    dead = (await s.relay.app.inject('/api/v1/dead-letters')).json();
    await new Promise((r) => setTimeout(r, 20));
  }
  t.equal(dead.length, 1);
  t.equal(dead[0]!.destination, 'warning');
  t.match(dead[0]!.reason, /channel_is_archived/);
  const metrics = parseExposition((await s.relay.app.inject('/metrics')).body);
  t.equal(value(metrics, 'tocsin_relay_dead_letters'), 1);
});

t.test('health, readiness, landing page', async (t) => {
  const s = await setup(t);
  t.equal((await s.relay.app.inject('/-/healthy')).statusCode, 200);
  t.equal((await s.relay.app.inject('/-/ready')).statusCode, 200);
  t.match((await s.relay.app.inject('/')).body, /Tocsin relay/);
});
