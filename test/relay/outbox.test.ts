// The outbox against real files in temporary directories: replay, torn writes, compaction, bounds.
import t from 'tap';
import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  Outbox,
  OUTBOX_FILE,
  OutboxClosedError,
  OutboxFullError,
  parseLog,
} from '../../src/relay/outbox/index.js';
import type { OutboxEntry } from '../../src/relay/types.js';
import { silentLogger } from '../helpers/collect.js';
import { ids, openBox, outboxEntry, tempDir } from '../helpers/outbox-fixtures.js';

const entry = (id: string, destination = 'ops', extra = ''): OutboxEntry => outboxEntry(id, destination, extra);

t.test('append, pending in acceptance order, done and dead marks survive a reopen', async (t) => {
  const dir = await tempDir(t);
  const box = await Outbox.open(dir, { logger: silentLogger });
  t.equal(box.depth(), 0);
  t.equal(box.oldestAcceptedAt(), undefined);
  await box.append([entry('a'), entry('b')]);
  await box.append([entry('c')]);
  await box.append([entry('d'), entry('e')]);
  t.same(ids(box.pending()), ['a', 'b', 'c', 'd', 'e']);
  t.equal(box.oldestAcceptedAt(), box.pending()[0]!.acceptedAt);
  await box.markDone(['b', 'd', 'unknown']);
  await box.markDead('c', 'clientError: HTTP 400 invalid_blocks');
  t.same(ids(box.pending()), ['a', 'e']);
  t.equal(box.depth(), 2);
  t.equal(box.deadLetters().length, 1);
  t.equal(box.deadLetters()[0]!.entry.id, 'c');
  await box.close();
  await t.rejects(box.append([entry('z')]), OutboxClosedError);

  const again = await openBox(t, dir);
  t.same(ids(again.pending()), ['a', 'e'], 'pending replayed');
  const dead = again.deadLetters();
  t.equal(dead.length, 1);
  t.equal(dead[0]!.entry.id, 'c');
  t.equal(dead[0]!.reason, 'clientError: HTTP 400 invalid_blocks');
  t.type(dead[0]!.at, 'number');
  t.equal(again.deadLetterCount(), 1);
});

t.test('an entry already pending is accepted again without a second copy', async (t) => {
  const dir = await tempDir(t);
  const box = await openBox(t, dir);
  await box.append([entry('a')]);
  await Promise.all([box.append([entry('a'), entry('b')]), box.append([entry('b')])]);
  t.same(ids(box.pending()), ['a', 'b']);
  const lines = (await readFile(join(dir, OUTBOX_FILE), 'utf8')).trim().split('\n');
  t.equal(lines.length, 2, 'one add record each');
});

t.test('a torn last line (crash mid-write) is cut off on open', async (t) => {
  const dir = await tempDir(t);
  const box = await Outbox.open(dir, { logger: silentLogger });
  await box.append([entry('a'), entry('b')]);
  await box.markDone(['a']);
  await box.close();
  const file = join(dir, OUTBOX_FILE);
  const good = (await stat(file)).size;
  // Half a record, no newline: what a crash during write(2) leaves.
  const torn = JSON.stringify({ t: 'add', entry: entry('c') });
  await appendFile(file, torn.slice(0, torn.length / 2));

  const again = await Outbox.open(dir, { logger: silentLogger });
  t.same(ids(again.pending()), ['b']);
  t.equal(again.stats().truncatedBytes, Math.floor(torn.length / 2));
  t.equal((await stat(file)).size, good, 'file truncated to the last whole record');
  await again.append([entry('d')]);
  await again.close();

  const third = await openBox(t, dir);
  t.same(ids(third.pending()), ['b', 'd'], 'records after the cut are read normally');
  t.equal(third.stats().corruptLines, 0);
});

t.test('zero-filled or garbage tail after the last record is cut; a bad line in the middle is skipped', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, OUTBOX_FILE);
  const add = (id: string) => JSON.stringify({ t: 'add', entry: entry(id) }) + '\n';
  const lineA = add('a');
  const lineB = add('b');
  await writeFile(file, lineA + '{"t":"add","entry":{"id"\n' + lineB + 'garbage\n' + '\0'.repeat(64));
  const box = await openBox(t, dir);
  t.same(ids(box.pending()), ['a', 'b'], 'b after the bad line is not lost');
  t.equal(box.stats().corruptLines, 1);
  const text = await readFile(file, 'utf8');
  t.ok(text.endsWith(lineB), 'garbage tail cut');

  const parsed = parseLog(Buffer.from(add('x') + '\n' + add('y') + add('z').slice(0, 10)));
  t.same(
    parsed.records.map((r) => (r.t === 'add' ? r.entry.id : r.t)),
    ['x', 'y'],
  );
  t.equal(parsed.goodBytes, Buffer.byteLength(add('x') + '\n' + add('y')));
});

t.test('a leftover compaction file from a crash is ignored and removed', async (t) => {
  const dir = await tempDir(t);
  const box = await Outbox.open(dir, { logger: silentLogger });
  await box.append([entry('a')]);
  await box.close();
  await writeFile(join(dir, OUTBOX_FILE + '.compact'), JSON.stringify({ t: 'add', entry: entry('ghost') }) + '\n');
  const again = await openBox(t, dir);
  t.same(ids(again.pending()), ['a']);
  await t.rejects(stat(join(dir, OUTBOX_FILE + '.compact')), { code: 'ENOENT' });
});

t.test('compaction when done records dominate keeps live entries, dead letters and order', async (t) => {
  const dir = await tempDir(t);
  const pad = 'x'.repeat(500);
  const box = await Outbox.open(dir, { logger: silentLogger, compactMinBytes: 32 * 1024 });
  const file = join(dir, OUTBOX_FILE);
  let n = 0;
  // 300 entries of ~800 bytes; keep every tenth, dead-letter one, finish the rest.
  for (let round = 0; round < 30; round++) {
    const batch = Array.from({ length: 10 }, () => entry(`e${n++}`, 'ops', pad));
    await box.append(batch);
    await box.markDone(batch.slice(1).map((e) => e.id));
  }
  await box.markDead('e10', 'authError: HTTP 403 invalid_token');
  const s = box.stats();
  t.ok(s.compactions >= 1, `compacted (${s.compactions} times)`);
  const size = (await stat(file)).size;
  t.ok(size < 30 * 1024 * 2, `file stays small: ${size} bytes`);
  t.equal(s.fileBytes, size, 'size accounting matches the file');
  const expected = Array.from({ length: 30 }, (_, i) => `e${i * 10}`).filter((id) => id !== 'e10');
  t.same(ids(box.pending()), expected);
  await box.close();

  const again = await openBox(t, dir, { compactMinBytes: 32 * 1024 });
  t.same(ids(again.pending()), expected, 'replay after compaction');
  t.same(
    again.deadLetters().map((d) => [d.entry.id, d.reason]),
    [['e10', 'authError: HTTP 403 invalid_token']],
  );
});

t.test('compaction on open when the log is mostly garbage', async (t) => {
  const dir = await tempDir(t);
  const box = await Outbox.open(dir, { logger: silentLogger, compactMinBytes: 1024 * 1024 });
  const pad = 'y'.repeat(1000);
  for (let i = 0; i < 40; i++) {
    await box.append([entry(`a${i}`, 'ops', pad)]);
    if (i !== 39) await box.markDone([`a${i}`]);
  }
  t.equal(box.stats().compactions, 0, 'below compactMinBytes');
  await box.close();
  const again = await openBox(t, dir, { compactMinBytes: 8 * 1024 });
  t.equal(again.stats().compactions, 1);
  t.same(ids(again.pending()), ['a39']);
  t.ok((await stat(join(dir, OUTBOX_FILE))).size < 2000);
});

t.test('maxBytes: appends beyond it are rejected, never dropped; space comes back when entries are done', async (t) => {
  const dir = await tempDir(t);
  const pad = 'z'.repeat(900);
  const maxBytes = 20 * 1024;
  const box = await openBox(t, dir, { maxBytes, compactMinBytes: 1024 });
  let accepted = 0;
  let rejected: unknown;
  for (let i = 0; i < 100 && !rejected; i++) {
    try {
      await box.append([entry(`f${i}`, 'ops', pad)]);
      accepted++;
    } catch (err) {
      rejected = err;
    }
  }
  t.type(rejected, OutboxFullError);
  t.equal((rejected as OutboxFullError).statusCode, 503);
  t.ok(accepted >= 15 && accepted <= 21, `accepted ${accepted} of ~1 KiB each in 20 KiB`);
  t.equal(box.depth(), accepted, 'every accepted entry is pending, the rejected one is not');
  // All-or-nothing per call.
  await t.rejects(box.append([entry('g1'), entry('g2', 'ops', pad.repeat(30))]), OutboxFullError);
  t.notOk(box.pending().some((e) => e.id === 'g1'));

  await box.markDone(box.pending().slice(0, 10).map((e) => e.id));
  for (let i = 0; i < 8; i++) await box.append([entry(`h${i}`, 'ops', pad)]);
  t.ok((await stat(join(dir, OUTBOX_FILE))).size <= maxBytes + 1024, 'the file stays near maxBytes (compacted before growing)');
  t.ok(box.stats().compactions >= 1);
});

t.test('dead letters are bounded: the oldest are forgotten, also after reopen', async (t) => {
  const dir = await tempDir(t);
  const box = await Outbox.open(dir, { logger: silentLogger, maxDeadLetters: 5 });
  await box.append(Array.from({ length: 8 }, (_, i) => entry(`d${i}`)));
  for (let i = 0; i < 8; i++) await box.markDead(`d${i}`, `clientError: ${i}`);
  t.same(box.deadLetters().map((d) => d.entry.id), ['d3', 'd4', 'd5', 'd6', 'd7']);
  t.equal(box.depth(), 0);
  await box.close();
  const again = await openBox(t, dir, { maxDeadLetters: 5 });
  t.same(again.deadLetters().map((d) => d.entry.id), ['d3', 'd4', 'd5', 'd6', 'd7']);
});

t.test('attempt marks: a reopened outbox tells which pending entries may already have been sent', async (t) => {
  const dir = await tempDir(t);
  const box = await Outbox.open(dir, { logger: silentLogger });
  await box.append([entry('a'), entry('b'), entry('c')]);
  t.notOk(box.wasAttempted('a'), 'not before a restart');
  await box.markAttempted(['a', 'c']);
  await box.markDone(['c']);
  await box.close();
  const again = await openBox(t, dir);
  t.ok(again.wasAttempted('a'));
  t.notOk(again.wasAttempted('b'));
  t.notOk(again.wasAttempted('c'), 'done entries are not pending');
});

t.test('one outbox per directory per process', async (t) => {
  const dir = await tempDir(t);
  await openBox(t, dir);
  await t.rejects(Outbox.open(dir, { logger: silentLogger }), /already open/);
});

t.test('appends and marks racing with compactions lose nothing', async (t) => {
  const dir = await tempDir(t);
  const box = await Outbox.open(dir, { logger: silentLogger, compactMinBytes: 16 * 1024 });
  const pad = 'p'.repeat(300);
  const expected = new Set<string>();
  let n = 0;
  await Promise.all(
    Array.from({ length: 20 }, async (_, worker) => {
      for (let round = 0; round < 40; round++) {
        const batch = Array.from({ length: 4 }, () => entry(`w${worker}-${n++}`, 'ops', pad));
        await box.append(batch);
        // Finish three right away, keep the last; dead-letter every 7th kept one.
        const done = box.markDone(batch.slice(0, 3).map((e) => e.id));
        const kept = batch[3]!.id;
        if (round % 7 === 0) await box.markDead(kept, 'clientError: x');
        else expected.add(kept);
        await done;
      }
    }),
  );
  t.ok(box.stats().compactions >= 2, `${box.stats().compactions} compactions`);
  t.same(new Set(ids(box.pending())), expected);
  const deadBefore = box.deadLetterCount();
  await box.close();
  const again = await openBox(t, dir, { compactMinBytes: 16 * 1024 });
  t.same(new Set(ids(again.pending())), expected, 'same after reopen');
  t.equal(again.deadLetterCount(), deadBefore);
});
