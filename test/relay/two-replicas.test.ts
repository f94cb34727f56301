// Two relay replicas behind one Service, end to end (setup in test/helpers/relay-replicas.ts): a
// real Redis shared by two `tocsin relay` processes, a real Alertmanager cluster of two peers that
// both send every notification (each to a different replica), the fake Slack Web API and webhook.
// A burst reaches Slack once each; with Redis stopped nothing is lost (duplicates fail open,
// counted, logged once per outage); with Redis back, once each again.
import t from 'tap';
import {
  allNames,
  burst,
  hookMessagesByAlert,
  metric,
  parentsByAlert,
  REDIS_PASSWORD,
  replicaCluster,
  settle,
  WAIT_MS,
} from '../helpers/relay-replicas.js';
import { pollUntil } from '../helpers/relay-config.js';

t.test('a burst through two Alertmanager peers and two relays reaches Slack once each; with Redis stopped nothing is lost', async (t) => {
  const c = await replicaCluster(t, { webhook: true });
  const N = 20;
  await c.post(burst('Burst', N));
  await pollUntil(() => parentsByAlert(c.api, 'Burst').size === N && hookMessagesByAlert(c.hooks, 'Burst').size === N, WAIT_MS, () => `parents for ${[...parentsByAlert(c.api, 'Burst').keys()]}`);
  await settle();
  t.same(Object.fromEntries(parentsByAlert(c.api, 'Burst')), Object.fromEntries(allNames('Burst', N).map((n) => [n, 1])), 'one Slack thread per alert group');
  t.equal(c.api.okCalls().filter((x) => x.method !== 'chat.postMessage' || x.args.thread_ts !== undefined).length, 0, 'no reply or edit: nothing was delivered twice');
  t.same(Object.fromEntries(hookMessagesByAlert(c.hooks, 'Burst')), Object.fromEntries(allNames('Burst', N).map((n) => [n, 1])), 'one webhook message per alert group');
  const received = [await metric(c.relays.a, 'tocsin_relay_notifications_received_total'), await metric(c.relays.b, 'tocsin_relay_notifications_received_total')];
  const duplicates = (await metric(c.relays.a, 'tocsin_relay_duplicates_total')) + (await metric(c.relays.b, 'tocsin_relay_duplicates_total'));
  t.ok(received[0]! > 0 && received[1]! > 0, `both replicas received notifications (${received.join(' and ')})`);
  t.ok(duplicates >= 1, `both Alertmanager peers sent, and the replicas dropped ${duplicates} copies`);
  t.equal(await metric(c.relays.a, 'tocsin_relay_shared_state_errors_total'), 0, 'Redis answered every time');

  // Redis goes away: both replicas go on without it.
  await c.redis.stop();
  const M = 5;
  await c.post(burst('Down', M));
  await pollUntil(() => parentsByAlert(c.api, 'Down').size === M && hookMessagesByAlert(c.hooks, 'Down').size === M, WAIT_MS, () => `parents for ${[...parentsByAlert(c.api, 'Down').keys()]}`);
  t.pass('Redis down: every notification reached Slack (duplicates fail open)');
  const errors = (await metric(c.relays.a, 'tocsin_relay_shared_state_errors_total', { operation: 'duplicates' })) + (await metric(c.relays.b, 'tocsin_relay_shared_state_errors_total', { operation: 'duplicates' }));
  t.ok(errors >= M, `failed claims counted: ${errors}`);
  t.equal(await metric(c.relays.a, 'tocsin_relay_shared_state_up'), 0, 'the up gauge says so');
  for (const [name, relay] of Object.entries({ a: c.relays.a, b: c.relays.b })) {
    const lines = relay.stderr().split('\n').filter((l) => l.includes('shared state (Redis) unreachable'));
    t.equal(lines.length, 1, `relay ${name}: one log line for the outage, not one per notification`);
  }

  // Redis back (empty: it kept nothing): the replicas use it again, and a burst is once each again.
  await c.redis.start();
  await pollUntil(async () => (await metric(c.relays.a, 'tocsin_relay_shared_state_up')) === 1 && (await metric(c.relays.b, 'tocsin_relay_shared_state_up')) === 1, WAIT_MS, () => 'the relays did not reconnect to Redis');
  await c.post(burst('Back', M));
  await pollUntil(() => parentsByAlert(c.api, 'Back').size === M, WAIT_MS, () => `parents for ${[...parentsByAlert(c.api, 'Back').keys()]}`);
  await settle();
  t.same(Object.fromEntries(parentsByAlert(c.api, 'Back')), Object.fromEntries(allNames('Back', M).map((n) => [n, 1])), 'Redis back: one thread per group again');
  t.ok(c.relays.a.stderr().includes('shared state (Redis) reachable again'), 'the end of the outage is logged');
  t.notOk(c.api.calls.some((x) => x.orphan), 'no reply was ever posted before its parent');
  for (const relay of [c.relays.a, c.relays.b]) {
    t.notOk(relay.stderr().includes(REDIS_PASSWORD), 'the Redis password is not in the logs');
    t.notOk((await (await fetch(`${relay.url}/metrics`)).text()).includes(REDIS_PASSWORD), 'nor in the metrics');
  }
});

