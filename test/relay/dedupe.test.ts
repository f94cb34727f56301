import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { Deduper, notificationKey } from '../../src/relay/dedupe.js';
import { createRelay, type Relay } from '../../src/relay/server.js';
import { RESOLVED_EMOJI } from '../../src/relay/slack/format.js';
import { amFixtureJson as fixture } from '../helpers/am-fixtures.js';
import { silentLogger } from '../helpers/collect.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import type { AlertmanagerNotification } from '../../src/relay/types.js';

const n = (status: 'firing' | 'resolved', fingerprints: string[]): AlertmanagerNotification => ({
  version: '4',
  groupKey: 'g',
  status,
  receiver: 'r',
  groupLabels: {},
  commonLabels: {},
  commonAnnotations: {},
  externalURL: '',
  alerts: fingerprints.map((f) => ({ status, labels: { a: f }, annotations: {}, startsAt: '', endsAt: '', generatorURL: '', fingerprint: f })),
});

const group = (n: AlertmanagerNotification) => notificationKey(n).group;
const content = (n: AlertmanagerNotification) => notificationKey(n).content;

t.test('the key is the group, status and alert set, in any order', async (t) => {
  t.equal(content(n('firing', ['a', 'b'])), content(n('firing', ['b', 'a'])));
  t.not(content(n('firing', ['a'])), content(n('resolved', ['a'])));
  t.not(content(n('firing', ['a'])), content(n('firing', ['a', 'b'])));
  t.equal(group(n('firing', ['a'])), group(n('resolved', ['b'])), 'one group whatever it says');
  t.not(group(n('firing', ['a'])), group({ ...n('firing', ['a']), receiver: 'other' }), 'the receiver is part of the group');
  const noFingerprint = n('firing', ['x']);
  const other = { ...noFingerprint, alerts: [{ ...noFingerprint.alerts[0]!, fingerprint: '', labels: { a: 'y' } }] };
  const same = { ...noFingerprint, alerts: [{ ...noFingerprint.alerts[0]!, fingerprint: '' }] };
  t.not(content(same), content(other), 'without fingerprints the labels tell alerts apart');
  const refired = { ...noFingerprint, alerts: [{ ...noFingerprint.alerts[0]!, startsAt: '2026-01-01T00:10:00Z' }] };
  t.not(content(refired), content(noFingerprint), 'an alert that starts again is a new firing');
});

t.test('duplicates within the window only, and only of the last content of the group', async (t) => {
  let now = 0;
  const d = new Deduper(1000, () => now);
  const k = (g: string, c: string) => ({ group: g, content: c });
  d.remember(k('g1', 'firing'));
  now = 500;
  t.ok(d.isDuplicate(k('g1', 'firing')));
  t.notOk(d.isDuplicate(k('g2', 'firing')), 'another group');
  d.remember(k('g1', 'resolved'));
  t.notOk(d.isDuplicate(k('g1', 'firing')), 'firing again after resolved is news');
  t.ok(d.isDuplicate(k('g1', 'resolved')));
  now = 600;
  d.remember(k('g2', 'x'));
  now = 1500;
  t.notOk(d.isDuplicate(k('g1', 'resolved')), 'the window has passed');
  d.remember(k('g3', 'y'));
  t.equal(d.size, 2, 'g1 evicted');
  d.remember(k('g2', 'x')); // remembered again: its newer time counts
  now = 2100;
  d.remember(k('g4', 'z'));
  t.ok(d.isDuplicate(k('g2', 'x')), 'g2 was refreshed at 1500');
  t.ok(d.isDuplicate(k('g3', 'y')), 'g3 (remembered at 1500) is still within its window');
});

interface RealRelay {
  readonly relay: Relay;
  readonly slack: FakeSlack;
  post(body: unknown): Promise<string>;
}

async function realRelay(t: Test): Promise<RealRelay> {
  const slack = await FakeSlack.start();
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-dedupe-'));
  process.env.TOCSIN_TEST_DEDUPE_HOOK = slack.url('/services/T0DEDUPE/B0DEDUPE/dedupe-token');
  const config = parseConfig(
    `relay:
  data_dir: ${dir}/data
  dedupe_window: 5m
  delivery: {min_interval: 10ms, timeout: 2s}
  destinations:
    - {name: ops, webhook_url: "\${TOCSIN_TEST_DEDUPE_HOOK}"}
`,
    'dedupe.yml',
  );
  const relay = await createRelay(config, silentLogger);
  t.teardown(async () => {
    await relay.close();
    await slack.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    relay,
    slack,
    async post(body) {
      const res = await relay.app.inject({ method: 'POST', url: '/hooks/alertmanager', payload: body as object });
      t.equal(res.statusCode, 200);
      return (res.json() as { outcome: string }).outcome;
    },
  };
}

const HOOK = '/services/T0DEDUPE/B0DEDUPE/dedupe-token';
const statuses = (s: FakeSlack) => s.requestsTo(HOOK).map((r) => (JSON.stringify(r.body).includes(RESOLVED_EMOJI) ? 'resolved' : 'firing'));

t.test('real relay: fire, resolve, fire again inside the window -> three Slack messages', async (t) => {
  const r = await realRelay(t);
  const firing = fixture('firing-warning.json');
  t.equal(await r.post(firing), 'accepted');
  await r.slack.waitForRequests(HOOK, 1, 5000);
  t.equal(await r.post(fixture('resolved-warning.json')), 'accepted');
  await r.slack.waitForRequests(HOOK, 2, 5000);
  // Prometheus gives the alert a new start when it fires again.
  const again = fixture('firing-warning.json');
  again.alerts[0].startsAt = '2026-11-21T14:45:08Z';
  t.equal(await r.post(again), 'accepted', 'the new firing is not a duplicate');
  await r.slack.waitForRequests(HOOK, 3, 5000);
  t.same(statuses(r.slack), ['firing', 'resolved', 'firing']);
});

t.test('real relay: the same content after something else for the group is news, even with the same startsAt', async (t) => {
  // Senders other than Alertmanager may leave startsAt empty: what was accepted in between decides.
  const r = await realRelay(t);
  const firing = fixture('firing-warning.json');
  firing.alerts[0].startsAt = '';
  const resolved = fixture('resolved-warning.json');
  resolved.alerts[0].startsAt = '';
  for (const [i, body] of [firing, resolved, firing].entries()) {
    t.equal(await r.post(body), 'accepted');
    await r.slack.waitForRequests(HOOK, i + 1, 5000);
  }
  t.same(statuses(r.slack), ['firing', 'resolved', 'firing']);
});

t.test('real relay: an identical retried notification is still one Slack message', async (t) => {
  const r = await realRelay(t);
  const firing = fixture('firing-warning.json');
  t.equal(await r.post(firing), 'accepted');
  t.equal(await r.post(firing), 'duplicate', 'a retry right away');
  await r.slack.waitForRequests(HOOK, 1, 5000);
  t.equal(await r.post(firing), 'duplicate', 'a retry after delivery');
  await new Promise((resolve) => setTimeout(resolve, 300)); // time for a wrong second message to arrive
  t.equal(r.slack.requestsTo(HOOK).length, 1);
});

t.test('memory stays bounded under a flood (bounded loop)', async (t) => {
  const d = new Deduper(3_600_000, () => 0);
  for (let i = 0; i < 120_000; i++) d.remember({ group: `g${i}`, content: 'c' });
  t.ok(d.size <= 50_000, `${d.size} groups kept`);
  t.ok(d.isDuplicate({ group: 'g119999', content: 'c' }), 'the newest are kept');
  t.notOk(d.isDuplicate({ group: 'g0', content: 'c' }), 'the oldest went first');
});
