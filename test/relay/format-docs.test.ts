// docs/message-example.md shows what the relay makes of two Alertmanager fixtures: the Slack
// message and the console text. This file writes it (TOCSIN_WRITE_DOCS=1 npx tap
// test/relay/format-docs.test.ts) and checks it twice: the page is the formatter's current
// output (so it cannot go stale), and what the page shows is right by expectations worked
// out here from the fixtures alone: alert names and counts, the colour for the severity,
// Seoul time of the fixtures' timestamps, button URLs built from externalURL, and Slack's
// documented size limits. A formatter bug therefore fails the second check even after the
// page is regenerated.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AlertmanagerNotification, SlackMessage } from '../../src/relay/types.js';
import { formatConsole } from '../../src/relay/slack/console.js';
import { formatNotification } from '../../src/relay/slack/format.js';
import { amFixture as fixture } from '../helpers/am-fixtures.js';

const DOC = fileURLToPath(new URL('../../docs/message-example.md', import.meta.url));
const OPTS = { timeZone: 'Asia/Seoul', now: new Date('2026-11-21T14:56:08Z'), presentation: { mention: '<!here>' } };
const SAMPLES = ['firing-grouped-critical', 'resolved-warning'];
/** The `for` annotation every shipped rule carries (its `for:` window); the captured fixtures predate it. */
const FOR = '1m';
const FOR_MS = 60_000;

/** The fixture with the `for` annotation added to every alert, as the shipped rules send it. */
function withFor(n: AlertmanagerNotification): AlertmanagerNotification {
  return { ...n, alerts: n.alerts.map((a) => ({ ...a, annotations: { ...a.annotations, for: FOR } })) };
}

type Block = Record<string, any>;

/** `YYYY-MM-DD HH:MM` in Seoul (UTC+9, no daylight saving), by plain arithmetic rather than Intl. */
function seoul(iso: string): string {
  const d = new Date(Date.parse(iso) + 9 * 3600_000);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`;
}
const EMOJI: Record<string, string> = {
  ':rotating_light:': '🚨',
  ':warning:': '⚠️',
  ':white_check_mark:': '✅',
  ':information_source:': 'ℹ️',
  ':bell:': '🔔',
};
const emoji = (s: string) => s.replace(/:[a-z_]+:/g, (m) => EMOJI[m] ?? m);
/** Roughly what Slack renders: links as [label], code spans bare, bold as **…**, entities decoded. */
const mrkdwn = (s: string) =>
  emoji(s)
    .replace(/<([^|>]+)\|([^>]+)>/g, '[$2]')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/\*([^*\n]+)\*/g, '**$1**')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

function mockup(m: SlackMessage): string {
  const a = m.attachments?.[0] as { color: string; blocks: Block[] };
  const out = [`Tocsin  APP  ${seoul(OPTS.now.toISOString()).slice(11)}`, emoji(m.text).replace('<!here>', '@here'), `(attachment bar: ${a.color})`];
  for (const b of a.blocks) {
    if (b.type === 'header') out.push(`┃ # ${emoji(b.text.text)}`);
    else if (b.type === 'context') out.push(...b.elements.map((e: Block) => `┃ (small) ${mrkdwn(e.text)}`));
    else if (b.type === 'section') out.push(...mrkdwn(b.text.text).split('\n').map((l) => `┃ ${l}`));
    else if (b.type === 'actions') out.push(`┃ ${b.elements.map((e: Block) => `[ ${e.text.text} ]`).join(' ')}`);
    out.push('┃');
  }
  out.pop();
  return out.join('\n');
}


function sample(name: string): string {
  const n = withFor(fixture(name));
  const m = formatNotification(n, OPTS);
  return [
    `## ${name}.json`,
    '',
    'How Slack shows it (bold as `**…**`, links as `[label]`, buttons as `[ label ]`):',
    '',
    '```text',
    mockup(m),
    '```',
    '',
    'The message (`formatNotification`):',
    '',
    '```json',
    JSON.stringify(m, null, 2),
    '```',
    '',
    'The same notification on the console destination (`formatConsole`):',
    '',
    '```text',
    formatConsole(n, OPTS),
    '```',
    '',
  ].join('\n');
}

function page(): string {
  return `# What a relayed alert looks like in Slack

Real output of \`src/relay/slack/format.ts\` for two of the Alertmanager 0.25 fixtures in
\`test/fixtures/alertmanager/\` (each alert given the annotation \`for: "${FOR}"\` that the shipped rules add), with \`timeZone: 'Asia/Seoul'\`, \`now: 2026-11-21T14:56:08Z\` and
\`presentation.mention: '<!here>'\`. Generated and checked by \`test/relay/format-docs.test.ts\`
(regenerate with \`TOCSIN_WRITE_DOCS=1 npx tap test/relay/format-docs.test.ts\`).

The layout: the top-level \`text\` is the one-line notification (with the route's mention for critical
alerts that fire); everything else sits in one attachment so that it gets the coloured bar (red
critical, yellow warning, blue info, grey other, green resolved): a header, a context line with the
severity and the labels every alert shares, one section per alert (summary, description, the labels
that tell it apart, when the problem began, i.e. the firing time minus the rule's \`for:\` window, with
the firing time beside it, its own links), and URL buttons for the group (runbook, dashboard,
Prometheus graph, a prefilled silence in Alertmanager). A group that mixes firing and resolved alerts
is titled like \`[FIRING 2, RESOLVED 1]\` and lists them under "Still firing (2)" and "Resolved (1)";
a group too large for one message shows its first alerts in full and ends with "…and N more".

${SAMPLES.map(sample).join('\n')}`;
}

t.test('docs/message-example.md is the formatter’s current output', async (t) => {
  const expected = page();
  if (process.env.TOCSIN_WRITE_DOCS === '1') writeFileSync(DOC, expected);
  t.equal(readFileSync(DOC, 'utf8'), expected, 'regenerate: TOCSIN_WRITE_DOCS=1 npx tap test/relay/format-docs.test.ts');
});

/** The fenced blocks of one sample's section of the page: the mockup, the JSON message, the console text. */
function documented(name: string): { message: any; console: string } {
  const doc = readFileSync(DOC, 'utf8');
  const start = doc.indexOf(`## ${name}.json`);
  if (start < 0) throw new Error(`docs/message-example.md has no section for ${name}`);
  const end = doc.indexOf('\n## ', start + 1);
  const fences = [...doc.slice(start, end < 0 ? undefined : end).matchAll(/```(\w+)\n([\s\S]*?)\n```/g)];
  const json = fences.find((f) => f[1] === 'json');
  const text = fences.filter((f) => f[1] === 'text');
  return { message: JSON.parse(json![2]!), console: text[1]![2]! };
}

const COLOURS = { critical: '#E01E5A', warning: '#ECB22E', resolved: '#2EB67D' }; // Slack's red, yellow, green
const SLACK = { headerText: 150, sectionText: 3000, blocks: 50, buttonText: 75, buttonUrl: 3000 }; // Block Kit reference

/** `{a="1", b="2"}`, Alertmanager's filter syntax, sorted by label name. */
const filterOf = (labels: Record<string, string>) =>
  `{${Object.keys(labels)
    .sort()
    .map((k) => `${k}="${labels[k]}"`)
    .join(', ')}}`;

for (const name of SAMPLES) {
  t.test(`${name}: what the page shows, against the fixture`, async (t) => {
    const n = withFor(fixture(name));
    const { message: m, console: text } = documented(name);
    const firing = n.status === 'firing';
    const severity = n.commonLabels.severity as 'critical' | 'warning';
    const count = `[${firing ? 'FIRING' : 'RESOLVED'}:${n.alerts.length}] ${n.commonLabels.alertname}`;

    t.match(m.text, count, 'the fallback text has the status, the count and the alert name');
    t.equal(m.text.startsWith('<!here> '), firing && severity === 'critical', 'the mention leads a firing critical only');
    const a = m.attachments[0];
    t.equal(a.color, firing ? COLOURS[severity] : COLOURS.resolved, `the bar is ${firing ? severity : 'resolved'}'s colour`);
    const header = a.blocks.find((b: Block) => b.type === 'header');
    t.match(header.text.text, count);
    t.match(header.text.text, n.groupLabels.instance!, 'the header names the instance');

    const context = a.blocks.find((b: Block) => b.type === 'context').elements[0].text as string;
    for (const [k, v] of Object.entries(n.commonLabels)) {
      if (k === 'alertname' || k === 'severity') continue;
      t.match(context, `\`${k}=${v}\``, `the shared label ${k} is in the context line`);
    }
    t.match(context, new RegExp(severity, 'i'), 'the context line names the severity');

    const sections = a.blocks.filter((b: Block) => b.type === 'section').map((b: Block) => b.text.text as string);
    const now = Date.parse('2026-11-21T14:56:08Z');
    for (const alert of n.alerts) {
      const section = sections.find((s: string) => s.includes(`*${alert.annotations.summary}*`));
      t.ok(section, `a section for "${alert.annotations.summary}"`);
      t.match(section, alert.annotations.description!, 'with its description');
      const fired = seoul(alert.startsAt);
      t.equal(fired, '2026-11-21 23:43', 'the fixture fired at 14:43:38 UTC, 23:43 in Seoul');
      // The problem began one `for:` window before the alert fired: 14:42:38 UTC.
      const beganMs = Date.parse(alert.startsAt) - FOR_MS;
      const since = seoul(new Date(beganMs).toISOString());
      t.equal(since, '2026-11-21 23:42', 'the problem began at 14:42:38 UTC, 23:42 in Seoul');
      const words = (secs: number) => (secs >= 60 ? `${Math.floor(secs / 60)}m ${secs % 60}s` : `${secs}s`);
      if (alert.status === 'firing') {
        const secs = Math.round((now - beganMs) / 1000);
        t.match(section, `Since ${since} Asia/Seoul (for ${words(secs)}, firing since ${fired.slice(11)})`, 'when it began, for how long, and when it fired');
        t.match(text, `since ${since} Asia/Seoul (for ${words(secs)}, firing since ${fired.slice(11)})`, 'the console shows the same times');
      } else {
        const secs = Math.round((Date.parse(alert.endsAt) - beganMs) / 1000);
        t.match(section, `${since} → ${seoul(alert.endsAt).slice(11)} Asia/Seoul, lasted ${words(secs)} (fired ${fired.slice(11)})`, 'began and ended in Seoul time, and how long it really lasted');
      }
      t.match(text, `${alert.annotations.summary}: ${alert.annotations.description}`, 'the console line of the alert');
    }

    const buttons = a.blocks.find((b: Block) => b.type === 'actions').elements as Block[];
    const runbook = n.commonAnnotations.runbook_url;
    const graph = n.alerts[0]!.generatorURL;
    t.same(
      buttons.map((b) => b.text.text),
      [...(runbook ? ['Runbook'] : []), ...(graph ? ['Graph'] : []), 'Silence'],
      'a Runbook and a Graph button only when the fixture has those URLs',
    );
    const url = (label: string) => buttons.find((b) => b.text.text === label)!.url as string;
    if (runbook) t.equal(url('Runbook'), runbook);
    if (graph) t.equal(url('Graph'), graph);
    const silence = url('Silence');
    const prefix = `${n.externalURL}/#/silences/new?filter=`;
    t.ok(silence.startsWith(prefix), `the silence button opens ${prefix}…`);
    // One alert: its own series (every label but severity); several: the group.
    const { severity: _severity, ...own } = n.alerts[0]!.labels;
    const expected = n.alerts.length === 1 ? filterOf(own) : filterOf(n.groupLabels);
    t.equal(decodeURIComponent(silence.slice(prefix.length)), expected, n.alerts.length === 1 ? "prefilled with the alert's own labels" : 'prefilled with the group labels');

    t.ok(a.blocks.length <= SLACK.blocks, `${a.blocks.length} blocks`);
    t.ok([...header.text.text].length <= SLACK.headerText, 'header within 150 characters');
    for (const s of sections) t.ok(s.length <= SLACK.sectionText, 'section within 3000 characters');
    for (const b of buttons) t.ok(b.text.text.length <= SLACK.buttonText && b.url.length <= SLACK.buttonUrl, `${b.text.text}: button within limits`);
  });
}
