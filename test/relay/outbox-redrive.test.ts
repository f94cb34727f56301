// Re-driving dead letters and purging a destination's queue, on real files: each survives a
// reopen, and a purged entry can be re-driven (nothing is lost for good).
import t from 'tap';
import { Outbox, PurgeWouldForgetError } from '../../src/relay/outbox/index.js';
import { silentLogger } from '../helpers/collect.js';
import { ids, openBox, outboxEntry as entry, tempDir } from '../helpers/outbox-fixtures.js';

const deadIds = (box: Outbox) => box.deadLetters().map((d) => d.entry.id);

t.test('one dead letter back to pending, durably; an unknown id changes nothing', async (t) => {
  const dir = await tempDir(t);
  const box = await Outbox.open(dir, { logger: silentLogger });
  await box.append([entry('a'), entry('b'), entry('c')]);
  await box.markDead('a', 'clientError: HTTP 400');
  await box.markDead('c', 'authError: HTTP 403');
  const a = await box.redriveDeadLetter('a');
  t.equal(a?.id, 'a');
  t.same(ids(box.pending()), ['b', 'a'], 'at the end of the queue');
  t.equal(box.pending()[1]!.acceptedAt, a!.acceptedAt, 'keeps its acceptedAt');
  t.same(deadIds(box), ['c']);
  t.equal(await box.redriveDeadLetter('nope'), undefined);
  await box.close();
  const again = await openBox(t, dir);
  t.same(ids(again.pending()), ['b', 'a'], 'pending after a reopen');
  t.same(deadIds(again), ['c'], 'and no longer a dead letter');
});

t.test("all of a destination's dead letters back to pending", async (t) => {
  const dir = await tempDir(t);
  const box = await Outbox.open(dir, { logger: silentLogger });
  await box.append([entry('o1', 'ops'), entry('d1', 'db'), entry('o2', 'ops')]);
  for (const id of ['o1', 'd1', 'o2']) await box.markDead(id, 'serverError: gave up');
  t.equal(await box.redriveDeadLettersFor('ops'), 2);
  t.same(ids(box.pendingFor('ops')), ['o1', 'o2']);
  t.same(deadIds(box), ['d1']);
  t.equal(await box.redriveDeadLettersFor('nobody'), 0);
  await box.close();
  const again = await openBox(t, dir);
  t.same(ids(again.pendingFor('ops')), ['o1', 'o2']);
  t.same(deadIds(again), ['d1']);
});

t.test('purge: a destination\'s pending entries become dead letters "purged", durably, and can be re-driven', async (t) => {
  const dir = await tempDir(t);
  const box = await Outbox.open(dir, { logger: silentLogger });
  await box.append([entry('o1', 'ops'), entry('d1', 'db'), entry('o2', 'ops'), entry('o3', 'ops')]);
  t.same(await box.purgePending('ops'), { purged: 3, forgotten: 0 });
  t.same(ids(box.pending()), ['d1'], 'other destinations untouched');
  t.same(box.deadLetters().map((d) => [d.entry.id, d.reason]), [['o1', 'purged'], ['o2', 'purged'], ['o3', 'purged']]);
  t.same(await box.purgePending('ops'), { purged: 0, forgotten: 0 }, 'nothing left to purge');
  await box.close();
  const again = await Outbox.open(dir, { logger: silentLogger });
  t.same(ids(again.pending()), ['d1'], 'the purge survives a reopen');
  t.equal(again.deadLetterCount(), 3);
  t.equal(await again.redriveDeadLettersFor('ops'), 3);
  t.same(ids(again.pendingFor('ops')), ['o1', 'o2', 'o3'], 'nothing purged is lost for good');
  await again.close();
  const third = await openBox(t, dir);
  t.same(ids(third.pending()), ['d1', 'o1', 'o2', 'o3']);
  t.equal(third.deadLetterCount(), 0);
});

t.test('a purge that would push older dead letters out is refused unless asked to forget them', async (t) => {
  const dir = await tempDir(t);
  const box = await openBox(t, dir, { maxDeadLetters: 5 });
  await box.append([entry('x1', 'db'), entry('x2', 'db'), entry('x3', 'db')]);
  for (const id of ['x1', 'x2', 'x3']) await box.markDead(id, 'clientError: x');
  await box.append(Array.from({ length: 4 }, (_, i) => entry(`p${i}`, 'ops')));
  await t.rejects(box.purgePending('ops'), PurgeWouldForgetError);
  t.equal(box.pendingCount('ops'), 4, 'nothing changed');
  t.same(deadIds(box), ['x1', 'x2', 'x3']);
  t.same(await box.purgePending('ops', { forgetOldest: true }), { purged: 4, forgotten: 2 });
  t.same(deadIds(box), ['x3', 'p0', 'p1', 'p2', 'p3']);
});

t.test('re-driven entries survive a compaction', async (t) => {
  const dir = await tempDir(t);
  const pad = 'r'.repeat(600);
  const box = await Outbox.open(dir, { logger: silentLogger, compactMinBytes: 8 * 1024 });
  await box.append([entry('keep', 'ops', pad)]);
  await box.markDead('keep', 'clientError: x');
  await box.redriveDeadLetter('keep');
  for (let i = 0; i < 40; i++) {
    await box.append([entry(`f${i}`, 'ops', pad)]);
    await box.markDone([`f${i}`]);
  }
  t.ok(box.stats().compactions >= 1);
  await box.close();
  const again = await openBox(t, dir);
  t.same(ids(again.pending()), ['keep']);
  t.equal(again.deadLetterCount(), 0);
});
