// Two relay replicas behind one Service (setup in test/helpers/relay-replicas.ts): one replica is
// killed with SIGKILL while it holds accepted, undelivered notifications, and the other goes on
// with later notifications of the same incidents meanwhile. After the restart the killed
// replica's outbox delivers what it held: nothing is lost, and no incident gets a second Slack
// thread (what it held are older notices: quiet replies in the threads the other replica keeps).
import t from 'tap';
import { allNames, burst, metric, parentsByAlert, replicaCluster, settle, TOKEN_A, WAIT_MS } from '../helpers/relay-replicas.js';
import { pollUntil } from '../helpers/relay-config.js';

t.test('a relay killed (SIGKILL) mid-burst loses nothing and makes no second thread: its outbox delivers after the restart', async (t) => {
  // Relay A posts once every 3 s, so it holds accepted, undelivered notifications; it is killed
  // between two posts (never while a post is in flight: a post Slack took whose answer was lost is
  // a redelivery by design, counted by tocsin_relay_redeliveries_total).
  const c = await replicaCluster(t, { aInterval: '3s' });
  const [am1, am2] = c.ams;
  const N = 20;
  // The first alert of each incident reaches only peer 1, which sends to relay A.
  await am1!.postAlerts(burst('Kill', N));
  const aCalls = () => c.api.calls.filter((x) => x.token === TOKEN_A);
  let pendingAtKill = 0;
  await pollUntil(
    async () => {
      const last = aCalls().at(-1);
      if (last === undefined || last.status === 'hung') return false;
      const quiet = performance.now() - last.at;
      if (quiet < 500 || quiet > 2_000) return false;
      pendingAtKill = await metric(c.relays.a, 'tocsin_relay_outbox_depth');
      return pendingAtKill > 0;
    },
    WAIT_MS,
    () => `relay A never held undelivered notifications between posts (${aCalls().length} posts)`,
    50,
  );
  await c.relays.a.kill();
  t.ok(pendingAtKill > 0, `relay A was killed holding ${pendingAtKill} accepted, undelivered notifications`);
  const before = parentsByAlert(c.api, 'Kill').size;
  t.ok(before < N, `${before} of ${N} incidents were in Slack at the kill`);

  // Meanwhile each incident gets a second alert, through peer 2 and relay B.
  const second = burst('Kill', N).map((a) => ({ ...a, labels: { ...a.labels, instance: 'second' } }));
  await am2!.postAlerts([...burst('Kill', N), ...second]);
  await pollUntil(() => parentsByAlert(c.api, 'Kill').size === N, WAIT_MS, () => `parents for ${[...parentsByAlert(c.api, 'Kill').keys()]}`);

  const a = await c.restartA();
  t.match(a.stderr(), /"pendingFromLastRun":[1-9]/, 'the restarted relay found them in its outbox');
  await pollUntil(async () => (await metric(a, 'tocsin_relay_outbox_depth')) === 0, WAIT_MS, () => 'relay A did not deliver what its outbox held');
  t.equal(await metric(a, 'tocsin_relay_delivery_latency_seconds_count'), pendingAtKill, 'relay A delivered every notification it held');
  await settle();
  t.same(Object.fromEntries(parentsByAlert(c.api, 'Kill')), Object.fromEntries(allNames('Kill', N).map((n) => [n, 1])), 'every incident in Slack, each with one thread');
  t.notOk(c.api.calls.some((x) => x.orphan), 'no reply before its parent');
  t.equal(await metric(a, 'tocsin_relay_dead_letters_total'), 0, 'nothing dead-lettered');
});
