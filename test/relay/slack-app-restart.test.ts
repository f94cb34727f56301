// The Slack app's threads survive a crash: a real `tocsin relay` child posts an incident's parent,
// is killed with SIGKILL, and the relay started again on the same data directory puts the
// resolution in the same thread and edits the same parent.
import t from 'tap';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AlertmanagerNotification, AlertStatus } from '../../src/relay/types.js';
import { FakeSlackApi } from '../helpers/fake-slack-api.js';
import { incidentNotification } from '../helpers/notification.js';
import { pollUntil, startRelayProcess, tempDir, writeRelayConfig } from '../helpers/relay-config.js';

const TOKEN = 'xoxb-restart-token-0123456789';
const CHANNEL = 'C0123456789';

const notice = (status: AlertStatus) => incidentNotification('NodeDown', { 'db-1': status });

async function post(url: string, n: AlertmanagerNotification): Promise<void> {
  const res = await fetch(`${url}/hooks/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(n) });
  if (res.status !== 200) throw new Error(`relay answered ${res.status}: ${await res.text()}`);
}

t.test('SIGKILL between firing and resolved: after the restart the resolution replies in the same thread and the parent is updated', async (t) => {
  const slack = await FakeSlackApi.start({ tokens: [TOKEN], channels: [CHANNEL] });
  const tmp = tempDir('slack-app-restart');
  t.teardown(async () => {
    await slack.close();
    tmp.remove();
  });
  writeFileSync(join(tmp.dir, 'bot-token'), TOKEN);
  const configFile = writeRelayConfig(tmp.dir, {
    data_dir: join(tmp.dir, 'data'),
    delivery: { min_interval: '20ms' },
    destinations: [{ name: 'incidents', type: 'slack_app', bot_token_file: join(tmp.dir, 'bot-token'), channel: CHANNEL, api_url: slack.url }],
  });

  const first = await startRelayProcess({ configFile });
  t.teardown(() => first.kill());
  await post(first.url, notice('firing'));
  await slack.waitFor(() => slack.okCalls().length >= 1, 15_000);
  const parent = slack.okCalls()[0]!;
  t.match(parent, { method: 'chat.postMessage', args: { channel: CHANNEL } }, 'the parent');
  t.equal(parent.args.thread_ts, undefined, 'at the top level');
  // Killed once the relay recorded the thread (Slack's answer alone is not enough: a crash between
  // the answer and the record costs a second parent, as any redelivery may). Whether the outbox
  // also recorded the delivery before the kill does not matter: a redelivered notice that the
  // thread already shows is not posted again.
  const threads = join(tmp.dir, 'data', 'slack-threads.json');
  await pollUntil(() => existsSync(threads) && readFileSync(threads, 'utf8').includes(parent.ts!), 10_000, () => 'the thread was not recorded');
  await first.kill();

  const second = await startRelayProcess({ configFile });
  t.teardown(() => second.stop());
  await post(second.url, notice('resolved'));
  await slack.waitFor(() => slack.okCalls().length >= 3, 15_000);
  const [update, reply] = slack.okCalls().slice(1);
  t.match(update, { method: 'chat.update', args: { channel: CHANNEL, ts: parent.ts } }, 'the same parent is edited');
  t.match(JSON.stringify(update!.args.attachments), /RESOLVED after 12m/, 'to the resolved state');
  t.match(reply, { method: 'chat.postMessage', args: { channel: CHANNEL, thread_ts: parent.ts, reply_broadcast: true } }, 'the resolution is a reply in the same thread, broadcast');
  t.equal(slack.calls.length, 3, 'no second parent, nothing else');
  t.notOk(first.stderr().includes(TOKEN) || second.stderr().includes(TOKEN), 'the token is not in the logs');
});
