// Messages tell the truth about time. Prometheus sends an alert's startsAt as the moment it
// fired, after its rule's `for:` window; the shipped rules repeat that window in the `for`
// annotation, and the relay counts from when the problem began (startsAt minus the window),
// with the firing time beside it. A message delivered late (Slack was down) says so, speaks as
// of when it was accepted, and says what a later notification of the same group changed.
import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { Dispatcher } from '../../src/relay/dispatcher.js';
import { RelayMetrics } from '../../src/relay/metrics.js';
import type { Destination } from '../../src/relay/delivery/integration.js';
import { Outbox } from '../../src/relay/outbox/index.js';
import { formatConsole } from '../../src/relay/slack/console.js';
import { formatNotification } from '../../src/relay/slack/format.js';
import { createSlackWebhookIntegration } from '../../src/relay/slack/webhook.js';
import type { AlertmanagerNotification, OutboxEntry, SlackMessage } from '../../src/relay/types.js';
import { amFixture } from '../helpers/am-fixtures.js';
import { silentLogger } from '../helpers/collect.js';
import { FakeSlack } from '../helpers/fake-slack.js';

const UTC = { timeZone: 'UTC' };

/** firing-warning / resolved-warning (one alert, one group) with the times and `for` given. */
function notification(status: 'firing' | 'resolved', times: { startsAt: string; endsAt?: string }, forWindow?: string): AlertmanagerNotification {
  const n = amFixture(status === 'firing' ? 'firing-warning' : 'resolved-warning');
  return {
    ...n,
    alerts: n.alerts.map((a) => ({
      ...a,
      startsAt: times.startsAt,
      endsAt: times.endsAt ?? '0001-01-01T00:00:00Z',
      annotations: forWindow === undefined ? a.annotations : { ...a.annotations, for: forWindow },
    })),
  };
}

function allText(m: SlackMessage): string {
  const blocks = (m.attachments?.[0]?.blocks ?? []) as { text?: { text: string }; elements?: { text: string }[] }[];
  return blocks.map((b) => b.text?.text ?? b.elements?.map((e) => e.text).join(' ') ?? '').join('\n');
}

// The database was down from 14:02:00 to 14:04:30: 2½ minutes. Under `for: 1m` the alert fired at 14:03:00.
const OUTAGE = { startsAt: '2026-11-21T14:03:00Z', endsAt: '2026-11-21T14:04:30Z' };

t.test('a 2½-minute outage under for: 1m reads "lasted 2m 30s", with the firing time beside it', async (t) => {
  const n = notification('resolved', OUTAGE, '1m');
  const slack = allText(formatNotification(n, { ...UTC, now: new Date('2026-11-21T14:05:00Z') }));
  t.match(slack, '2026-11-21 14:02 → 14:04 UTC, lasted 2m 30s (fired 14:03)');
  t.notMatch(slack, 'lasted 1m 30s', 'not counted from the firing time');
  const text = formatConsole(n, { ...UTC, now: new Date('2026-11-21T14:05:00Z') });
  t.match(text, '2026-11-21 14:02 → 14:04 UTC, lasted 2m 30s (fired 14:03)', 'the console says the same');
});

t.test('a firing alert: since when the problem began, for how long, and when it fired', async (t) => {
  const n = notification('firing', { startsAt: OUTAGE.startsAt }, '1m');
  const opts = { ...UTC, now: new Date('2026-11-21T14:04:00Z') };
  t.match(allText(formatNotification(n, opts)), 'Since 2026-11-21 14:02 UTC (for 2m, firing since 14:03)');
  t.match(formatConsole(n, opts), 'since 2026-11-21 14:02 UTC (for 2m, firing since 14:03)');
});

t.test('the firing time shows its date when the problem began the day before', async (t) => {
  const n = notification('resolved', { startsAt: '2026-11-22T00:30:00Z', endsAt: '2026-11-22T00:40:00Z' }, '1h');
  t.match(allText(formatNotification(n, UTC)), '2026-11-21 23:30 → 2026-11-22 00:40 UTC, lasted 1h 10m (fired 2026-11-22 00:30)');
});

t.test('without a usable for annotation, times count from the firing time as before', async (t) => {
  for (const forWindow of [undefined, '', '0m', 'soon', '1.5m']) {
    const text = allText(formatNotification(notification('resolved', OUTAGE, forWindow), UTC));
    t.match(text, '2026-11-21 14:03 → 14:04 UTC, lasted 1m 30s', `for: ${JSON.stringify(forWindow)}`);
    t.notMatch(text, 'fired', 'no firing time beside it: the same moment');
  }
});

t.test('the digest counts from when each problem began too', async (t) => {
  const { formatDigest } = await import('../../src/relay/slack/format.js');
  const m = formatDigest([notification('resolved', OUTAGE, '1m'), { ...notification('firing', { startsAt: OUTAGE.startsAt }, '1m'), groupKey: 'other' }], {
    ...UTC,
    now: new Date('2026-11-21T14:04:00Z'),
  });
  const text = allText(m);
  t.match(text, 'lasted 2m 30s');
  t.match(text, 'since 2026-11-21 14:02 UTC (2m)');
});

// Slack was down from 14:03 to 15:10: the firing notice accepted at 14:03:10 goes out at 15:10.
const FIRED_AT = Date.parse('2026-11-21T14:03:10Z');
const RESOLVED_AT = Date.parse('2026-11-21T14:05:00Z');
const LATE_NOW = new Date('2026-11-21T15:10:00Z');

t.test('a late firing notice speaks as of its acceptance, and says it has resolved since', async (t) => {
  const firing = notification('firing', { startsAt: OUTAGE.startsAt }, '1m');
  const resolved = notification('resolved', OUTAGE, '1m');
  const opts = { ...UTC, now: LATE_NOW, acceptedAt: FIRED_AT, newer: [{ acceptedAt: RESOLVED_AT, notification: resolved }] };
  const text = allText(formatNotification(firing, opts));
  t.match(text, 'Delivered 1h 6m late: as it stood at 2026-11-21 14:03 UTC. Resolved since, as a later notification says.');
  t.match(text, 'Since 2026-11-21 14:02 UTC (for 1m 10s, firing since 14:03); resolved 14:04, lasted 2m 30s (a later notification)');
  t.notMatch(text, 'for 1h', 'not "firing for" up to the delivery time');
  const console = formatConsole(firing, opts);
  t.match(console, 'Delivered 1h 6m late');
  t.match(console, 'resolved 14:04, lasted 2m 30s (a later notification)');
});

t.test('a late notice without later news says only that it is late', async (t) => {
  const firing = notification('firing', { startsAt: OUTAGE.startsAt }, '1m');
  const other = { ...notification('resolved', OUTAGE, '1m'), groupKey: '{}:{alertname="Other"}' };
  const text = allText(formatNotification(firing, { ...UTC, now: LATE_NOW, acceptedAt: FIRED_AT, newer: [{ acceptedAt: RESOLVED_AT, notification: other }] }));
  t.match(text, 'Delivered 1h 6m late: as it stood at 2026-11-21 14:03 UTC.');
  t.notMatch(text, 'Resolved since', "another group's resolution says nothing about this one");
  t.match(text, '(for 1m 10s, firing since 14:03)');
});

t.test('a notice delivered within a minute is not called late', async (t) => {
  const firing = notification('firing', { startsAt: OUTAGE.startsAt }, '1m');
  const text = allText(formatNotification(firing, { ...UTC, now: new Date(FIRED_AT + 30_000), acceptedAt: FIRED_AT }));
  t.notMatch(text, 'late');
  t.match(text, '(for 1m 40s, firing since 14:03)');
});

t.test('through the dispatcher: a firing notice waiting behind an outage is delivered saying it has resolved', async (t) => {
  const slack = await FakeSlack.start();
  t.teardown(() => slack.close());
  const dir = await mkdtemp(join(tmpdir(), 'tocsin-late-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const outbox = await Outbox.open(dir, { logger: silentLogger });
  const url = slack.url('/services/T1/B1/lateSecret');
  const destinations = new Map<string, Destination>([['ops', { name: 'ops', type: 'slack', enabled: true, webhookUrl: { reveal: () => url } }]]);
  const dispatcher = new Dispatcher({
    outbox,
    destination: (name) => destinations.get(name),
    integrations: new Map([['slack', createSlackWebhookIntegration({ timeZone: 'UTC', timeoutMs: 2000 })]]),
    logger: silentLogger,
    metrics: new RelayMetrics(new Registry()),
    pacing: { minIntervalMs: 20, baseBackoffMs: 20, maxBackoffMs: 80 },
    stopGraceMs: 200,
  });
  t.teardown(async () => {
    await dispatcher.stop();
    await outbox.close();
  });
  // Accepted an hour ago (the relay ran while Slack was unreachable), in order: firing, then resolved.
  const hourAgo = Date.now() - 3_600_000;
  const entry = (id: string, acceptedAt: number, n: AlertmanagerNotification): OutboxEntry => ({ id, acceptedAt, destination: 'ops', presentation: {}, notification: n });
  await outbox.append([
    entry('late-firing', hourAgo, notification('firing', { startsAt: OUTAGE.startsAt }, '1m')),
    entry('late-resolved', hourAgo + 110_000, notification('resolved', OUTAGE, '1m')),
  ]);
  dispatcher.start();
  await slack.waitFor((rs) => rs.length >= 2, 10_000);
  const [first, second] = slack.requests.map((r) => allText(r.body as SlackMessage));
  t.match(first, /Delivered 1h( \d+s)? late: as it stood at .*\. Resolved since, as a later notification says\./, 'the firing notice says it is late and resolved');
  t.match(first, 'resolved 14:04, lasted 2m 30s (a later notification)');
  t.match(second, 'lasted 2m 30s', 'the resolved notice follows');
  t.match(second, /Delivered .* late/, 'and is late too');
  t.notMatch(second, 'Resolved since', 'a resolved notice needs no news');
});

t.test("the Slack app's thread parent says how long the incident really lasted", async (t) => {
  const { incidentEnd, incidentStart, parentMessage } = await import('../../src/relay/slack-app/messages.js');
  const n = notification('resolved', OUTAGE, '1m');
  t.equal(incidentStart(n, 0), Date.parse('2026-11-21T14:02:00Z'), 'the incident opened when the problem began');
  const m = parentMessage(n, { openedAt: incidentStart(n, 0), resolvedAt: incidentEnd(n, 0) }, UTC);
  t.match(m.text, '[RESOLVED after 2m 30s]');
});
