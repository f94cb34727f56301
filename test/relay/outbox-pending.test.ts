// The outbox's per-destination view of pending entries (what the dispatcher reads on every
// wake-up) and its attempt marks (what decides whether a resend after a restart is a possible
// duplicate). Real files in temporary directories.
import t from 'tap';
import { cp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Outbox, OUTBOX_FILE, parseLog } from '../../src/relay/outbox/index.js';
import type { OutboxEntry } from '../../src/relay/types.js';
import { silentLogger } from '../helpers/collect.js';
import { ids, openBox, outboxEntry, tempDir as outboxTempDir, type Teardown } from '../helpers/outbox-fixtures.js';

const entry = (id: string, destination = 'ops', pad = ''): OutboxEntry => outboxEntry(id, destination, pad || undefined);
const tempDir = (t: Teardown) => outboxTempDir(t, 'tocsin-outbox-pending-');

/** The records of the log, by type: how many of each, and the ids in try and fail records. */
async function records(dir: string) {
  const { records } = parseLog(await readFile(join(dir, OUTBOX_FILE)));
  const count = (type: string) => records.filter((r) => r.t === type).length;
  const idsIn = (type: 'try' | 'fail') => records.flatMap((r) => (r.t === type ? r.ids : []));
  return { add: count('add'), try: count('try'), fail: count('fail'), done: count('done'), tried: idsIn('try'), failed: idsIn('fail') };
}

/** The per-destination view, as the dispatcher sees it. */
function view(box: Outbox): Record<string, string[]> {
  return Object.fromEntries(box.destinationsWithPending().map((d) => [d, ids(box.pendingFor(d))]));
}

t.test('pendingFor: a destination\'s entries in acceptance order, at most `limit` of them', async (t) => {
  const dir = await tempDir(t);
  const box = await Outbox.open(dir, { logger: silentLogger });
  t.same(box.destinationsWithPending(), []);
  t.same(box.pendingFor('ops', 5), []);
  t.equal(box.pendingCount('ops'), 0);

  const dests = ['ops', 'db', 'ops', 'web', 'ops', 'db', 'ops', 'ops'];
  await box.append(dests.slice(0, 3).map((d, i) => entry(`e${i}`, d)));
  await box.append(dests.slice(3).map((d, i) => entry(`e${i + 3}`, d)));
  t.same(view(box), { ops: ['e0', 'e2', 'e4', 'e6', 'e7'], db: ['e1', 'e5'], web: ['e3'] });
  t.same(box.destinationsWithPending(), ['ops', 'db', 'web'], 'in the order they first had something pending');
  t.same(ids(box.pendingFor('ops', 2)), ['e0', 'e2'], 'limit');
  t.same(ids(box.pendingFor('ops', 1)), ['e0']);
  t.same(box.pendingFor('ops', 0), []);
  t.same(ids(box.pendingFor('ops', 100)), ['e0', 'e2', 'e4', 'e6', 'e7'], 'a limit above the count');
  t.same(box.pendingFor('nowhere', 3), []);
  t.same([box.pendingCount('ops'), box.pendingCount('db'), box.pendingCount('web')], [5, 2, 1]);

  // Removal from the head, the middle and the tail of a destination's queue.
  await box.markDone(['e0', 'e4', 'e7']);
  t.same(view(box), { ops: ['e2', 'e6'], db: ['e1', 'e5'], web: ['e3'] });
  t.equal(box.pendingCount('ops'), 2);
  t.equal(box.oldestAcceptedAt(), box.pending()[0]!.acceptedAt);
  t.same(ids(box.pending()), ['e1', 'e2', 'e3', 'e5', 'e6'], 'pending() is still everything in acceptance order');

  // A destination whose last entry leaves is no longer listed.
  await box.markDead('e3', 'clientError: HTTP 410 channel_is_archived');
  t.same(box.destinationsWithPending(), ['ops', 'db']);
  t.same(box.pendingFor('web', 10), []);
  t.equal(box.pendingCount('web'), 0);

  // An id appended again after it was done goes to the back.
  await box.markDone(['e2']);
  await box.append([entry('e2', 'ops'), entry('e8', 'web')]);
  t.same(view(box), { ops: ['e6', 'e2'], db: ['e1', 'e5'], web: ['e8'] });
  await box.close();

  const again = await openBox(t, dir);
  t.same(view(again), { ops: ['e6', 'e2'], db: ['e1', 'e5'], web: ['e8'] }, 'the same after a replay');
  t.same(ids(again.pending()), ['e1', 'e5', 'e6', 'e2', 'e8']);
});

t.test('pendingFor and removals cost the same with a backlog of 100,000', async (t) => {
  // No timing is asserted: with a view that copied or scanned the backlog (as pending() does),
  // this drain would take ~10^10 steps and never finish; here it is ~10^5.
  const dir = await tempDir(t);
  const box = await openBox(t, dir);
  const N = 100_000;
  const all = Array.from({ length: N }, (_, i) => entry(`b${i}`, i % 10 === 0 ? 'db' : 'ops'));
  await box.append(all);
  t.equal(box.pendingCount('ops'), N - N / 10);
  const marks: Promise<void>[] = [];
  let checked = 0;
  // Drain ops from the head, the way the dispatcher does: read the next one (or a digest's worth), mark it done.
  for (let i = 0; i < N; i++) {
    if (i % 10 === 0) continue;
    const head = box.pendingFor('ops', 3);
    if (head[0]!.id !== `b${i}` || head.length !== Math.min(3, box.pendingCount('ops'))) {
      t.fail(`at ${i}: head ${ids(head).join(',')}`);
      break;
    }
    marks.push(box.markDone([head[0]!.id]));
    checked++;
  }
  await Promise.all(marks);
  t.equal(checked, N - N / 10, 'each step saw the right head');
  t.same(box.destinationsWithPending(), ['db']);
  t.equal(box.pendingCount('db'), N / 10);
  t.same(ids(box.pendingFor('db', 2)), ['b0', 'b10']);
  t.equal(box.depth(), N / 10);
});

t.test('attempt marks: an attempt Slack answered with an error is not a possible duplicate', async (t) => {
  const dir = await tempDir(t);
  const box = await Outbox.open(dir, { logger: silentLogger });
  await box.append(['refused', 'refusedThenRetried', 'cut', 'cutThenRefused', 'never'].map((id) => entry(id)));

  // One attempt, answered with an error (5xx, 429, a refused digest).
  await box.markAttempted(['refused']);
  await box.markFailed(['refused']);
  // Refused, then a second attempt whose outcome is unknown (the process dies during it).
  await box.markAttempted(['refusedThenRetried']);
  await box.markFailed(['refusedThenRetried']);
  await box.markAttempted(['refusedThenRetried']);
  // No answer (a timeout): never closed with markFailed.
  await box.markAttempted(['cut']);
  // No answer, then a retry that Slack refused: the first one may still have been posted.
  await box.markAttempted(['cutThenRefused']);
  await box.markAttempted(['cutThenRefused']);
  await box.markFailed(['cutThenRefused']);
  t.notOk(box.wasAttempted('cut'), 'wasAttempted is about earlier processes');
  await box.close();

  const log = await records(dir);
  t.same(log.tried, ['refused', 'refusedThenRetried', 'refusedThenRetried', 'cut', 'cutThenRefused'], 'one try per attempt, none repeated while open');
  t.same(log.failed, ['refused', 'refusedThenRetried'], 'fail marks only where no attempt had an unknown outcome');

  const again = await Outbox.open(dir, { logger: silentLogger });
  t.same(
    ['refused', 'refusedThenRetried', 'cut', 'cutThenRefused', 'never'].map((id) => [id, again.wasAttempted(id)]),
    [
      ['refused', false],
      ['refusedThenRetried', true],
      ['cut', true],
      ['cutThenRefused', true],
      ['never', false],
    ],
  );
  // The next process: an entry already in doubt writes nothing more, whatever its attempts do.
  const before = await records(dir);
  await again.markAttempted(['cut', 'refused']);
  await again.markFailed(['cut', 'refused']);
  const after = await records(dir);
  t.same(after.tried.slice(before.tried.length), ['refused']);
  t.same(after.failed.slice(before.failed.length), ['refused']);
  await again.close();

  const third = await openBox(t, dir);
  t.ok(third.wasAttempted('cut'), 'still in doubt after another restart');
  t.notOk(third.wasAttempted('refused'));
});

t.test('attempt marks: repeated refusals cost one try and one fail record each, never more', async (t) => {
  const dir = await tempDir(t);
  const box = await openBox(t, dir);
  await box.append([entry('a'), entry('b')]);
  for (let i = 0; i < 5; i++) {
    await box.markAttempted(['a', 'b']);
    await box.markFailed(['a', 'b']);
  }
  await box.markAttempted(['a', 'b']);
  await box.markDone(['a', 'b']);
  const log = await records(dir);
  t.same([log.try, log.fail, log.done], [6, 5, 1]);
  // Marks for unknown ids, or a fail without a try, write nothing.
  await box.markFailed(['a', 'zzz']);
  await box.markAttempted(['zzz']);
  t.same(await records(dir), log);
});

t.test('attempt marks survive compaction: open tries are kept, closed ones dropped', async (t) => {
  const dir = await tempDir(t);
  const box = await Outbox.open(dir, { logger: silentLogger });
  await box.append([entry('open'), entry('closed'), entry('inDoubt')]);
  await box.markAttempted(['open', 'closed', 'inDoubt']);
  await box.markFailed(['closed']);
  await box.markAttempted(['inDoubt']);
  await box.markFailed(['inDoubt']);
  // Garbage, so that the next open compacts.
  const pad = 'g'.repeat(1000);
  for (let i = 0; i < 20; i++) {
    await box.append([entry(`g${i}`, 'ops', pad)]);
    await box.markDone([`g${i}`]);
  }
  await box.close();
  const copy = await tempDir(t);
  await cp(dir, copy, { recursive: true });

  const compacted = await openBox(t, dir, { compactMinBytes: 8 * 1024 });
  t.equal(compacted.stats().compactions, 1);
  t.same((await records(dir)).tried, ['open', 'inDoubt'], 'the compacted log has one try record for the open ones');
  t.equal((await records(dir)).fail, 0);
  const plain = await openBox(t, copy, { compactMinBytes: 1024 * 1024 });
  t.equal(plain.stats().compactions, 0);
  for (const box of [compacted, plain]) {
    t.same(['open', 'closed', 'inDoubt'].map((id) => box.wasAttempted(id)), [true, false, true]);
  }
});
