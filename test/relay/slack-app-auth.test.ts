// The Slack app's leftovers from issue 10 §1, against the fake Slack Web API with a real `tocsin
// relay` child: the bot token checked with auth.test at start and on reload (a refused token is
// said clearly, without the token, the relay starts anyway and keeps the notifications until the
// token is fixed); the thread series (tocsin_relay_slack_app_*); and a route's title_template on
// the parent message, as the webhook messages have it.
import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AlertmanagerNotification } from '../../src/relay/types.js';
import { parseExposition, select, value, type Exposition } from '../helpers/exposition.js';
import { FakeSlackApi } from '../helpers/fake-slack-api.js';
import { incidentNotification } from '../helpers/notification.js';
import { pollUntil, startRelayProcess, tempDir, writeRelayConfig, type RelayProcess } from '../helpers/relay-config.js';

const GOOD = 'xoxb-1111111111-2222222222-GoodGoodGoodGoodGoodGood';
const BAD = 'xoxb-1111111111-2222222222-RevokedRevokedRevokedRe';
const CHANNEL = 'C0AUTH00001';

async function post(relay: RelayProcess, n: AlertmanagerNotification): Promise<void> {
  const res = await fetch(`${relay.url}/hooks/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(n) });
  if (res.status !== 200) throw new Error(`relay answered ${res.status}: ${await res.text()}`);
}

async function metrics(relay: RelayProcess): Promise<{ text: string; exp: Exposition }> {
  const text = await (await fetch(`${relay.url}/metrics`)).text();
  return { text, exp: parseExposition(text) };
}

async function reload(relay: RelayProcess): Promise<void> {
  const res = await fetch(`${relay.url}/-/reload`, { method: 'POST' });
  if (res.status !== 200) throw new Error(`reload answered ${res.status}: ${await res.text()}`);
}

async function setup(t: Test, token: string, extra: Record<string, unknown> = {}) {
  const slack = await FakeSlackApi.start({ tokens: [GOOD], channels: [CHANNEL] });
  const tmp = tempDir('slack-app-auth');
  t.teardown(async () => {
    await slack.close();
    tmp.remove();
  });
  const tokenFile = join(tmp.dir, 'bot-token');
  writeFileSync(tokenFile, `${token}\n`);
  const configFile = writeRelayConfig(tmp.dir, {
    data_dir: join(tmp.dir, 'data'),
    dedupe_window: '0s',
    delivery: { min_interval: '20ms', timeout: '2s' },
    destinations: [{ name: 'incidents', type: 'slack_app', bot_token_file: tokenFile, channel: CHANNEL, api_url: slack.url }],
    ...extra,
  });
  const relay = await startRelayProcess({ configFile });
  t.teardown(() => relay.stop());
  return { slack, relay, tokenFile };
}

const secretParts = (token: string) => [token, token.slice(-24), token.split('-').at(-1)!];

t.test('a refused bot token: the relay starts, says so without the token, keeps the notifications, and sends them once the token is fixed', async (t) => {
  const { slack, relay, tokenFile } = await setup(t, BAD);
  t.equal(slack.authTests.length, 1, 'auth.test asked once at start');
  t.equal(slack.authTests[0]!.error, 'invalid_auth', "Slack's answer, HTTP 200");
  const line = relay.stderr().split('\n').find((l) => l.includes('refuses the bot token'));
  t.ok(line, 'the refusal is logged');
  t.match(JSON.parse(line!), { level: 'error', destination: 'incidents', error: 'invalid_auth' }, 'as an error naming the destination and Slack\'s code');
  t.match(line, /kept in the outbox/, 'and says the notifications are kept');
  let m = await metrics(relay);
  t.equal(value(m.exp, 'tocsin_relay_slack_app_auth_ok', { destination: 'incidents' }), 0, 'auth_ok 0');

  await post(relay, incidentNotification('DiskFull', { 'db-1': 'firing' }));
  await post(relay, incidentNotification('NodeDown', { 'web-1': 'firing' }));
  await new Promise((r) => setTimeout(r, 1000));
  t.equal(slack.calls.length, 0, 'nothing is posted with a refused token');
  m = await metrics(relay);
  t.equal(value(m.exp, 'tocsin_relay_destination_pending', { destination: 'incidents', state: 'unauthorized' }), 2, 'both wait, held as unauthorized');
  t.equal(value(m.exp, 'tocsin_relay_dead_letters'), 0, 'nothing dead-lettered');
  const queues = (await (await fetch(`${relay.url}/api/v1/queues`)).json()) as { destination: string; state: string; pending: number }[];
  t.match(queues, [{ destination: 'incidents', state: 'unauthorized', pending: 2 }], 'the queues API says so too');

  // The operator puts the right token in the file and reloads.
  writeFileSync(tokenFile, `${GOOD}\n`);
  await reload(relay);
  await slack.waitFor(() => slack.okCalls().length >= 2, 15_000);
  t.equal(slack.authTests.at(-1)?.error, undefined, 'checked again on reload, accepted');
  t.same(slack.okCalls().map((c) => [c.method, c.args.thread_ts]), [['chat.postMessage', undefined], ['chat.postMessage', undefined]], 'both incidents posted');
  m = await metrics(relay);
  t.equal(value(m.exp, 'tocsin_relay_slack_app_auth_ok', { destination: 'incidents' }), 1, 'auth_ok 1');
  t.match(relay.stderr(), /Slack accepts the bot token again; sending what waited/);
  for (const part of secretParts(BAD)) {
    t.notOk(relay.stderr().includes(part), 'the refused token is not in the log');
    t.notOk(m.text.includes(part), 'nor in the metrics');
  }
  for (const part of secretParts(GOOD)) t.notOk(relay.stderr().includes(part) || m.text.includes(part), 'the good token neither');
});

t.test('a token revoked while the relay runs: the notice that finds out is dead-lettered, the rest wait, a reload with the token restored sends them', async (t) => {
  const { slack, relay } = await setup(t, GOOD);
  t.equal(slack.authTests[0]?.error, undefined, 'accepted at start');
  t.match(relay.stderr(), /"team":"Tocsin Test".*Slack app bot token accepted/, 'logged with the workspace auth.test names');
  t.equal(value((await metrics(relay)).exp, 'tocsin_relay_slack_app_auth_ok', { destination: 'incidents' }), 1);

  slack.setTokens([]); // revoked
  await post(relay, incidentNotification('DiskFull', { 'db-1': 'firing' }));
  await slack.waitFor((calls) => calls.length >= 1, 10_000);
  t.equal(slack.calls[0]!.error, 'invalid_auth');
  await pollUntil(async () => value((await metrics(relay)).exp, 'tocsin_relay_slack_app_auth_ok', { destination: 'incidents' }) === 0, 10_000, () => 'auth_ok did not drop');
  await post(relay, incidentNotification('NodeDown', { 'web-1': 'firing' }));
  await post(relay, incidentNotification('CpuHot', { 'web-2': 'firing' }));
  await new Promise((r) => setTimeout(r, 800));
  t.equal(slack.calls.length, 1, 'nothing more is tried with the revoked token');
  let m = await metrics(relay);
  t.equal(value(m.exp, 'tocsin_relay_dead_letters'), 1, 'the notice Slack refused is a dead letter (re-drivable)');
  t.equal(value(m.exp, 'tocsin_relay_destination_pending', { destination: 'incidents', state: 'unauthorized' }), 2, 'the later ones wait');

  slack.setTokens([GOOD]); // the app is reinstalled with the same token
  await reload(relay);
  await slack.waitFor(() => slack.okCalls().length >= 2, 15_000);
  m = await metrics(relay);
  t.equal(value(m.exp, 'tocsin_relay_slack_app_auth_ok', { destination: 'incidents' }), 1);
  await pollUntil(async () => value((await metrics(relay)).exp, 'tocsin_relay_destination_pending', { destination: 'incidents', state: 'active' }) === 0, 10_000, () => 'still pending');
  t.equal(slack.okCalls().length, 2, 'what waited is sent, once each');
});

t.test('thread series: threads started and open, parents updated, replies posted, store size', async (t) => {
  const { slack, relay } = await setup(t, GOOD);
  const series = async () => {
    const { exp } = await metrics(relay);
    const v = (name: string) => value(exp, name, { destination: 'incidents' });
    return {
      started: v('tocsin_relay_slack_app_threads_started_total'),
      open: v('tocsin_relay_slack_app_threads_open'),
      updated: v('tocsin_relay_slack_app_parents_updated_total'),
      replies: v('tocsin_relay_slack_app_replies_posted_total'),
      records: value(exp, 'tocsin_relay_slack_app_thread_store_records'),
    };
  };
  t.same(await series(), { started: 0, open: 0, updated: 0, replies: 0, records: 0 }, 'zero from the start');

  await post(relay, incidentNotification('NodeDown', { 'db-1': 'firing' }));
  await post(relay, incidentNotification('DiskFull', { 'db-2': 'firing' }));
  await slack.waitFor(() => slack.okCalls().length >= 2, 10_000);
  await pollUntil(async () => (await series()).records === 2, 10_000, () => 'threads not recorded');
  t.same(await series(), { started: 2, open: 2, updated: 0, replies: 0, records: 2 }, 'two incidents: two threads open');

  await post(relay, incidentNotification('NodeDown', { 'db-1': 'firing', 'db-3': 'firing' })); // more firing
  await post(relay, incidentNotification('NodeDown', { 'db-1': 'resolved', 'db-3': 'resolved' })); // resolved
  await slack.waitFor(() => slack.okCalls().length >= 6, 10_000);
  await pollUntil(async () => (await series()).replies === 2, 10_000, () => 'replies not counted');
  t.same(await series(), { started: 2, open: 1, updated: 2, replies: 2, records: 2 }, 'one resolved: one open, the resolved one still remembered');
  t.same(
    slack.okCalls().map((c) => c.method),
    ['chat.postMessage', 'chat.postMessage', 'chat.update', 'chat.postMessage', 'chat.update', 'chat.postMessage'],
    'the counts match what Slack received',
  );
  t.comment(`thread series: ${JSON.stringify(await series())}; ${select((await metrics(relay)).exp, 'tocsin_relay_slack_app_auth_ok').length} auth_ok series`);
});

t.test("the parent message honours the route's title_template, as the webhook messages do", async (t) => {
  const template = '{{ alertname }} on {{ groupLabels.alertname | lower }}: {{ firing }} firing, {{ resolved }} resolved ({{ status | upper }})';
  const { slack, relay } = await setup(t, GOOD, { routes: [{ matchers: [], destinations: ['incidents'], title_template: template }] });
  const header = (attachments: unknown) => ((attachments as { blocks: { type: string; text: { text: string } }[] }[])[0]!.blocks.find((b) => b.type === 'header')!.text.text);

  await post(relay, incidentNotification('NodeDown', { 'db-1': 'firing', 'db-2': 'firing' }));
  await slack.waitFor(() => slack.okCalls().length >= 1, 10_000);
  const parent = slack.okCalls()[0]!;
  t.equal(header(parent.args.attachments), 'NodeDown on nodedown: 2 firing, 0 resolved (FIRING)', 'the firing parent has the template as its header');
  t.match(parent.args.text, /^NodeDown on nodedown: 2 firing, 0 resolved \(FIRING\)/, 'and as its notification text');

  await post(relay, incidentNotification('NodeDown', { 'db-1': 'resolved', 'db-2': 'firing' }));
  await slack.waitFor(() => slack.okCalls().length >= 3, 10_000);
  t.equal(header(slack.okCalls()[1]!.args.attachments), 'NodeDown on nodedown: 1 firing, 1 resolved (FIRING)', 'the edited parent follows the group\'s state');

  await post(relay, incidentNotification('NodeDown', { 'db-1': 'resolved', 'db-2': 'resolved' }));
  await slack.waitFor(() => slack.okCalls().length >= 5, 10_000);
  const [update, reply] = slack.okCalls().slice(3);
  t.match(update, { method: 'chat.update', args: { ts: parent.ts } });
  t.equal(header(update!.args.attachments), 'NodeDown on nodedown: 0 firing, 2 resolved (RESOLVED) · resolved after 12m', 'resolved: the template, then how long it lasted');
  t.match(header(reply!.args.attachments), /^NodeDown on nodedown: 0 firing, 2 resolved \(RESOLVED\)/, 'the reply has it too');
  t.equal(slack.message(parent.ts!)?.edits, 2);
});
