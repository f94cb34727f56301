// Issue 8 item 2: switching a channel off, or renaming a destination across a restart, must not
// turn accepted, undelivered notifications into dead letters. The whole relay (createRelay, real
// outbox on disk, app.inject) in front of the fake Slack on a real socket.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { createRelay, type Relay } from '../../src/relay/server.js';
import { silentLogger } from '../helpers/collect.js';
import { parseExposition, select, value } from '../helpers/exposition.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import { pollUntil } from '../helpers/relay-config.js';
import { firingNotification } from '../helpers/notification.js';

const PATH = '/services/T0HELD/B0HELD/held-secret';
const TOKEN = 'held-api-token';

const notification = (i: number) =>
  firingNotification(
    { alertname: 'HeldQueue', n: String(i), severity: 'warning' },
    { startsAt: new Date(Date.now() - 60_000).toISOString(), fingerprint: (0x2000_0000 + i).toString(16) },
  );

async function relayWith(dataDir: string, destination: string, slack: FakeSlack): Promise<Relay> {
  process.env.TOCSIN_TEST_HELD_URL = slack.url(PATH);
  process.env.TOCSIN_TEST_HELD_TOKEN = TOKEN;
  const config = parseConfig(
    `relay:
  data_dir: ${dataDir}
  api_auth:
    bearer_token: "\${TOCSIN_TEST_HELD_TOKEN}"
  delivery:
    min_interval: 10ms
    timeout: 2s
  destinations:
    - {name: ${destination}, webhook_url: "\${TOCSIN_TEST_HELD_URL}"}
`,
    'held.yml',
  );
  return createRelay(config, silentLogger);
}

const post = (relay: Relay, i: number) =>
  relay.app.inject({ method: 'POST', url: '/hooks/alertmanager', payload: notification(i) });

async function metric(relay: Relay, name: string, labels: Record<string, string> = {}): Promise<number> {
  return value(parseExposition((await relay.app.inject('/metrics')).body), name, labels);
}

async function deadLetters(relay: Relay): Promise<unknown[]> {
  return (await relay.app.inject({ url: '/api/v1/dead-letters', headers: { authorization: `Bearer ${TOKEN}` } })).json();
}

const delivered = (slack: FakeSlack) => slack.requestsTo(PATH).filter((r) => r.status === 200);

t.test('a disabled channel keeps its queue and delivers it when enabled again; nothing is dead-lettered', async (t) => {
  const slack = await FakeSlack.start();
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-held-'));
  const relay = await relayWith(join(dir, 'data'), 'ops', slack);
  t.teardown(async () => {
    await relay.close();
    await slack.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const patch = (enabled: boolean) =>
    relay.app.inject({
      method: 'PATCH',
      url: '/api/v1/channels/ops',
      payload: { enabled },
      headers: { authorization: `Bearer ${TOKEN}` },
    });

  // Slack fails for now, so the three accepted notifications stay pending.
  slack.setMode(PATH, { kind: 'serverError' });
  for (const i of [1, 2, 3]) t.equal((await post(relay, i)).json().outcome, 'accepted');
  await slack.waitForRequests(PATH, 1, 5000);
  t.equal((await patch(false)).statusCode, 200, 'switched off');
  slack.setMode(PATH, { kind: 'ok' });
  // Long enough for several wake-ups (the previous code dead-lettered on the first).
  await new Promise((resolve) => setTimeout(resolve, 1500));
  t.same(await deadLetters(relay), [], 'no dead letters while disabled');
  t.equal(delivered(slack).length, 0, 'nothing delivered while disabled');
  t.equal(await metric(relay, 'tocsin_relay_outbox_depth'), 3);
  t.equal(await metric(relay, 'tocsin_relay_destination_pending', { destination: 'ops', state: 'disabled' }), 3, 'the queue depth is visible');

  t.equal((await patch(true)).statusCode, 200, 'switched on again');
  await pollUntil(() => relay.outbox.depth() === 0, 15_000, () => `depth ${relay.outbox.depth()}`);
  const texts = delivered(slack).map((r) => JSON.stringify(r.body));
  t.equal(texts.length, 3, 'three messages');
  for (const i of [1, 2, 3]) t.equal(texts.filter((x) => x.includes(`n=${i}`)).length, 1, `notification ${i} delivered once`);
  t.same(await deadLetters(relay), [], 'still no dead letters');
  const counted = select(parseExposition((await relay.app.inject('/metrics')).body), 'tocsin_relay_dead_letters_total');
  t.equal(counted.reduce((n, x) => n + x.value, 0), 0, 'no dead letters counted');
});

t.test('a destination renamed across a restart keeps its queue; renamed back, it is delivered', async (t) => {
  const slack = await FakeSlack.start();
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-held-'));
  const data = join(dir, 'data');
  t.teardown(async () => {
    await slack.close();
    rmSync(dir, { recursive: true, force: true });
  });

  slack.setMode(PATH, { kind: 'serverError' });
  const first = await relayWith(data, 'ops', slack);
  for (const i of [1, 2, 3]) t.equal((await post(first, i)).json().outcome, 'accepted');
  await slack.waitForRequests(PATH, 1, 5000);
  await first.close();

  // Restart with the destination renamed: what waits for "ops" has nowhere to go.
  slack.setMode(PATH, { kind: 'ok' });
  const renamed = await relayWith(data, 'ops-renamed', slack);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  t.same(await deadLetters(renamed), [], 'not dead-lettered');
  t.equal(renamed.outbox.pendingCount('ops'), 3);
  t.equal(await metric(renamed, 'tocsin_relay_destination_pending', { destination: 'ops', state: 'missing' }), 3, 'reported');
  t.equal(delivered(slack).length, 0);
  await renamed.close();

  const back = await relayWith(data, 'ops', slack);
  t.teardown(() => back.close());
  await pollUntil(() => back.outbox.depth() === 0, 15_000, () => `depth ${back.outbox.depth()}`);
  t.equal(delivered(slack).length, 3, 'all three delivered');
  t.same(await deadLetters(back), []);
});
