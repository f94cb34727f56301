// End to end with the real thing: a real Alertmanager (Debian's prometheus-alertmanager) posts an
// incident to a `tocsin relay` child with a slack_app destination, which threads it in the fake
// Slack Web API: Alertmanager's own group keys and notification sequence make one thread.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAlertmanager } from '../helpers/alertmanager.js';
import { FakeSlackApi, type ApiCall } from '../helpers/fake-slack-api.js';
import { startRelayProcess, tempDir, writeRelayConfig } from '../helpers/relay-config.js';

const TOKEN = 'xoxb-e2e-token-0123456789';
const CHANNEL = 'C0123456789';
const WAIT_MS = 30_000;

const header = (c: ApiCall) =>
  ((c.args.attachments as { blocks?: { type: string; text?: { text?: string } }[] }[] | undefined)?.[0]?.blocks ?? []).find((b) => b.type === 'header')?.text?.text ?? '';

t.test('Alertmanager -> relay (slack_app) -> Slack: firing, more firing and resolved make one thread', async (t) => {
  const tmp = tempDir('slack-app-am');
  t.teardown(tmp.remove);
  const slack = await FakeSlackApi.start({ tokens: [TOKEN], channels: [CHANNEL] });
  t.teardown(() => slack.close());
  writeFileSync(join(tmp.dir, 'bot-token'), `${TOKEN}\n`, { mode: 0o600 });
  const configFile = writeRelayConfig(tmp.dir, {
    data_dir: join(tmp.dir, 'data'),
    delivery: { min_interval: '50ms', timeout: '2s' },
    destinations: [{ name: 'incidents', type: 'slack_app', bot_token_file: join(tmp.dir, 'bot-token'), channel: CHANNEL, api_url: slack.url }],
  });
  const relay = await startRelayProcess({ configFile });
  t.teardown(() => relay.stop());
  const am = await startAlertmanager({
    config: {
      route: { receiver: 'relay', group_by: ['alertname'], group_wait: '1s', group_interval: '1s', repeat_interval: '4h' },
      receivers: [{ name: 'relay', webhook_configs: [{ url: `${relay.url}/hooks/alertmanager`, send_resolved: true }] }],
    },
  });
  t.teardown(() => am.stop());

  const startsAt = new Date(Date.now() - 60_000).toISOString();
  const alert = (instance: string, endsAt?: string) => ({
    labels: { alertname: 'DiskFull', instance, severity: 'critical' },
    annotations: { summary: `Disk full on ${instance}` },
    startsAt,
    ...(endsAt ? { endsAt } : {}),
  });
  await am.postAlerts([alert('web-1')]);
  await slack.waitFor(() => slack.okCalls().length >= 1, WAIT_MS);
  const parent = slack.okCalls()[0]!;
  t.match(header(parent), /\[FIRING:1\] DiskFull/, 'the parent');
  t.equal(parent.args.thread_ts, undefined, 'at the top level');

  await am.postAlerts([alert('web-1'), alert('web-2')]);
  await slack.waitFor(() => slack.okCalls().length >= 3, WAIT_MS);
  const past = new Date(Date.now() - 1_000).toISOString();
  await am.postAlerts([alert('web-1', past), alert('web-2', past)]);
  await slack.waitFor(() => slack.okCalls().some((c) => /RESOLVED after/.test(header(c))), WAIT_MS);
  await slack.waitFor(() => slack.okCalls().length >= 5, WAIT_MS);

  const rest = slack.okCalls().slice(1, 5);
  t.same(
    rest.map((c) => [c.method, c.method === 'chat.update' ? c.args.ts : c.args.thread_ts]),
    [
      ['chat.update', parent.ts],
      ['chat.postMessage', parent.ts],
      ['chat.update', parent.ts],
      ['chat.postMessage', parent.ts],
    ],
    'every later notice edits the parent and replies in its thread',
  );
  t.match(header(rest[0]!), /\[FIRING:2\]/, 'the parent shows both alerts firing');
  t.match(header(rest[2]!), /RESOLVED after/, 'then the resolution');
  t.equal(rest[3]!.args.reply_broadcast, true, 'broadcast to the channel');
  t.notOk(slack.calls.some((c) => c.orphan), 'no reply to a missing parent');
  t.notOk(relay.stderr().includes(TOKEN), 'the token is not logged');
});
