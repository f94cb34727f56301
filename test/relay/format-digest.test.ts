import t from 'tap';
import type { AlertmanagerNotification, SlackMessage } from '../../src/relay/types.js';
import { formatDigest, RESOLVED_COLOR, SEVERITY_COLORS, type FormatOptions } from '../../src/relay/slack/format.js';
import { checkSlackLimits, SLACK_LIMITS, TARGET_MESSAGE_BYTES } from '../../src/relay/slack/limits.js';
import { amFixture as fixture } from '../helpers/am-fixtures.js';

const NOW = new Date('2026-11-21T14:56:08Z');
const OPTS: FormatOptions = { timeZone: 'Asia/Seoul', now: NOW, presentation: { mention: '<!here>' } };

type Block = Record<string, any>;
const blocksOf = (m: SlackMessage) => (m.attachments?.[0]?.blocks ?? []) as Block[];
const header = (m: SlackMessage) => blocksOf(m).find((b) => b.type === 'header')?.text.text as string;
const sections = (m: SlackMessage) => blocksOf(m).filter((b) => b.type === 'section').map((b) => b.text.text as string);
const contexts = (m: SlackMessage) => blocksOf(m).filter((b) => b.type === 'context').map((b) => b.elements[0].text as string);

/** `count` notifications for `groups` distinct groups, cycling through the fixtures. */
function backlog(count: number, groups: number): AlertmanagerNotification[] {
  const base = ['firing-grouped-critical', 'firing-warning', 'resolved-warning', 'firing-truncated'].map(fixture);
  return Array.from({ length: count }, (_, i) => {
    const g = i % groups;
    const n = base[g % base.length]!;
    return {
      ...n,
      groupKey: `{}:{alertname="A${g}"}`,
      groupLabels: { ...n.groupLabels, alertname: `Alert${g}` },
      commonLabels: { ...n.commonLabels, alertname: `Alert${g}` },
    };
  });
}

t.test('fixtures merged: one line per group in its latest state, firing first', async (t) => {
  const ns = [fixture('firing-warning'), fixture('firing-grouped-critical'), fixture('firing-truncated'), fixture('resolved-warning')];
  const m = formatDigest(ns, OPTS);
  t.same(checkSlackLimits(m), []);
  t.equal(header(m), ':inbox_tray: Digest: 4 notifications while Slack was behind');
  t.equal(m.text, '<!here> Digest: 4 notifications, 2 still firing, 1 resolved', 'critical still firing: mention');
  t.equal(m.attachments?.[0]?.color, SEVERITY_COLORS.critical);
  t.match(contexts(m)[0], '3 alert groups · 2 still firing · 1 resolved');
  const [firing, resolved] = sections(m);
  t.match(firing, /^\*Still firing \(2\)\*\n:rotating_light: \*\[FIRING:2\] ContainerStopped web-1:9464\* · since 2026-11-21 23:43 Asia\/Seoul \(12m 30s\)\n:rotating_light: \*\[FIRING:5\] ProbeFailed\*/);
  t.notMatch(firing, 'HostHighCpuUsage', 'the CPU alert resolved later: only its latest state counts');
  t.match(resolved, ':white_check_mark: *Resolved (1)*\n:white_check_mark: *[RESOLVED:1] HostHighCpuUsage web-1:9464* · lasted 4s');
  t.match(resolved, '_2 updates_');
  const button = blocksOf(m).find((b) => b.type === 'actions')?.elements[0];
  t.equal(button?.url, 'http://alertmanager.example:9093/#/alerts');
});

t.test('all resolved: green, no mention', async (t) => {
  const m = formatDigest([fixture('resolved-warning')], OPTS);
  t.same(checkSlackLimits(m), []);
  t.equal(m.attachments?.[0]?.color, RESOLVED_COLOR);
  t.equal(header(m), ':inbox_tray: Digest: 1 notification while Slack was behind');
  t.notMatch(m.text, '<!here>');
});

t.test('37 notifications for 37 groups', async (t) => {
  const m = formatDigest(backlog(37, 37), OPTS);
  t.same(checkSlackLimits(m), []);
  t.equal(header(m), ':inbox_tray: Digest: 37 notifications while Slack was behind');
  const lines = sections(m).join('\n').split('\n').filter((l) => /^:(rotating_light|warning|white_check_mark): \*\[/.test(l));
  t.equal(lines.length, 37, 'every group listed');
});

t.test('a huge backlog stays within limits and counts what it leaves out', async (t) => {
  const m = formatDigest(backlog(2000, 1000), OPTS);
  t.same(checkSlackLimits(m), []);
  t.ok(Buffer.byteLength(JSON.stringify(m)) <= TARGET_MESSAGE_BYTES);
  t.ok(blocksOf(m).length <= SLACK_LIMITS.blocksPerMessage);
  t.equal(header(m), ':inbox_tray: Digest: 2000 notifications while Slack was behind');
  const listed = sections(m).join('\n').split('\n').filter((l) => /^:(rotating_light|warning|white_check_mark): \*\[/.test(l)).length;
  const more = contexts(m).join('\n').match(/…and (\d+) more groups: (\d+) firing, (\d+) resolved/);
  t.ok(more, 'an "…and N more groups" line');
  t.equal(listed + Number(more?.[1]), 1000);
  t.equal(Number(more?.[2]) + Number(more?.[3]), Number(more?.[1]));
  t.match(sections(m)[0], '*Still firing (750)*');
});

t.test('an empty digest is still a valid message', async (t) => {
  const m = formatDigest([], OPTS);
  t.same(checkSlackLimits(m), []);
  t.match(header(m), 'Digest: 0 notifications');
});
