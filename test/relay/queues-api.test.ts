// The queue and dead-letter write API (issue 8 item 2, storage side): list queues, purge a queue
// into the dead letters, re-drive dead letters by id or by destination. In process through
// app.inject() with a real fake Slack on loopback, and once against a real relay process that is
// restarted between the purge and the re-drive.
import t, { type Test } from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { createRelay, type Relay } from '../../src/relay/server.js';
import { silentLogger } from '../helpers/collect.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import { outboxEntry } from '../helpers/outbox-fixtures.js';
import { pollUntil, startRelayProcess, tempDir, writeRelayConfig } from '../helpers/relay-config.js';
import { firingNotification } from '../helpers/notification.js';

const PATH = '/services/T0TOCSIN/B0QUEUE/queue-secret';
const TOKEN = 'queue-api-token';
const auth = { authorization: `Bearer ${TOKEN}` };

const notification = (name: string) => firingNotification({ alertname: name, severity: 'warning' }, { fingerprint: name });

async function setup(t: Test) {
  const tmp = tempDir('queues-api');
  t.teardown(tmp.remove);
  const fake = await FakeSlack.start();
  t.teardown(() => fake.close());
  fake.setMode(PATH, { kind: 'serverError' });
  writeFileSync(join(tmp.dir, 'api-token'), `${TOKEN}\n`);
  process.env.TOCSIN_QUEUES_SLACK = fake.url(PATH);
  const config = parseConfig(
    `relay:\n  data_dir: ${tmp.dir}/data\n  api_auth: {bearer_token_file: ${tmp.dir}/api-token}\n` +
      `  delivery: {min_interval: 10ms, timeout: 2s, digest_threshold: 1000}\n` +
      `  destinations:\n    - {name: slack, webhook_url: "\${TOCSIN_QUEUES_SLACK}"}\n`,
    'queues.yml',
  );
  const relay: Relay = await createRelay(config, silentLogger);
  t.teardown(() => relay.close());
  const inject = (method: 'GET' | 'POST', url: string, headers: Record<string, string> = auth) => relay.app.inject({ method, url, headers });
  const delivered = (name: string) => fake.requestsTo(PATH).filter((r) => r.status === 200 && r.rawBody.includes(name)).length;
  return { fake, relay, inject, delivered };
}

t.test('purge a queue into the dead letters, then re-drive them: every notification arrives once', async (t) => {
  const { fake, relay, inject, delivered } = await setup(t);
  const names = ['QueueCaseA', 'QueueCaseB', 'QueueCaseC'];
  for (const n of names) t.equal((await relay.app.inject({ method: 'POST', url: '/hooks/alertmanager', payload: notification(n) })).statusCode, 200);
  // A destination that is not configured (renamed away) still shows with what it holds.
  await relay.outbox.append([outboxEntry('orphan', 'renamed-away')]);

  const queues = await inject('GET', '/api/v1/queues');
  t.equal(queues.statusCode, 200);
  const byName = Object.fromEntries((queues.json() as { destination: string; pending: number; deadLetters: number }[]).map((q) => [q.destination, q]));
  t.match(byName.slack, { state: 'active', pending: 3, deadLetters: 0 });
  t.match(byName['renamed-away'], { state: 'missing' });
  t.equal(byName['renamed-away']!.pending + byName['renamed-away']!.deadLetters, 1, 'the not-configured destination is listed with its entry');

  t.equal((await inject('POST', '/api/v1/queues/slack/purge', {})).statusCode, 401, 'purge needs the API credentials');
  t.equal((await inject('POST', '/api/v1/queues/no-such/purge')).statusCode, 404);
  const bad = await inject('POST', '/api/v1/queues/slack/purge?forget_oldest=maybe');
  t.equal(bad.statusCode, 400);
  t.match(bad.json().message, /^query\.forget_oldest/);
  const purged = await inject('POST', '/api/v1/queues/slack/purge');
  t.equal(purged.statusCode, 200);
  t.same(purged.json(), { destination: 'slack', purged: 3, forgotten: 0 });
  const dead = (await inject('GET', '/api/v1/dead-letters')).json() as { id: string; destination: string; reason: string }[];
  const slackDead = dead.filter((d) => d.destination === 'slack');
  t.same(slackDead.map((d) => d.reason), ['purged', 'purged', 'purged']);
  t.equal(relay.outbox.pendingCount('slack'), 0);

  fake.setMode(PATH, { kind: 'ok' });
  t.equal((await inject('POST', '/api/v1/dead-letters/retry?destination=slack', {})).statusCode, 401, 're-drive needs the API credentials');
  const missing = await inject('POST', '/api/v1/dead-letters/retry');
  t.equal(missing.statusCode, 400);
  t.match(missing.json().message, /^query\.destination: required/);
  t.equal((await inject('POST', '/api/v1/dead-letters/no-such-id/retry')).statusCode, 404);

  const one = await inject('POST', `/api/v1/dead-letters/${slackDead[0]!.id}/retry`);
  t.equal(one.statusCode, 200);
  t.match(one.json(), { id: slackDead[0]!.id, destination: 'slack', pending: true });
  const rest = await inject('POST', '/api/v1/dead-letters/retry?destination=slack');
  t.same(rest.json(), { destination: 'slack', retried: 2 });
  await pollUntil(() => names.every((n) => delivered(n) >= 1), 10_000, () => `${fake.requestsTo(PATH).length} requests`);
  await new Promise((r) => setTimeout(r, 300));
  t.same(names.map(delivered), [1, 1, 1], 'each re-driven notification reached Slack once');
  t.same(((await inject('GET', '/api/v1/dead-letters')).json() as { destination: string }[]).filter((d) => d.destination === 'slack'), []);

  const patched = await relay.app.inject({ method: 'PATCH', url: '/api/v1/channels/slack', headers: auth, payload: { enabled: false } });
  t.equal(patched.statusCode, 200);
  const after = (await inject('GET', '/api/v1/queues')).json() as { destination: string; state: string }[];
  t.equal(after.find((q) => q.destination === 'slack')?.state, 'disabled', 'a disabled channel is listed as such');
});

t.test('a real relay process: a purge survives a restart, and a re-drive after it delivers', async (t) => {
  const tmp = tempDir('queues-process');
  t.teardown(tmp.remove);
  const fake = await FakeSlack.start();
  t.teardown(() => fake.close());
  fake.setMode(PATH, { kind: 'serverError' });
  mkdirSync(join(tmp.dir, 'data'));
  writeFileSync(join(tmp.dir, 'api-token'), `${TOKEN}\n`);
  const configFile = writeRelayConfig(tmp.dir, {
    listen_address: '127.0.0.1:0',
    data_dir: join(tmp.dir, 'data'),
    api_auth: { bearer_token_file: join(tmp.dir, 'api-token') },
    destinations: [{ name: 'slack', type: 'slack', webhook_url: '${TOCSIN_QUEUES_PROC_SLACK}' }],
    delivery: { min_interval: '10ms', timeout: '2s', digest_threshold: 1000 },
  });
  const env = { TOCSIN_QUEUES_PROC_SLACK: fake.url(PATH) };
  const first = await startRelayProcess({ configFile, env });
  t.teardown(() => first.stop());
  const call = (url: string, method: string, path: string) => fetch(`${url}${path}`, { method, headers: auth, signal: AbortSignal.timeout(5_000) });
  const names = ['ProcQueueA', 'ProcQueueB'];
  for (const n of names) {
    const res = await fetch(`${first.url}/hooks/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(notification(n)) });
    t.equal(res.status, 200);
  }
  const purged = await call(first.url, 'POST', '/api/v1/queues/slack/purge');
  t.same(await purged.json(), { destination: 'slack', purged: 2, forgotten: 0 });
  await first.stop();

  fake.setMode(PATH, { kind: 'ok' });
  const second = await startRelayProcess({ configFile, env });
  t.teardown(() => second.stop());
  const queues = (await (await call(second.url, 'GET', '/api/v1/queues')).json()) as { destination: string; pending: number; deadLetters: number }[];
  t.match(queues, [{ destination: 'slack', pending: 0, deadLetters: 2 }], 'after a restart the purged entries are dead letters, not pending');
  const retried = await call(second.url, 'POST', '/api/v1/dead-letters/retry?destination=slack');
  t.same(await retried.json(), { destination: 'slack', retried: 2 });
  const delivered = (name: string) => fake.requestsTo(PATH).filter((r) => r.status === 200 && r.rawBody.includes(name)).length;
  await pollUntil(() => names.every((n) => delivered(n) === 1), 10_000, () => second.stderr().slice(-2000));
  t.pass('both re-driven notifications were delivered');
});
