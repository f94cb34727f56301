// The Slack app destination (type slack_app): one thread per incident, its parent kept current.
// A real relay (outbox, dispatcher, integration) in this process, posting through @slack/web-api to
// the fake Slack Web API on 127.0.0.1; each test checks the exact sequence of posts, replies and
// updates Slack received.
import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { createRelay, type Relay } from '../../src/relay/server.js';
import type { AlertmanagerNotification, AlertStatus } from '../../src/relay/types.js';
import { capturingLogger } from '../helpers/collect.js';
import { FakeSlackApi, type ApiCall } from '../helpers/fake-slack-api.js';
import { incidentNotification } from '../helpers/notification.js';
import { freePort } from '../helpers/net.js';
import { tmpDir } from '../helpers/tmp.js';

const TOKEN = 'xoxb-test-token';
const CHANNEL = 'C0123456789';

interface Setup {
  readonly relay: Relay;
  readonly slack: FakeSlackApi;
  readonly logs: () => string;
  notify(n: AlertmanagerNotification): Promise<void>;
  /** Resolves once Slack answered `count` calls ok in all. */
  waitOk(count: number): Promise<void>;
}

async function setup(t: Test, opts: { reuse?: string; broadcast?: boolean; channel?: string } = {}): Promise<Setup> {
  const slack = await FakeSlackApi.start({ tokens: [TOKEN], channels: [CHANNEL, 'C0ARCHIVED1'] });
  const dir = tmpDir(t, 'tocsin-slack-app-');
  writeFileSync(join(dir, 'bot-token'), `${TOKEN}\n`);
  const { logger, text } = capturingLogger();
  const config = parseConfig(
    `relay:
  data_dir: ${dir}/data
  dedupe_window: 0s
  delivery: {min_interval: 20ms, timeout: 2s}
  destinations:
    - name: incidents
      type: slack_app
      bot_token_file: ${dir}/bot-token
      channel: ${opts.channel ?? CHANNEL}
      api_url: ${slack.url}
${opts.reuse ? `      reuse_thread_within: ${opts.reuse}\n` : ''}${opts.broadcast === false ? '      broadcast_resolved: false\n' : ''}`,
    join(dir, 'tocsin.yml'),
  );
  const relay = await createRelay(config, logger);
  t.teardown(async () => {
    await relay.close();
    await slack.close();
  });
  return {
    relay,
    slack,
    logs: text,
    async notify(n) {
      const res = await relay.app.inject({ method: 'POST', url: '/hooks/alertmanager', payload: n });
      if (res.statusCode !== 200) throw new Error(`relay answered ${res.statusCode}: ${res.body}`);
    },
    waitOk: (count) => slack.waitFor(() => slack.okCalls().length >= count, 10_000),
  };
}

/** The DiskFull group with one alert per instance (instance -> status). */
const notice = (alerts: Record<string, AlertStatus>) =>
  incidentNotification('DiskFull', alerts, { annotations: { runbook_url: 'https://runbooks.example.com/DiskFull' } });

interface Step {
  readonly method: string;
  /** The parent it replies to or edits; undefined for a new parent. */
  readonly thread: string | undefined;
  readonly header: string;
  readonly color: string | undefined;
  readonly broadcast: boolean;
  readonly buttons: string[];
  readonly ts: string | undefined;
}

function step(c: ApiCall): Step {
  const attachment = (c.args.attachments as { color?: string; blocks?: Record<string, unknown>[] }[] | undefined)?.[0];
  const blocks = attachment?.blocks ?? [];
  const header = (blocks.find((b) => b.type === 'header') as { text: { text: string } } | undefined)?.text.text ?? '';
  const actions = blocks.find((b) => b.type === 'actions') as { elements: { action_id: string }[] } | undefined;
  return {
    method: c.method,
    thread: c.method === 'chat.update' ? String(c.args.ts) : (c.args.thread_ts as string | undefined),
    header,
    color: attachment?.color,
    broadcast: c.args.reply_broadcast === true,
    buttons: actions?.elements.map((e) => e.action_id) ?? [],
    ts: c.ts,
  };
}

const RED = '#E01E5A';
const GREEN = '#2EB67D';

t.test('an incident is one thread: firing, more firing, a reminder, partly resolved, resolved; firing again is a new thread', async (t) => {
  const s = await setup(t);
  const ok = () => s.slack.okCalls().map(step);

  await s.notify(notice({ 'web-1': 'firing', 'web-2': 'firing' }));
  await s.waitOk(1);
  const [parent] = ok();
  t.match(parent, { method: 'chat.postMessage', thread: undefined, color: RED, broadcast: false }, 'firing: the parent, top level');
  t.match(parent!.header, /\[FIRING:2\] DiskFull/);
  t.same(parent!.buttons, ['tocsin_runbook', 'tocsin_silence'], 'the parent has a few buttons: runbook, (dashboard,) silence');
  const P = parent!.ts!;
  t.ok(/^\d{10}\.\d{6}$/.test(P), 'a Slack ts');

  await s.notify(notice({ 'web-1': 'firing', 'web-2': 'firing', 'web-3': 'firing' }));
  await s.waitOk(3);
  t.match(ok().slice(1), [
    { method: 'chat.update', thread: P, header: /\[FIRING:3\]/, color: RED },
    { method: 'chat.postMessage', thread: P, header: /\[FIRING:3\]/, broadcast: false, buttons: [] },
  ], 'more firing: the parent edited to FIRING 3, a reply in its thread without buttons');

  await s.notify(notice({ 'web-1': 'firing', 'web-2': 'firing', 'web-3': 'firing' }));
  await s.waitOk(5);
  t.match(ok().slice(3), [
    { method: 'chat.update', thread: P, header: /\[FIRING:3\]/ },
    { method: 'chat.postMessage', thread: P, header: /^:repeat: Reminder/, broadcast: false },
  ], 'a repeat: a reminder reply, not broadcast');

  await s.notify(notice({ 'web-1': 'firing', 'web-2': 'resolved', 'web-3': 'resolved' }));
  await s.waitOk(7);
  t.match(ok().slice(5), [
    { method: 'chat.update', thread: P, header: /\[FIRING 1, RESOLVED 2\]/, color: RED },
    { method: 'chat.postMessage', thread: P, header: /\[FIRING 1, RESOLVED 2\]/, broadcast: false },
  ], 'partly resolved');

  await s.notify(notice({ 'web-1': 'resolved', 'web-2': 'resolved', 'web-3': 'resolved' }));
  await s.waitOk(9);
  const resolved = ok().slice(7);
  t.match(resolved, [
    { method: 'chat.update', thread: P, header: /RESOLVED after 12m\] DiskFull/, color: GREEN },
    { method: 'chat.postMessage', thread: P, header: /RESOLVED/, broadcast: true },
  ], 'resolved: the parent green with how long it lasted; the reply broadcast to the channel');
  t.notOk(resolved[0]!.buttons.includes('tocsin_silence'), 'no silence button once resolved');

  await s.notify(notice({ 'web-1': 'firing' }));
  await s.waitOk(10);
  const again = ok()[9]!;
  t.match(again, { method: 'chat.postMessage', thread: undefined, header: /\[FIRING:1\]/ }, 'firing again: a new parent');
  t.not(again.ts, P, 'a new thread');

  t.equal(s.slack.calls.length, 10, 'nothing else was called');
  t.notOk(s.slack.calls.some((c) => c.orphan), 'no reply to a missing parent');
  t.ok(s.slack.calls.every((c) => c.token === TOKEN), 'the bot token from the file');
  t.notOk(s.logs().includes(TOKEN.slice(5)), 'the token is never logged');
});

t.test('reuse_thread_within: a group firing again soon after it resolved continues its thread', async (t) => {
  const s = await setup(t, { reuse: '1h', broadcast: false });
  await s.notify(notice({ 'web-1': 'firing' }));
  await s.waitOk(1);
  const P = s.slack.okCalls()[0]!.ts!;
  await s.notify(notice({ 'web-1': 'resolved' }));
  await s.waitOk(3);
  t.equal(step(s.slack.okCalls()[2]!).broadcast, false, 'broadcast_resolved: false keeps the resolution in the thread');
  await s.notify(notice({ 'web-1': 'firing' }));
  await s.waitOk(5);
  t.match(s.slack.okCalls().slice(3).map(step), [
    { method: 'chat.update', thread: P, header: /\[FIRING:1\]/, color: RED },
    { method: 'chat.postMessage', thread: P, header: /\[FIRING:1\]/ },
  ], 'the old parent turns red again and the thread continues');
});

t.test('Slack rate-limits in the middle: the relay waits Retry-After, loses nothing and keeps the order', async (t) => {
  const s = await setup(t);
  await s.notify(notice({ 'web-1': 'firing' }));
  await s.waitOk(1);
  const P = s.slack.okCalls()[0]!.ts!;
  // The next call (the parent's update) is refused with 429 and Retry-After: 1.
  s.slack.plan({ kind: 'rateLimited', retryAfterSeconds: 1 });
  await s.notify(notice({ 'web-1': 'firing', 'web-2': 'firing' }));
  await s.notify(notice({ 'web-1': 'resolved', 'web-2': 'resolved' }));
  await s.waitOk(5);
  const limited = s.slack.calls.find((c) => c.status === 429)!;
  const after = s.slack.calls[s.slack.calls.indexOf(limited) + 1]!;
  t.ok(after.at - limited.at >= 900, `the next call waited for Retry-After (${Math.round(after.at - limited.at)} ms)`);
  t.match(s.slack.okCalls().slice(1).map(step), [
    { method: 'chat.update', thread: P, header: /\[FIRING:2\]/ },
    { method: 'chat.postMessage', thread: P, header: /\[FIRING:2\]/ },
    { method: 'chat.update', thread: P, header: /RESOLVED/ },
    { method: 'chat.postMessage', thread: P, header: /RESOLVED/ },
  ], 'every notice, in order, in the thread');
  t.equal(s.slack.okCalls().length, 5, 'and each once');
});

t.test('a parent that was deleted is replaced by a new parent showing the current state', async (t) => {
  const s = await setup(t);
  await s.notify(notice({ 'web-1': 'firing' }));
  await s.waitOk(1);
  const P = s.slack.okCalls()[0]!.ts!;
  s.slack.deleteMessage(P);
  await s.notify(notice({ 'web-1': 'firing', 'web-2': 'firing' }));
  await s.slack.waitFor(() => s.slack.okCalls().length >= 2, 10_000);
  const update = s.slack.calls[1]!;
  t.match(update, { method: 'chat.update', error: 'message_not_found' }, 'the edit failed as Slack answers it');
  const fresh = step(s.slack.okCalls()[1]!);
  t.match(fresh, { method: 'chat.postMessage', thread: undefined, header: /\[FIRING:2\]/ }, 'a new parent with the state now');
  await s.notify(notice({ 'web-1': 'resolved', 'web-2': 'resolved' }));
  await s.waitOk(4);
  t.match(s.slack.okCalls().slice(2).map(step), [
    { method: 'chat.update', thread: fresh.ts, header: /RESOLVED/ },
    { method: 'chat.postMessage', thread: fresh.ts, header: /RESOLVED/ },
  ], 'the incident continues in the new thread');
});

t.test('a parent post with no answer: no reply is posted until the parent exists', async (t) => {
  const s = await setup(t);
  // The first post hangs past the 2 s timeout: its outcome is unknown.
  s.slack.plan({ kind: 'hang' }, { method: 'chat.postMessage' });
  await s.notify(notice({ 'web-1': 'firing' }));
  await s.notify(notice({ 'web-1': 'firing', 'web-2': 'firing' }));
  await s.waitOk(3);
  const calls = s.slack.calls.map(step);
  t.match(calls[0], { method: 'chat.postMessage', thread: undefined }, 'the hung parent post');
  t.match(calls[1], { method: 'chat.postMessage', thread: undefined }, 'retried as a parent, not a reply');
  const P = s.slack.calls[1]!.ts;
  t.match(calls.slice(2), [
    { method: 'chat.update', thread: P },
    { method: 'chat.postMessage', thread: P },
  ], 'the next notice goes to the thread of the parent Slack confirmed');
  t.notOk(s.slack.calls.some((c) => c.orphan), 'no reply to a missing parent');
});

// Slack's errors that sending again would repeat: each dead-letters the notice with Slack's reason.
for (const error of ['not_in_channel', 'channel_not_found', 'invalid_auth', 'account_inactive', 'token_revoked', 'msg_too_long', 'is_archived', 'missing_scope']) {
  t.test(`Slack answers ${error}: the notice is dead-lettered with the reason`, async (t) => {
    const s = await setup(t);
    // As Slack answers it: HTTP 200, {"ok":false,"error":"..."}; for channel errors, from the channel itself.
    if (['not_in_channel', 'is_archived'].includes(error)) s.slack.setChannelError(CHANNEL, error);
    else s.slack.plan({ kind: 'error', error });
    await s.notify(notice({ 'web-1': 'firing' }));
    await s.slack.waitFor((calls) => calls.length >= 1, 10_000);
    let dead: { reason: string }[] = [];
    for (let i = 0; i < 100 && dead.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      dead = (await s.relay.app.inject({ method: 'GET', url: '/api/v1/dead-letters' })).json();
    }
    t.equal(dead.length, 1, 'dead-lettered');
    t.match(dead[0]!.reason, new RegExp(`Slack error ${error}`), 'with Slack\'s reason');
    t.equal(s.slack.calls.length, 1, 'not retried');
    t.notOk(s.logs().includes(TOKEN.slice(5)), 'the token is never logged');
  });
}

t.test('an unknown bot token: invalid_auth from the fake itself, dead-lettered as an auth error', async (t) => {
  const s = await setup(t);
  s.slack.setTokens(['xoxb-another']);
  await s.notify(notice({ 'web-1': 'firing' }));
  await s.slack.waitFor((calls) => calls.length >= 1, 10_000);
  t.equal(s.slack.calls[0]!.error, 'invalid_auth', 'Slack\'s answer, HTTP 200');
  let dead: { reason: string }[] = [];
  for (let i = 0; i < 100 && dead.length === 0; i++) {
    await new Promise((r) => setTimeout(r, 50));
    dead = (await s.relay.app.inject({ method: 'GET', url: '/api/v1/dead-letters' })).json();
  }
  t.match(dead[0]?.reason, /^authError: Slack error invalid_auth/);
});

t.test('the channel API shows a slack_app channel\'s channel ID, never its token, and refuses a webhook URL for it', async (t) => {
  const dir = tmpDir(t, 'tocsin-slack-app-api-');
  writeFileSync(join(dir, 'bot-token'), TOKEN);
  writeFileSync(join(dir, 'api-token'), 'api-token-for-tests');
  const config = parseConfig(
    `relay:
  data_dir: ${dir}/data
  api_auth: {bearer_token_file: ${dir}/api-token}
  destinations:
    - {name: incidents, type: slack_app, bot_token_file: ${dir}/bot-token, channel: ${CHANNEL}, api_url: "http://127.0.0.1:${await freePort()}/api/"}
`,
    join(dir, 'tocsin.yml'),
  );
  const { logger } = capturingLogger();
  const relay = await createRelay(config, logger);
  t.teardown(() => relay.close());
  const auth = { authorization: 'Bearer api-token-for-tests' };
  const got = await relay.app.inject({ method: 'GET', url: '/api/v1/channels/incidents', headers: auth });
  t.equal(got.statusCode, 200);
  t.match(got.json(), { name: 'incidents', type: 'slack_app', slack_channel: CHANNEL, webhook_url: null });
  t.notMatch(got.body, TOKEN.slice(5), 'no part of the token');
  const patch = await relay.app.inject({
    method: 'PATCH',
    url: '/api/v1/channels/incidents',
    headers: auth,
    payload: { webhook_url: 'https://hooks.slack.com/services/T0/B0/x' },
  });
  t.equal(patch.statusCode, 409, 'a webhook URL on a slack_app channel would do nothing');
  t.match(patch.json().message, /type slack_app/);
  const off = await relay.app.inject({ method: 'PATCH', url: '/api/v1/channels/incidents', headers: auth, payload: { enabled: false } });
  t.equal(off.statusCode, 200, 'enabled can be changed');
  t.equal(off.json().type, 'slack_app', 'and the type stays');
});
