// Slack down for "minutes", end to end: a real `tocsin relay` child in front of the fake Slack
// (incoming webhook) while Alertmanager-like senders keep posting. Slack goes through an outage in
// phases: 503; 429 with a long Retry-After (600 s, cut to relay.delivery.max_retry_after); 429 with
// an HTTP-date Retry-After; answering slowly; accepting and never answering; then it recovers.
//
// Minutes are compressed honestly: the relay's own retry schedule comes from its config
// (relay.delivery.backoff_initial / backoff_max / max_retry_after / timeout), set small here; the
// relay process, its outbox on disk, its dispatcher and Slack's answers are the real ones. Each
// notification carries a unique id (hx_id) so every one is found in whatever reached Slack.
//
// Checked: every accepted notification delivered (answered 200) exactly once after recovery; none
// lost or dead-lettered; every Retry-After honoured (no post before it, a 600 s one cut to the
// configured cap); the order of each group's notifications kept (the relay delivers a
// destination's outbox oldest first, and retries the same entry before any later one);
// Alertmanager acknowledged quickly throughout. The figures are printed.
import t from 'tap';
import { join } from 'node:path';
import { FakeSlack, type FakeSlackMode, type RecordedRequest } from '../helpers/fake-slack.js';
import { parseExposition, value } from '../helpers/exposition.js';
import { pollUntil, startRelayProcess, tempDir, writeRelayConfig } from '../helpers/relay-config.js';
import { HX_ID, hxId, percentile } from './notifications.js';

const PATH = '/services/T0OUTAGE/B0OUTAGE/outage-secret-token';
const GROUPS = 4;
const MAX_NOTIFICATIONS = 400;
const SEND_EVERY_MS = 100;
/** The relay's cap on Retry-After in this test. */
const MAX_RETRY_AFTER_S = 4;
const LONG_RETRY_AFTER_S = 600;
const HTTP_DATE_RETRY_AFTER_S = 3;
/** relay.delivery.backoff_max here, and its default. */
const BACKOFF_MAX_S = 2;
const DEFAULT_BACKOFF_MAX_S = 300;

interface Phase {
  readonly name: string;
  readonly mode: FakeSlackMode;
  readonly ms: number;
}

const PHASES: readonly Phase[] = [
  { name: '503', mode: { kind: 'serverError', status: 503, body: 'service unavailable' }, ms: 6_000 },
  { name: `429 Retry-After ${LONG_RETRY_AFTER_S}`, mode: { kind: 'rateLimited', retryAfterSeconds: LONG_RETRY_AFTER_S }, ms: 9_000 },
  { name: '429 Retry-After HTTP-date', mode: { kind: 'rateLimited', retryAfterSeconds: HTTP_DATE_RETRY_AFTER_S, httpDate: true }, ms: 7_000 },
  { name: 'slow (600 ms)', mode: { kind: 'slow', delayMs: 600 }, ms: 4_000 },
  { name: 'accepts, never answers', mode: { kind: 'hang' }, ms: 6_000 },
];

/** Notification number `i`: group i % GROUPS, its own alert (so each differs from the last of its group). */
function notice(i: number) {
  const id = hxId('outage', i);
  const group = `g${i % GROUPS}`;
  const labels = { alertname: 'SlackOutage', group, hx_id: id, severity: 'warning' };
  return {
    id,
    group,
    body: {
      version: '4',
      groupKey: `{}:{alertname="SlackOutage", group="${group}"}`,
      truncatedAlerts: 0,
      status: 'firing',
      receiver: 'relay',
      // hx_id in the group labels puts it in the message title.
      groupLabels: { alertname: 'SlackOutage', group, hx_id: id },
      commonLabels: labels,
      commonAnnotations: {},
      externalURL: 'http://alertmanager.example:9093',
      alerts: [{ status: 'firing', labels, annotations: {}, startsAt: new Date(Date.now() - 60_000).toISOString(), endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: (0x2000_0000 + i).toString(16) }],
    },
  };
}

const idsOf = (r: RecordedRequest) => [...new Set(r.rawBody.match(HX_ID) ?? [])];

t.test('Slack down for minutes (503, long and HTTP-date 429s, slow, never answering), then back: each notification delivered once, in order, none lost', async (t) => {
  const slack = await FakeSlack.start();
  const tmp = tempDir('slack-outage');
  t.teardown(async () => {
    await slack.close();
    tmp.remove();
  });
  slack.setMode(PATH, { kind: 'ok' });
  const configFile = writeRelayConfig(tmp.dir, {
    data_dir: join(tmp.dir, 'data'),
    dedupe_window: '0s',
    delivery: {
      min_interval: '10ms',
      timeout: '1s',
      // Nothing merged into digests: each notification is one message, so order and count are per notification.
      digest_threshold: 1000,
      backoff_initial: '100ms',
      backoff_max: `${BACKOFF_MAX_S}s`,
      max_retry_after: `${MAX_RETRY_AFTER_S}s`,
    },
    destinations: [{ name: 'slack', webhook_url: '${TOCSIN_HX_OUTAGE_HOOK}' }],
    default_destinations: ['slack'],
  });
  const relay = await startRelayProcess({ configFile, env: { TOCSIN_HX_OUTAGE_HOOK: slack.url(PATH) } });
  t.teardown(() => relay.stop());
  const metrics = async () => parseExposition(await (await fetch(`${relay.url}/metrics`, { signal: AbortSignal.timeout(10_000) })).text());

  // Senders: one notification every SEND_EVERY_MS through every phase, bounded in count.
  const accepted: { id: string; group: string }[] = [];
  const acks: number[] = [];
  const refused: string[] = [];
  let sending = true;
  const sender = (async () => {
    for (let i = 0; sending && i < MAX_NOTIFICATIONS; i++) {
      const n = notice(i);
      const started = performance.now();
      const res = await fetch(`${relay.url}/hooks/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(n.body),
        signal: AbortSignal.timeout(15_000),
      });
      acks.push(performance.now() - started);
      const body = await res.text();
      if (res.status === 200 && JSON.parse(body).outcome === 'accepted') accepted.push({ id: n.id, group: n.group });
      else refused.push(`${n.id}: ${res.status} ${body}`);
      await new Promise((r) => setTimeout(r, SEND_EVERY_MS));
    }
  })();

  // The outage, phase by phase; what each phase saw.
  const seen: string[] = [];
  const outageStarted = performance.now();
  for (const phase of PHASES) {
    const from = slack.requestsTo(PATH).length;
    slack.setMode(PATH, phase.mode);
    await new Promise((r) => setTimeout(r, phase.ms));
    const reqs = slack.requestsTo(PATH).slice(from);
    seen.push(`${phase.name}: ${reqs.length} posts (${[...new Set(reqs.map((r) => r.status))].join('/')})`);
  }
  const outageMs = performance.now() - outageStarted;
  slack.setMode(PATH, { kind: 'ok' });
  const recovered = performance.now();
  sending = false;
  await sender;
  const pendingAtRecovery = value(await metrics(), 'tocsin_relay_outbox_depth');

  await pollUntil(async () => value(await metrics(), 'tocsin_relay_outbox_depth') === 0, 60_000, () => 'the outbox did not drain after Slack recovered', 250);
  const drainMs = performance.now() - recovered;
  const m = await metrics();

  // Per notification: posts Slack answered 200, and posts it may have shown (hung, or answered late).
  const reqs = slack.requestsTo(PATH);
  const ok = new Map<string, number>();
  const maybe = new Map<string, number>();
  const okOrder: string[] = [];
  for (const r of reqs) {
    for (const id of idsOf(r)) {
      if (r.status === 200) {
        ok.set(id, (ok.get(id) ?? 0) + 1);
        okOrder.push(id);
      } else if (r.status === 'hung') maybe.set(id, (maybe.get(id) ?? 0) + 1);
    }
  }
  const lost = accepted.filter((a) => !ok.has(a.id));
  const deliveredTwice = accepted.filter((a) => (ok.get(a.id) ?? 0) > 1);
  // A post Slack accepted and never answered may or may not have reached the channel: the relay
  // cannot know and sends it again. Counted as possible duplicates, as the relay counts them.
  const possibleDuplicates = accepted.filter((a) => ok.has(a.id) && maybe.has(a.id)).length;

  // Each group's notifications, in the order Slack accepted them, against the order they were accepted.
  const outOfOrder: string[] = [];
  for (let g = 0; g < GROUPS; g++) {
    const want = accepted.filter((a) => a.group === `g${g}`).map((a) => a.id);
    const got = okOrder.filter((id) => want.includes(id));
    if (JSON.stringify(got) !== JSON.stringify(want)) outOfOrder.push(`g${g}`);
  }

  // Retry-After honoured: the gap from each 429 to the next post.
  const gaps = (pred: (r: RecordedRequest) => boolean) =>
    reqs.flatMap((r, i) => (pred(r) && reqs[i + 1] ? [reqs[i + 1]!.at - r.at] : []));
  const longGaps = gaps((r) => r.status === 429 && r.retryAfter === String(LONG_RETRY_AFTER_S));
  const dateGaps = gaps((r) => r.status === 429 && /GMT$/.test(r.retryAfter ?? ''));

  t.comment(
    `Slack outage of ${(outageMs / 1000).toFixed(0)} s with a retry schedule ${DEFAULT_BACKOFF_MAX_S / BACKOFF_MAX_S}x shorter than the default (${seen.join('; ')}), then recovered: accepted ${accepted.length}, delivered ${accepted.length - lost.length}, ` +
      `lost ${lost.length}, delivered twice ${deliveredTwice.length}, possible duplicates ${possibleDuplicates} (a never-answered post, sent again), ` +
      `dead letters ${value(m, 'tocsin_relay_dead_letters')}, refused by the relay ${refused.length}; ${pendingAtRecovery} pending at recovery, drained in ${(drainMs / 1000).toFixed(1)} s; ` +
      `ack p50 ${percentile(acks, 50).toFixed(1)} ms, p99 ${percentile(acks, 99).toFixed(1)} ms, max ${Math.max(...acks).toFixed(1)} ms; ` +
      `Retry-After ${LONG_RETRY_AFTER_S} s (cap ${MAX_RETRY_AFTER_S} s) gaps ${longGaps.map((g) => (g / 1000).toFixed(1)).join('/')} s, HTTP-date gaps ${dateGaps.map((g) => (g / 1000).toFixed(1)).join('/')} s; groups out of order ${outOfOrder.length}`,
  );
  t.ok(accepted.length >= 100, `notifications accepted through the outage (${accepted.length})`);
  t.same(refused, [], 'the relay accepted every notification while Slack was down');
  t.same(lost.map((a) => a.id), [], 'none lost');
  t.same(deliveredTwice.map((a) => a.id), [], 'none answered 200 twice');
  t.equal(value(m, 'tocsin_relay_dead_letters'), 0, 'none dead-lettered');
  t.same(outOfOrder, [], "each group's notifications arrived in the order they were accepted");
  t.ok(longGaps.length >= 1, `the long Retry-After was met (${longGaps.length} times)`);
  for (const g of longGaps) t.ok(g >= MAX_RETRY_AFTER_S * 1000 - 100 && g < MAX_RETRY_AFTER_S * 1000 + 5_000, `a ${LONG_RETRY_AFTER_S} s Retry-After waited the ${MAX_RETRY_AFTER_S} s cap (${g.toFixed(0)} ms)`);
  t.ok(dateGaps.length >= 1, `the HTTP-date Retry-After was met (${dateGaps.length} times)`);
  // An HTTP-date has whole seconds: "3 s from now" is 2 to 3 s away by the time it is read.
  for (const g of dateGaps) t.ok(g >= (HTTP_DATE_RETRY_AFTER_S - 1) * 1000 - 100, `no post before the HTTP-date (${g.toFixed(0)} ms)`);
  t.ok(value(m, 'tocsin_relay_slack_rate_limited_total', { destination: 'slack' }) >= longGaps.length + dateGaps.length, 'the 429s are counted');
  t.ok(percentile(acks, 99) < 2_000, `Alertmanager acknowledged quickly while Slack was down (p99 ${percentile(acks, 99).toFixed(1)} ms, far below its 15 s peer timeout)`);
  t.equal(relay.child.exitCode, null, 'the relay is still running');
});

