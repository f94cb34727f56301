import t from 'tap';
import type { AlertmanagerAlert, AlertmanagerNotification, SlackMessage } from '../../src/relay/types.js';
import { formatNotification, RESOLVED_COLOR, SEVERITY_COLORS, type FormatOptions } from '../../src/relay/slack/format.js';
import { checkSlackLimits, SLACK_LIMITS, TARGET_MESSAGE_BYTES } from '../../src/relay/slack/limits.js';
import { amFixture as fixture } from '../helpers/am-fixtures.js';

const NAMES = ['firing-grouped-critical', 'firing-warning', 'resolved-warning', 'firing-truncated'] as const;

/** 12m 30s after the fixtures' alerts started (14:43:38Z). */
const NOW = new Date('2026-11-21T14:56:08Z');
const OPTS: FormatOptions = { timeZone: 'Asia/Seoul', now: NOW };

type Block = Record<string, any>;
function blocksOf(m: SlackMessage): Block[] {
  return (m.attachments?.[0]?.blocks ?? []) as Block[];
}
function colorOf(m: SlackMessage): unknown {
  return m.attachments?.[0]?.color;
}
function headerText(m: SlackMessage): string {
  return blocksOf(m).find((b) => b.type === 'header')?.text.text as string;
}
/** Every mrkdwn/plain text in the message's blocks, joined. */
function allText(m: SlackMessage): string {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'text' && typeof x === 'string') out.push(x);
        else walk(x);
      }
    }
  };
  walk(m.attachments);
  return out.join('\n');
}
function buttons(m: SlackMessage): { text: string; url: string }[] {
  return blocksOf(m)
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements as Block[])
    .map((e) => ({ text: e.text.text as string, url: e.url as string }));
}
function sectionTexts(m: SlackMessage): string[] {
  return blocksOf(m)
    .filter((b) => b.type === 'section')
    .map((b) => b.text.text as string);
}

t.test('every fixture gives a valid message with a colour bar, a header and a fallback text', async (t) => {
  for (const name of NAMES) {
    const m = formatNotification(fixture(name), OPTS);
    t.same(checkSlackLimits(m), [], 'within Slack limits');
    t.equal(m.blocks, undefined, `${name}: blocks live in the attachment`);
    t.equal(m.attachments?.length, 1);
    t.match(colorOf(m), /^#[0-9A-F]{6}$/);
    t.equal(blocksOf(m)[0]?.type, 'header', `${name}: header first`);
    t.ok(m.text.length > 0 && m.text.length < 200, `${name}: short fallback text`);
    t.ok(Buffer.byteLength(JSON.stringify(m)) <= TARGET_MESSAGE_BYTES);
  }
});

t.test('firing-grouped-critical: title, colour, both alerts, labels, silence button', async (t) => {
  const n = fixture('firing-grouped-critical');
  const m = formatNotification(n, { ...OPTS, presentation: { mention: '<!here>' } });
  t.equal(colorOf(m), SEVERITY_COLORS.critical);
  t.equal(headerText(m), ':rotating_light: [FIRING:2] ContainerStopped web-1:9464');
  t.equal(m.text, '<!here> :rotating_light: [FIRING:2] ContainerStopped web-1:9464', 'critical firing starts with the mention');
  t.same(
    blocksOf(m).map((b) => b.type),
    ['header', 'context', 'section', 'section', 'actions'],
  );
  const context = blocksOf(m)[1]?.elements[0].text as string;
  t.match(context, /\*Critical\*/);
  t.match(context, '`instance=web-1:9464`', 'the common labels that matter');
  t.match(context, '`job=tocsin`');
  t.notMatch(context, 'severity=', 'severity is shown as words, not as a label');
  const [api, worker] = sectionTexts(m);
  t.match(api, '*Container api stopped*');
  t.match(api, 'Container api exited with code 137.');
  t.match(api, '`container=api`', 'the label that tells the alerts apart');
  t.match(api, 'Since 2026-11-21 23:43 Asia/Seoul (firing for 12m 30s)');
  t.match(worker, '*Container worker stopped*');
  t.match(worker, '`container=worker`');

  // Silence: the group's labels as an Alertmanager matcher list, URI-encoded.
  const [silence] = buttons(m);
  t.equal(silence?.text, 'Silence');
  const prefix = 'http://alertmanager.example:9093/#/silences/new?filter=';
  t.ok(silence?.url.startsWith(prefix));
  t.equal(decodeURIComponent(silence!.url.slice(prefix.length)), '{alertname="ContainerStopped", instance="web-1:9464"}');
  t.equal(silence!.url, prefix + '%7Balertname%3D%22ContainerStopped%22%2C%20instance%3D%22web-1%3A9464%22%7D');
  // No Graph button: generatorURL is empty in this fixture.
  t.notOk(buttons(m).some((b) => b.text === 'Graph'));
  // Each alert has its own, narrower silence link inline.
  t.match(api, /<http:\/\/alertmanager\.example:9093\/#\/silences\/new\?filter=[^|]*container%3D%22api%22[^|]*\|Silence>/);
});

t.test('firing-warning: runbook, graph and silence buttons in that order; no mention below critical', async (t) => {
  const m = formatNotification(fixture('firing-warning'), { ...OPTS, presentation: { mention: '<!here>' } });
  t.equal(colorOf(m), SEVERITY_COLORS.warning);
  t.equal(m.text, ':warning: [FIRING:1] HostHighCpuUsage web-1:9464');
  t.same(
    buttons(m).map((b) => b.text),
    ['Runbook', 'Graph', 'Silence'],
  );
  t.equal(buttons(m)[0]?.url, 'https://example.com/runbooks/HostHighCpuUsage');
  t.equal(buttons(m)[1]?.url, 'http://prometheus:9090/graph?g0.expr=foo');
  const [alert] = sectionTexts(m);
  t.match(alert, '*CPU usage above 80% on web-1*\nCPU usage is 93.4% for more than 5 minutes.');
  t.notMatch(alert, '<http', 'links already on buttons are not repeated inline');
  for (const b of blocksOf(m).filter((b) => b.type === 'actions')) {
    t.ok(b.elements.length <= 5, 'at most 5 buttons per actions block');
  }
});

t.test('resolved-warning: green, check mark, how long it lasted', async (t) => {
  const m = formatNotification(fixture('resolved-warning'), { ...OPTS, presentation: { mention: '<!here>' } });
  t.equal(colorOf(m), RESOLVED_COLOR);
  t.equal(headerText(m), ':white_check_mark: [RESOLVED:1] HostHighCpuUsage web-1:9464');
  t.equal(m.text, ':white_check_mark: [RESOLVED:1] HostHighCpuUsage web-1:9464', 'no mention on resolved');
  t.match(allText(m), '*Resolved* (was warning)');
  t.match(sectionTexts(m)[0], '2026-11-21 23:43 → 23:43 Asia/Seoul, lasted 4s');
});

t.test('resolved duration in words', async (t) => {
  const n = fixture('resolved-warning');
  const long: AlertmanagerNotification = {
    ...n,
    alerts: [{ ...n.alerts[0]!, startsAt: '2026-11-21T14:43:38Z', endsAt: '2026-11-21T14:56:08Z' }],
  };
  t.match(sectionTexts(formatNotification(long, OPTS))[0], 'lasted 12m 30s');
  const days: AlertmanagerNotification = {
    ...n,
    alerts: [{ ...n.alerts[0]!, startsAt: '2026-11-19T10:00:00Z', endsAt: '2026-11-21T14:43:38Z' }],
  };
  const text = sectionTexts(formatNotification(days, OPTS))[0];
  t.match(text, '2026-11-19 19:00 → 2026-11-21 23:43 Asia/Seoul, lasted 2d 4h', 'the end date shown when it differs');
});

t.test('firing-truncated: Alertmanager truncatedAlerts counted into "and N more"', async (t) => {
  const m = formatNotification(fixture('firing-truncated'), OPTS);
  t.equal(headerText(m), ':rotating_light: [FIRING:5] ProbeFailed', '2 listed + 3 truncated');
  const all = allText(m);
  t.match(all, '…and 3 more: 3 left out by Alertmanager (max_alerts)');
  t.match(all, 'WebSocket handshake timed out after 3s', 'the common description once');
  t.equal(all.split('WebSocket handshake timed out after 3s').length - 1, 1, 'not repeated per alert');
  t.match(all, '*Probe of ws-gateway-0 failing*');
  t.match(all, '`target=ws-gateway-1`');
  t.match(all, '<http://alertmanager.example:9093/#/alerts?filter=%7Balertname%3D%22ProbeFailed%22%7D|see all in Alertmanager>');
});

function mixed(): AlertmanagerNotification {
  const n = fixture('firing-grouped-critical');
  const [api, worker] = n.alerts as [AlertmanagerAlert, AlertmanagerAlert];
  return {
    ...n,
    status: 'firing',
    alerts: [api, { ...worker, status: 'resolved', endsAt: '2026-11-21T14:50:00Z' }],
  };
}

t.test('a group mixing firing and resolved alerts is never titled RESOLVED', async (t) => {
  const m = formatNotification(mixed(), OPTS);
  t.same(checkSlackLimits(m), [], 'within Slack limits');
  t.equal(headerText(m), ':rotating_light: [FIRING 1, RESOLVED 1] ContainerStopped web-1:9464');
  t.notMatch(m.text, /^:white_check_mark:|RESOLVED:/);
  t.equal(colorOf(m), SEVERITY_COLORS.critical, 'still red while anything fires');
  const sections = sectionTexts(m);
  const firingAt = sections.indexOf('*Still firing (1)*');
  const resolvedAt = sections.indexOf(':white_check_mark: *Resolved (1)*');
  t.ok(firingAt >= 0 && resolvedAt > firingAt, 'firing list first, then resolved');
  t.match(sections[firingAt + 1], 'Container api stopped');
  t.match(sections[resolvedAt + 1], ':white_check_mark: *Container worker stopped*');
  t.match(sections[resolvedAt + 1], 'lasted 6m 22s');

  // Reversed order in the payload: firing still listed first.
  const n = mixed();
  const reversed = formatNotification({ ...n, alerts: [...n.alerts].reverse() }, OPTS);
  const s2 = sectionTexts(reversed);
  t.ok(s2.indexOf('*Still firing (1)*') < s2.indexOf(':white_check_mark: *Resolved (1)*'));

  // Status firing but every listed alert resolved (the firing ones truncated): not RESOLVED either.
  const hidden = formatNotification({ ...n, alerts: [n.alerts[1]!], truncatedAlerts: 1 }, OPTS);
  t.notMatch(headerText(hidden), 'RESOLVED:');
  t.match(headerText(hidden), 'FIRING');
});

function manyAlerts(count: number, truncated: number, resolvedEvery = 0): AlertmanagerNotification {
  const n = fixture('firing-truncated');
  const template = n.alerts[0]!;
  const alerts: AlertmanagerAlert[] = [];
  for (let i = 0; i < count; i++) {
    const resolved = resolvedEvery > 0 && i % resolvedEvery === 0;
    alerts.push({
      ...template,
      status: resolved ? 'resolved' : 'firing',
      endsAt: resolved ? '2026-11-21T14:50:00Z' : template.endsAt,
      labels: { ...template.labels, target: `ws-gateway-${i}` },
      annotations: { ...template.annotations, summary: `Probe of ws-gateway-${i} failing` },
      generatorURL: `http://prometheus:9090/graph?g0.expr=probe_success%7Btarget%3D%22ws-gateway-${i}%22%7D+%3D%3D+0&g0.tab=1`,
      fingerprint: i.toString(16).padStart(16, '0'),
    });
  }
  return { ...n, alerts, truncatedAlerts: truncated };
}

t.test('200 alerts plus truncatedAlerts: readable, within limits, "and N more" counts the rest', async (t) => {
  const m = formatNotification(manyAlerts(200, 7), OPTS);
  t.same(checkSlackLimits(m), [], 'within Slack limits');
  t.ok(Buffer.byteLength(JSON.stringify(m)) <= TARGET_MESSAGE_BYTES);
  t.ok(blocksOf(m).length <= SLACK_LIMITS.blocksPerMessage);
  t.equal(headerText(m), ':rotating_light: [FIRING:207] ProbeFailed');
  const shown = sectionTexts(m).filter((s) => /\*Probe of ws-gateway-\d+ failing\*/.test(s)).length;
  t.ok(shown >= 10, `the first ones shown in full (${shown})`);
  t.match(sectionTexts(m)[1], '*Probe of ws-gateway-0 failing*', 'in Alertmanager order');
  const more = allText(m).match(/…and (\d+) more: (\d+) firing, 7 left out by Alertmanager/);
  t.ok(more, 'a "…and N more" line');
  t.equal(Number(more?.[1]), 200 - shown + 7);
  t.equal(Number(more?.[2]), 200 - shown);
  t.equal(buttons(m).at(-1)?.text, 'Silence', 'the buttons survive truncation');
});

t.test('many alerts of a mixed group: counts per status stay right', async (t) => {
  const m = formatNotification(manyAlerts(200, 0, 4), OPTS);
  t.same(checkSlackLimits(m), [], 'within Slack limits');
  t.equal(headerText(m), ':rotating_light: [FIRING 150, RESOLVED 50] ProbeFailed');
  const sections = sectionTexts(m);
  t.ok(sections.includes('*Still firing (150)*'));
  const shownFiring = sections.filter((s) => /^\*Probe of/.test(s)).length;
  const more = allText(m).match(/…and (\d+) more: (\d+) firing, (\d+) resolved/);
  t.ok(more);
  t.equal(Number(more?.[2]), 150 - shownFiring);
  t.equal(Number(more?.[3]), 50, 'resolved ones come after the firing ones');
});

t.test('oversized content is cut, never rejected', async (t) => {
  const n = fixture('firing-warning');
  const huge = 'x&<>'.repeat(5000);
  const a = n.alerts[0]!;
  const big: AlertmanagerNotification = {
    ...n,
    groupLabels: { ...n.groupLabels, instance: 'i'.repeat(500) },
    commonLabels: { ...n.commonLabels, instance: 'i'.repeat(500) },
    commonAnnotations: {},
    alerts: [
      {
        ...a,
        labels: { ...a.labels, instance: 'i'.repeat(500) },
        annotations: {
          summary: huge,
          description: huge,
          runbook_url: 'https://example.com/' + 'r'.repeat(3100),
          dashboard_url: 'not a url',
        },
        generatorURL: 'javascript:alert(1)',
      },
    ],
  };
  const m = formatNotification(big, { ...OPTS, presentation: { textTemplate: '{{ annotations.nothing }}' + 'y'.repeat(5000) } });
  t.same(checkSlackLimits(m), [], 'within Slack limits');
  t.ok(headerText(m).length <= 150);
  t.ok(headerText(m).endsWith('…'));
  t.same(
    buttons(m).map((b) => b.text),
    ['Silence'],
    'a runbook URL over 3000 characters, a non-URL and a javascript: URL are skipped',
  );
  t.notMatch(JSON.stringify(m), /&(?!amp;|lt;|gt;)/, 'no stray ampersand and no cut entity');

  // A thousand alerts with long descriptions and labels.
  const thousand = manyAlerts(1000, 0);
  const heavy = {
    ...thousand,
    alerts: thousand.alerts.map((x) => ({ ...x, annotations: { ...x.annotations, description: 'd'.repeat(4000) } })),
  };
  t.same(checkSlackLimits(formatNotification(heavy, OPTS)), [], 'within Slack limits');
});

t.test('label values and annotations are escaped; mentions from data are neutralised', async (t) => {
  const n = fixture('firing-warning');
  const a = n.alerts[0]!;
  const evil = '<!channel> & <b>bold</b>';
  const x: AlertmanagerNotification = {
    ...n,
    alerts: [
      { ...a, labels: { ...a.labels, job: evil }, annotations: { summary: 'Hey @here, *look* `now`', description: 'a < b && c > d <@U123>' } },
      { ...a, labels: { ...a.labels, job: 'other`tick' }, fingerprint: 'f2' },
    ],
    commonLabels: { alertname: 'HostHighCpuUsage', instance: 'web-1:9464', severity: 'warning' },
    commonAnnotations: {},
  };
  const m = formatNotification(x, { ...OPTS, presentation: { mention: '<!here>' } });
  t.same(checkSlackLimits(m), [], 'within Slack limits');
  const json = JSON.stringify(m.attachments);
  t.notMatch(json, '<!channel>', 'no live channel mention');
  t.notMatch(json, '<@U123>', 'no live user mention');
  t.notMatch(json, /@here\b/, 'no bare @here');
  const texts = sectionTexts(m).join('\n');
  t.match(texts, '`job=&lt;!channel&gt; &amp; &lt;b&gt;bold&lt;/b&gt;`');
  t.match(texts, 'a &lt; b &amp;&amp; c &gt; d &lt;@U123&gt;');
  t.match(texts, '@\u2060here');
  t.match(texts, '`job=otherˋtick`', 'a backtick cannot end the code span');
  t.notMatch(m.text, '<!here>', 'warning: no mention');
});

t.test('cutting escaped text never leaves half an entity or half a link', async (t) => {
  const n = fixture('firing-grouped-critical');
  const m = formatNotification(
    { ...n, commonLabels: { ...n.commonLabels, team: '&<>'.repeat(2000) } },
    { ...OPTS, presentation: { textTemplate: 'Team {{ labels.team }} <https://example.com/x|link>' } },
  );
  t.same(checkSlackLimits(m), []);
  const intro = sectionTexts(m)[0]!;
  t.ok(intro.length <= 2000, 'the intro is capped');
  t.ok(intro.endsWith('…'));
  t.match(intro, /^Team (&amp;|&lt;|&gt;)+…$/, 'cut between entities');
});

t.test('time zone: Asia/Seoul and UTC differ by 9 hours and name the zone', async (t) => {
  const n = fixture('firing-warning');
  const seoul = sectionTexts(formatNotification(n, { ...OPTS, timeZone: 'Asia/Seoul' }))[0];
  const utc = sectionTexts(formatNotification(n, { ...OPTS, timeZone: 'UTC' }))[0];
  t.match(seoul, 'Since 2026-11-21 23:43 Asia/Seoul');
  t.match(utc, 'Since 2026-11-21 14:43 UTC');
  const ny = sectionTexts(formatNotification(n, { ...OPTS, timeZone: 'America/New_York' }))[0];
  t.match(ny, 'Since 2026-11-21 09:43 America/New_York');
  const bad = sectionTexts(formatNotification(n, { ...OPTS, timeZone: 'Mars/Olympus' }))[0];
  t.match(bad, 'Since 2026-11-21 14:43 UTC', 'an unknown zone falls back to UTC, named');
});

t.test('route templates override the title and the intro, the alerts stay', async (t) => {
  const n = fixture('firing-grouped-critical');
  const m = formatNotification(
    { ...n, commonLabels: { ...n.commonLabels, team: '<!channel> & ops' } },
    {
      ...OPTS,
      presentation: {
        mention: '<!subteam^S123>',
        titleTemplate: '{{ status | upper }} {{ labels.alertname }} on {{ labels.instance }} ({{ count }}) {{ labels.team }}',
        textTemplate: 'Team {{ labels.team }}: {{ firing }} firing, {{ resolved }} resolved, receiver {{ receiver }}{{ nope }}',
      },
    },
  );
  t.same(checkSlackLimits(m), [], 'within Slack limits');
  t.equal(headerText(m), 'FIRING ContainerStopped on web-1:9464 (2) <!channel> & ops', 'plain_text header: not escaped, not parsed');
  t.equal(m.text, '<!subteam^S123> FIRING ContainerStopped on web-1:9464 (2) &lt;!channel&gt; &amp; ops');
  const sections = sectionTexts(m);
  t.equal(sections[0], 'Team &lt;!channel&gt; &amp; ops: 2 firing, 0 resolved, receiver relay');
  t.equal(sections.filter((s) => /Container \w+ stopped/.test(s)).length, 2, 'per-alert sections stay');

  const empty = formatNotification(n, { ...OPTS, presentation: { titleTemplate: '{{ unknown }}' } });
  t.equal(headerText(empty), ':rotating_light: [FIRING:2] ContainerStopped web-1:9464', 'an empty rendering falls back');
});

t.test('notification without alerts, labels or URLs still gives a valid message', async (t) => {
  const m = formatNotification(
    {
      version: '4',
      groupKey: '{}:{}',
      status: 'firing',
      receiver: 'relay',
      groupLabels: {},
      commonLabels: {},
      commonAnnotations: {},
      externalURL: '',
      alerts: [],
    },
    OPTS,
  );
  t.same(checkSlackLimits(m), [], 'within Slack limits');
  t.match(headerText(m), '[FIRING:0] relay');
  t.equal(buttons(m).length, 0);
});

t.test('checkSlackLimits rejects what Slack rejects', async (t) => {
  const ok = formatNotification(fixture('firing-warning'), OPTS);
  const withBlocks = (blocks: Block[]): SlackMessage => ({ text: 'x', attachments: [{ color: '#000000', blocks }] });
  const button = (text: string, url: string) => ({ type: 'button', text: { type: 'plain_text', text }, url });
  const cases: [string, SlackMessage, RegExp][] = [
    ['empty text', { text: '' }, /no_text/],
    ['not an object', null as unknown as SlackMessage, /not a JSON object/],
    ['long text', { text: 'x'.repeat(40_001) }, /40000/],
    ['header 151', withBlocks([{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }]), /limit 150/],
    ['mrkdwn header', withBlocks([{ type: 'header', text: { type: 'mrkdwn', text: 'h' } }]), /plain_text/],
    ['section 3001', withBlocks([{ type: 'section', text: { type: 'mrkdwn', text: 's'.repeat(3001) } }]), /limit 3000/],
    ['empty section', withBlocks([{ type: 'section', text: { type: 'mrkdwn', text: '' } }]), /non-empty/],
    ['51 blocks', withBlocks(Array.from({ length: 51 }, () => ({ type: 'divider' }))), /51 blocks/],
    ['26 buttons', withBlocks([{ type: 'actions', elements: Array.from({ length: 26 }, () => button('b', 'https://x.io')) }]), /1-25/],
    ['button text 76', withBlocks([{ type: 'actions', elements: [button('b'.repeat(76), 'https://x.io')] }]), /limit 75/],
    ['bad url', withBlocks([{ type: 'actions', elements: [button('b', 'not a url')] }]), /url/],
    ['long url', withBlocks([{ type: 'actions', elements: [button('b', 'https://x.io/' + 'u'.repeat(3000))] }]), /url/],
    ['unknown block', withBlocks([{ type: 'fancy' }]), /unknown block type/],
    ['bad colour', { text: 'x', attachments: [{ color: 'red', blocks: [] }] }, /color/],
    ['too much text', withBlocks(Array.from({ length: 5 }, () => ({ type: 'section', text: { type: 'mrkdwn', text: 's'.repeat(2900) } }))), /msg_blocks_too_long/],
    ['too many bytes', withBlocks(Array.from({ length: 6 }, () => ({ type: 'section', text: { type: 'mrkdwn', text: '가'.repeat(1000) } }))), /bytes/],
  ];
  for (const [name, msg, problem] of cases) {
    const problems = checkSlackLimits(msg);
    t.ok(problems.some((p) => problem.test(p)), `${name}: ${problems.join('; ')}`);
  }
  t.same(checkSlackLimits(ok), []);
});

t.test("one alert's silence button silences that alert's own series, not its group's neighbours", async (t) => {
  // ProcessGroupDown grouped by alertname and instance: the group labels alone would silence
  // every process group of the host.
  const base = fixture('firing-warning');
  const labels = { alertname: 'ProcessGroupDown', instance: 'db-1:9469', job: 'tocsin', groupname: 'mysqld', severity: 'critical' };
  const n: AlertmanagerNotification = {
    ...base,
    groupLabels: { alertname: 'ProcessGroupDown', instance: 'db-1:9469' },
    commonLabels: labels,
    alerts: [{ ...base.alerts[0]!, labels }],
  };
  const silence = buttons(formatNotification(n, OPTS)).find((b) => b.text === 'Silence');
  const filter = decodeURIComponent(silence!.url.split('filter=')[1]!);
  t.match(filter, 'groupname="mysqld"', 'narrowed to this process group');
  t.match(filter, 'job="tocsin"');
  t.notMatch(filter, 'severity', 'both severities of a two-level alert are covered');
  // Two alerts in the group: the button silences the group, each alert links its own series.
  const other = { ...labels, groupname: 'nginx-worker' };
  const two: AlertmanagerNotification = { ...n, commonLabels: { alertname: 'ProcessGroupDown', instance: 'db-1:9469', job: 'tocsin', severity: 'critical' }, alerts: [...n.alerts, { ...base.alerts[0]!, labels: other, fingerprint: 'b' }] };
  const m2 = formatNotification(two, OPTS);
  const groupFilter = decodeURIComponent(buttons(m2).find((b) => b.text === 'Silence')!.url.split('filter=')[1]!);
  t.equal(groupFilter, '{alertname="ProcessGroupDown", instance="db-1:9469"}', 'the group button silences the group');
  const inline = [...allText(m2).matchAll(/silences\/new\?filter=([^|>]+)\|Silence>/g)].map((m) => decodeURIComponent(m[1]!));
  t.equal(inline.length, 2, 'each alert has its own silence link');
  t.ok(inline.some((f) => f.includes('groupname="mysqld"')) && inline.some((f) => f.includes('groupname="nginx-worker"')), 'each narrowed to its own group');
});
