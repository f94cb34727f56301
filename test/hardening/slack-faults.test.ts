// Slack faults the dispatcher tests do not cover end to end: a Slack that accepts the connection
// and never answers (every post times out; notifications stay pending, nothing is dead-lettered,
// and all arrive once Slack answers again), and a Slack that answers very slowly, below and
// beyond the delivery timeout (Alertmanager is acknowledged at once; nothing is lost; a post that
// arrived after its timeout is counted as a duplicate). A real relay (createRelay, its real outbox
// on disk) in front of the fake Slack on a real socket.
import t, { type Test } from 'tap';
import { parseConfig } from '../../src/config/load.js';
import { createRelay, type Relay } from '../../src/relay/server.js';
import { silentLogger } from '../helpers/collect.js';
import { FakeSlack, type FakeSlackMode } from '../helpers/fake-slack.js';
import { pollUntil } from '../helpers/relay-config.js';
import { tmpDir } from '../helpers/tmp.js';
import { figures, hxId, notification, percentile, tally } from './notifications.js';

const PATH = '/services/T0FAULTS/B0FAULTS/faults-secret-token';

async function setup(t: Test, mode: FakeSlackMode, timeout: string): Promise<{ relay: Relay; slack: FakeSlack }> {
  const slack = await FakeSlack.start();
  slack.setMode(PATH, mode);
  const dir = tmpDir(t, 'tocsin-slack-faults-');
  process.env.TOCSIN_HX_FAULTS_HOOK = slack.url(PATH);
  const config = parseConfig(
    `relay:
  data_dir: ${dir}/data
  delivery: {min_interval: 10ms, timeout: ${timeout}, digest_threshold: 1000}
  destinations:
    - {name: slack, webhook_url: "\${TOCSIN_HX_FAULTS_HOOK}"}
  default_destinations: [slack]
`,
    'faults.yml',
  );
  const relay = await createRelay(config, silentLogger);
  t.teardown(async () => {
    await relay.close();
    await slack.close();
  });
  return { relay, slack };
}

/** Posts each notification; returns the acknowledgement times (ms). */
async function postAll(t: Test, relay: Relay, ids: readonly string[]): Promise<number[]> {
  const acks: number[] = [];
  for (const [i, id] of ids.entries()) {
    const started = performance.now();
    const res = await relay.app.inject({ method: 'POST', url: '/hooks/alertmanager', payload: notification(id, i) });
    acks.push(performance.now() - started);
    if (res.statusCode !== 200 || res.json().outcome !== 'accepted') t.fail(`${id}: ${res.statusCode} ${res.body}`);
  }
  return acks;
}

t.test('Slack accepts and never answers: every post times out, nothing leaves the outbox, all arrive when it answers again', async (t) => {
  const { relay, slack } = await setup(t, { kind: 'hang' }, '500ms');
  const ids = Array.from({ length: 12 }, (_, i) => hxId('hang', i));
  const acks = await postAll(t, relay, ids);
  t.ok(Math.max(...acks) < 2000, `acknowledged while Slack hangs (max ${Math.max(...acks).toFixed(1)} ms)`);

  // Three posts in a row hang and time out (backoff between them).
  await pollUntil(() => slack.requestsTo(PATH).length >= 3, 20_000, () => `${slack.requestsTo(PATH).length} posts`);
  const hung = slack.requestsTo(PATH).length;
  t.ok(slack.requestsTo(PATH).every((r) => r.status === 'hung'), 'no post was answered');
  t.equal(relay.outbox.pendingCount('slack'), ids.length, 'every notification is still pending');
  t.equal(relay.outbox.deadLetterCount(), 0, 'a hanging Slack dead-letters nothing');

  slack.setMode(PATH, { kind: 'ok' });
  await pollUntil(() => relay.outbox.pendingCount('slack') === 0, 40_000, () => `${relay.outbox.pendingCount('slack')} still pending`);
  const f = figures(ids, tally(slack.requests, PATH));
  t.comment(`Slack never answering (${hung} hung posts, timeout 500 ms), then answering: ${f.text}; ack p99 ${percentile(acks, 99).toFixed(1)} ms`);
  t.equal(f.lost, 0, 'nothing lost');
  t.equal(relay.outbox.deadLetterCount(), 0, 'nothing dead-lettered');
});

t.test('Slack answers slowly but within the timeout: acknowledged at once, each delivered exactly once', async (t) => {
  const { relay, slack } = await setup(t, { kind: 'slow', delayMs: 1200 }, '5s');
  const ids = Array.from({ length: 5 }, (_, i) => hxId('slow', i));
  const started = performance.now();
  const acks = await postAll(t, relay, ids);
  t.ok(Math.max(...acks) < 1000, `acknowledged without waiting for Slack (max ${Math.max(...acks).toFixed(1)} ms)`);
  await pollUntil(() => relay.outbox.pendingCount('slack') === 0, 30_000, () => `${relay.outbox.pendingCount('slack')} still pending`);
  const f = figures(ids, tally(slack.requests, PATH));
  t.comment(`Slack answering in 1.2 s (timeout 5 s): ${f.text}; ack p99 ${percentile(acks, 99).toFixed(1)} ms; all delivered in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  t.equal(f.lost, 0, 'nothing lost');
  t.equal(f.duplicates, 0, 'no duplicates: no post timed out');
  t.equal(slack.requestsTo(PATH).length, ids.length, 'one post per notification');
});

t.test('Slack answers after the timeout (it did post): retried, nothing lost, duplicates counted', async (t) => {
  // The first two posts are answered 200 after 2.5 s, past the 1 s timeout: Slack posted them but
  // the relay cannot know, so it tries again. Then Slack answers at once.
  const { relay, slack } = await setup(t, { kind: 'failThenOk', failures: 2, fail: { kind: 'slow', delayMs: 2500 } }, '1s');
  const ids = Array.from({ length: 4 }, (_, i) => hxId('late', i));
  const acks = await postAll(t, relay, ids);
  await pollUntil(() => relay.outbox.pendingCount('slack') === 0, 30_000, () => `${relay.outbox.pendingCount('slack')} still pending`);
  // Let the late answers land (they change nothing: the relay gave up on those posts).
  await new Promise((r) => setTimeout(r, 1600));
  const f = figures(ids, tally(slack.requests, PATH));
  t.comment(`Slack answering in 2.5 s (timeout 1 s) twice, then at once: ${f.text}; ack p99 ${percentile(acks, 99).toFixed(1)} ms`);
  t.equal(f.lost, 0, 'nothing lost');
  t.ok(f.duplicates >= 1 && f.duplicates <= 2, `the posts that timed out were sent again (${f.duplicates} duplicates, at most the 2 slow posts)`);
  t.equal(relay.outbox.deadLetterCount(), 0, 'nothing dead-lettered');
});
