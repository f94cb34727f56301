// docs/message-example.md is generated from real output by this test, and the test fails when the
// page no longer matches the formatter. To regenerate it:
//   TOCSIN_WRITE_DOCS=1 npx tap test/relay/format-docs.test.ts
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AlertmanagerNotification, SlackMessage } from '../../src/relay/types.js';
import { formatConsole, formatNotification } from '../../src/relay/slack/format.js';
import { checkSlackLimits } from '../../src/relay/slack/limits.js';
import { amFixture as fixture } from '../helpers/am-fixtures.js';

const DOC = fileURLToPath(new URL('../../docs/message-example.md', import.meta.url));
const OPTS = { timeZone: 'Asia/Seoul', now: new Date('2026-11-21T14:56:08Z'), presentation: { mention: '<!here>' } };
const SAMPLES = ['firing-grouped-critical', 'resolved-warning'];

type Block = Record<string, any>;
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
  const out = ['Tocsin  APP  23:56', emoji(m.text).replace('<!here>', '@here'), `(attachment bar: ${a.color})`];
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
  const n = fixture(name);
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
\`test/fixtures/alertmanager/\`, with \`timeZone: 'Asia/Seoul'\`, \`now: 2026-11-21T14:56:08Z\` and
\`presentation.mention: '<!here>'\`. Generated and checked by \`test/relay/format-docs.test.ts\`
(regenerate with \`TOCSIN_WRITE_DOCS=1 npx tap test/relay/format-docs.test.ts\`).

The layout: the top-level \`text\` is the one-line notification (with the route's mention for critical
alerts that fire); everything else sits in one attachment so that it gets the coloured bar (red
critical, yellow warning, blue info, grey other, green resolved): a header, a context line with the
severity and the labels every alert shares, one section per alert (summary, description, the labels
that tell it apart, when it started, its own links), and URL buttons for the group (runbook, dashboard,
Prometheus graph, a prefilled silence in Alertmanager). A group that mixes firing and resolved alerts
is titled like \`[FIRING 2, RESOLVED 1]\` and lists them under "Still firing (2)" and "Resolved (1)";
a group too large for one message shows its first alerts in full and ends with "…and N more".

${SAMPLES.map(sample).join('\n')}`;
}

t.test('docs/message-example.md is the formatter’s real output', async (t) => {
  const expected = page();
  if (process.env.TOCSIN_WRITE_DOCS === '1') writeFileSync(DOC, expected);
  t.equal(readFileSync(DOC, 'utf8'), expected, 'regenerate: TOCSIN_WRITE_DOCS=1 npx tap test/relay/format-docs.test.ts');
  for (const name of SAMPLES) t.same(checkSlackLimits(formatNotification(fixture(name), OPTS)), [], `${name} within limits`);
});
