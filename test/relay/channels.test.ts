// The channel API: who may change channels, what is logged, where a channel's settings come
// from, and what happens when channels.json cannot be written or two changes race.
import t, { type Test } from 'tap';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Response as LightMyRequestResponse } from 'light-my-request';
import pino from 'pino';
import { parseConfig } from '../../src/config/load.js';
import { createRelay, type Relay } from '../../src/relay/server.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import { startRelayProcess, tempDir, writeRelayConfig } from '../helpers/relay-config.js';

const TOKEN = 'channel-api-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const SECRET_PATH = '/services/T0CHANNELS/B0CHANNELS/channels-secret-token';

interface Setup {
  readonly relay: Relay;
  readonly slack: FakeSlack;
  readonly dir: string;
  readonly logs: string[];
  api(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: object, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
}

async function setup(t: Test, opts: { apiAuth: boolean; dir?: string; destinations?: string }): Promise<Setup> {
  const slack = await FakeSlack.start();
  const tmp = opts.dir === undefined ? tempDir('channels') : undefined;
  const dir = opts.dir ?? tmp!.dir;
  process.env.TOCSIN_TEST_CHANNELS_HOOK = slack.url('/config-hook');
  process.env.TOCSIN_TEST_CHANNELS_TOKEN = TOKEN;
  const logs: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(line) });
  const config = parseConfig(
    `relay:
  data_dir: ${dir}/data
${opts.apiAuth ? '  api_auth: {bearer_token: "${TOCSIN_TEST_CHANNELS_TOKEN}"}\n' : ''}  destinations:
${opts.destinations ?? '    - {name: alerts, webhook_url: "${TOCSIN_TEST_CHANNELS_HOOK}"}\n'}`,
    'channels.yml',
  );
  const relay = await createRelay(config, logger);
  t.teardown(async () => {
    await relay.close();
    await slack.close();
    tmp?.remove();
  });
  return {
    relay,
    slack,
    dir,
    logs,
    api: (method, url, payload, headers = AUTH) =>
      relay.app.inject({ method, url: `/api/v1${url}`, ...(payload && { payload }), headers }),
  };
}

t.test('without api_auth the relay API is read-only: every write answers 403 naming the setting', async (t) => {
  const s = await setup(t, { apiAuth: false });
  const url = s.slack.url(SECRET_PATH);
  t.equal((await s.api('GET', '/channels', undefined, {})).statusCode, 200, 'reading works');
  const attempts = [
    await s.api('POST', '/channels', { name: 'evil', webhook_url: url }, {}),
    await s.api('PUT', '/channels/alerts', { webhook_url: url }, {}),
    await s.api('PATCH', '/channels/alerts', { enabled: false }, {}),
    await s.api('DELETE', '/channels/alerts', undefined, {}),
    // The other writes of the API: re-driving dead letters and purging a queue.
    await s.api('POST', '/dead-letters/retry?destination=alerts', undefined, {}),
    await s.api('POST', '/dead-letters/some-id/retry', undefined, {}),
    await s.api('POST', '/queues/alerts/purge', undefined, {}),
  ];
  for (const res of attempts) {
    t.equal(res.statusCode, 403);
    t.match(res.json().message, /read-only.*relay\.api_auth\.bearer_token/);
  }
  const [alerts, ...rest] = (await s.api('GET', '/channels', undefined, {})).json() as { name: string; enabled: boolean; source: string }[];
  t.same(rest, [], 'nothing was created');
  t.match(alerts, { name: 'alerts', enabled: true, source: 'config' }, 'nothing was changed');
  t.notOk(existsSync(join(s.dir, 'data', 'channels.json')), 'nothing was written');
});

t.test('with api_auth: 401 without the token, and every change is logged (who, what), never the URL', async (t) => {
  const s = await setup(t, { apiAuth: true });
  const url = s.slack.url(SECRET_PATH);
  t.equal((await s.api('PATCH', '/channels/alerts', { enabled: false }, {})).statusCode, 401);
  t.equal((await s.api('POST', '/channels', { name: 'ops', webhook_url: url })).statusCode, 201);
  t.equal((await s.api('PATCH', '/channels/alerts', { enabled: false })).statusCode, 200);
  t.equal((await s.api('PUT', '/channels/ops', { webhook_url: url, enabled: true })).statusCode, 200);
  t.equal((await s.api('DELETE', '/channels/ops')).statusCode, 204);

  const audit = s.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.audit === 'channel');
  t.same(
    audit.map((l) => [l.user, l.action, l.channel, l.fields, l.enabled]),
    [
      ['token', 'create', 'ops', ['webhook_url', 'enabled'], true],
      ['token', 'update', 'alerts', ['enabled'], false],
      ['token', 'replace', 'ops', ['webhook_url', 'enabled'], true],
      ['token', 'delete', 'ops', [], undefined],
    ],
    'one line per change, none for the refused one',
  );
  const all = s.logs.join('');
  for (const part of ['T0CHANNELS', 'B0CHANNELS', 'channels-secret-token', TOKEN]) t.notMatch(all, part, `no ${part} in the log`);
});

t.test('the caller is named: a basic-auth user, or "token"', async (t) => {
  const { callerFromAuthorization } = await import('../../src/relay/routes/channels.js');
  t.equal(callerFromAuthorization(`Basic ${Buffer.from('alice:pw:with:colons').toString('base64')}`), 'alice');
  t.equal(callerFromAuthorization('Bearer whatever'), 'token');
  t.equal(callerFromAuthorization(undefined), 'unknown');
});

t.test('a webhook URL with user:password@ is refused, not echoed', async (t) => {
  const s = await setup(t, { apiAuth: true });
  const res = await s.api('POST', '/channels', { name: 'ops', webhook_url: `https://ops:hunter2secret@hooks.slack.com${SECRET_PATH}` });
  t.equal(res.statusCode, 400);
  t.match(res.json().message, /^body\.webhook_url: .*user:password@/);
  for (const part of ['hunter2secret', 'T0CHANNELS', 'channels-secret-token']) t.notMatch(res.body, part);
});

t.test('source: config, api, or config+api with overridden, also after a restart', async (t) => {
  const tmp = tempDir('channels-source');
  t.teardown(() => tmp.remove());
  const destinations = '    - {name: alerts, webhook_url: "${TOCSIN_TEST_CHANNELS_HOOK}"}\n    - {name: quiet, webhook_url: "${TOCSIN_TEST_CHANNELS_HOOK}", enabled: false}\n    - {name: same, webhook_url: "${TOCSIN_TEST_CHANNELS_HOOK}"}\n';
  const first = await setup(t, { apiAuth: true, dir: tmp.dir, destinations });
  t.equal((await first.api('PATCH', '/channels/alerts', { enabled: false })).statusCode, 200);
  t.equal((await first.api('PATCH', '/channels/same', { enabled: true })).statusCode, 200, 'set to what the file says');
  t.equal((await first.api('POST', '/channels', { name: 'ops', webhook_url: first.slack.url(SECRET_PATH) })).statusCode, 201);
  await first.relay.close();

  const second = await setup(t, { apiAuth: true, dir: tmp.dir, destinations });
  const list = (await second.api('GET', '/channels')).json() as Record<string, unknown>[];
  t.same(
    list.map((c) => [c.name, c.enabled, c.source, c.overridden, c.api_fields]),
    [
      ['alerts', false, 'config+api', true, ['enabled']],
      ['quiet', false, 'config', false, []],
      ['same', true, 'config+api', false, ['enabled']],
      ['ops', true, 'api', false, []],
    ],
  );
  const warned = second.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => String(l.msg).includes('win over the file'));
  t.same(warned.map((l) => l.channel), ['alerts'], 'the start warns about the config channel the API overrides');
  t.equal((await second.api('DELETE', '/channels/quiet')).statusCode, 409, 'a config file channel is not deleted');
  const reset = await second.api('DELETE', '/channels/alerts');
  t.equal(reset.statusCode, 200, 'DELETE of a channel the API changed drops the changes');
  t.match(reset.json(), { name: 'alerts', enabled: true, source: 'config', overridden: false, api_fields: [] }, 'the file applies again');
  const audit = second.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.audit === 'channel');
  t.same(audit.map((l) => [l.action, l.channel, l.enabled]), [['reset', 'alerts', true]]);
});

t.test('concurrent PUTs of the same new channel: exactly one 201', async (t) => {
  const s = await setup(t, { apiAuth: true });
  const url = s.slack.url(SECRET_PATH);
  const answers = await Promise.all(Array.from({ length: 8 }, () => s.api('PUT', '/channels/new-one', { webhook_url: url })));
  t.same(
    answers.map((r) => r.statusCode).sort(),
    [200, 200, 200, 200, 200, 200, 200, 201],
  );
  const created = s.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.action === 'create');
  t.equal(created.length, 1, 'the audit log records one creation');
});

t.test('temporary files of an interrupted channels.json write are removed at start', async (t) => {
  const tmp = tempDir('channels-stale');
  t.teardown(() => tmp.remove());
  const first = await setup(t, { apiAuth: true, dir: tmp.dir });
  await first.relay.close();
  const stale = join(tmp.dir, 'data', '.channels.json.4242.1700000000000.tmp');
  writeFileSync(stale, `{"channels":{"x":{"webhook_url":"${first.slack.url(SECRET_PATH)}"}}}`);
  const unrelated = join(tmp.dir, 'data', 'notes.tmp');
  writeFileSync(unrelated, 'kept');
  const second = await setup(t, { apiAuth: true, dir: tmp.dir });
  t.notOk(existsSync(stale), 'the stale copy of the webhook URLs is gone');
  t.ok(existsSync(unrelated), 'other files are left alone');
  t.ok(second.logs.some((l) => l.includes('interrupted channels.json write')), 'and the removal is logged');
});

t.test('a failing disk: a clear 5xx, no change, no temporary file left (real process, writes past a size limit fail)', async (t) => {
  const slack = await FakeSlack.start();
  const tmp = tempDir('channels-disk');
  t.teardown(async () => {
    await slack.close();
    tmp.remove();
  });
  const configFile = writeRelayConfig(tmp.dir, {
    data_dir: join(tmp.dir, 'data'),
    api_auth: { bearer_token: '${TOCSIN_TEST_CHANNELS_TOKEN}' },
    destinations: [{ name: 'alerts', type: 'console' }],
  });
  // 128 blocks of 512 bytes: the relay starts, a channels.json above 64 KiB cannot be written.
  const relay = await startRelayProcess({ configFile, env: { TOCSIN_TEST_CHANNELS_TOKEN: TOKEN }, fileSizeLimitBlocks: 128 });
  t.teardown(() => relay.stop());
  const put = (name: string, webhookUrl: string) =>
    fetch(`${relay.url}/api/v1/channels/${name}`, {
      method: 'PUT',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ webhook_url: webhookUrl }),
      signal: AbortSignal.timeout(10_000),
    });
  const huge = slack.url(`${SECRET_PATH}?pad=${'p'.repeat(200_000)}`);
  const res = await put('big', huge);
  const body = (await res.json()) as { message: string };
  t.equal(res.status, 503, 'a 5xx that says what happened');
  t.match(body.message, /channel change not saved.*channels\.json.*EFBIG/);
  t.notMatch(body.message, /internal error/);
  const files = readdirSync(join(tmp.dir, 'data'));
  t.same(files.filter((f) => f.endsWith('.tmp')), [], `no temporary file left (${files.join(', ')})`);
  const list = (await (await fetch(`${relay.url}/api/v1/channels`, { headers: AUTH })).json()) as { name: string }[];
  t.same(list.map((c) => c.name), ['alerts'], 'the failed change was not applied');
  t.equal((await put('small', slack.url(SECRET_PATH))).status, 201, 'a change that fits is saved');
  t.notMatch(relay.stderr(), /channels-secret-token|pppppppp/, 'the URL is not logged');
});
