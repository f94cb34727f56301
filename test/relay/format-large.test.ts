// Issue 8 item 19: a notification with thousands of alerts must not block the event loop while it
// is formatted. Slack shows at most 50 blocks, so formatting stops at what fits, and the rest is
// counted, not rendered. The amount of work is measured by how many alerts the formatters look into
// (each alert's startsAt is read once when its details are rendered), not by the clock.
import t from 'tap';
import { formatConsole } from '../../src/relay/slack/console.js';
import { formatNotification } from '../../src/relay/slack/format.js';
import { checkSlackLimits, SLACK_LIMITS } from '../../src/relay/slack/limits.js';
import type { AlertmanagerAlert, AlertmanagerNotification, SlackMessage } from '../../src/relay/types.js';
import { amFixture as fixture } from '../helpers/am-fixtures.js';

const OPTS = { timeZone: 'UTC', now: new Date('2026-11-21T14:56:08Z') };

/** `n` alerts of the fixture's group (the first `resolved` of them resolved), counting reads of startsAt. */
function large(n: number, resolved = 0): { notification: AlertmanagerNotification; reads: () => number } {
  const base = fixture('firing-grouped-critical');
  const template = base.alerts[0]!;
  let reads = 0;
  const alerts = Array.from({ length: n }, (_, i): AlertmanagerAlert => {
    const status = i < resolved ? 'resolved' : 'firing';
    return {
      ...template,
      status,
      endsAt: status === 'resolved' ? '2026-11-21T14:50:00Z' : template.endsAt,
      labels: { ...template.labels, container: `c${i}` },
      annotations: { summary: `Container c${i} stopped`, description: `Container c${i} exited with code 137.` },
      fingerprint: i.toString(16),
      get startsAt() {
        reads++;
        return template.startsAt;
      },
    };
  });
  return { notification: { ...base, status: 'firing', alerts }, reads: () => reads };
}

function blockTexts(m: SlackMessage): string {
  return JSON.stringify(m.attachments ?? []);
}

for (const n of [2_000, 20_000]) {
  t.test(`${n} alerts: only what fits is rendered, and "…and N more" counts the rest`, async (t) => {
    const { notification, reads } = large(n, 10);
    const message = formatNotification(notification, OPTS);
    t.same(checkSlackLimits(message), [], 'Slack accepts it');
    const blocks = (message.attachments?.[0]?.blocks ?? []) as Record<string, unknown>[];
    t.ok(blocks.length <= SLACK_LIMITS.blocksPerMessage);
    const shown = new Set([...blockTexts(message).matchAll(/`container=(c\d+)`/g)].map((m) => m[1]));
    t.ok(shown.size >= 5, `${shown.size} alerts shown in full`);
    const more = /…and (\d+) more: (\d+) firing, (\d+) resolved/.exec(blockTexts(message));
    t.ok(more, 'a "…and N more" line');
    t.equal(Number(more![1]), n - shown.size, '"…and N more" counts every alert not shown');
    // Resolved alerts come last (still firing first), so all ten resolved ones are among the hidden.
    t.equal(Number(more![3]), 10, 'hidden resolved');
    t.equal(Number(more![2]), n - shown.size - 10, 'hidden firing');
    t.match(message.text, `[FIRING ${n - 10}, RESOLVED 10]`, 'the title counts them all');
    t.ok(reads() <= 2 * SLACK_LIMITS.blocksPerMessage, `details of ${reads()} alerts looked at, of ${n}`);
  });

  t.test(`${n} alerts on the console: the first ${50} listed, the rest counted`, async (t) => {
    const { notification, reads } = large(n);
    const lines = formatConsole(notification, OPTS).split('\n');
    t.equal(lines.filter((l) => l.startsWith('  - ')).length, 50);
    t.ok(lines.includes(`  …and ${n - 50} more: ${n - 50} not listed here`));
    t.ok(reads() <= 2 * 50, `details of ${reads()} alerts looked at, of ${n}`);
  });
}
