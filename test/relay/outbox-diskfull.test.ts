// The outbox on a full disk (an injected file-system layer that answers ENOSPC like a full disk,
// on real files): it compacts to make room, refuses appends only while nothing can be written,
// keeps delivery marks until they can be written, and logs changes of state, not every write.
import t from 'tap';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Outbox, OUTBOX_FILE, OutboxWriteError } from '../../src/relay/outbox/index.js';
import { FullDiskFs } from '../helpers/full-disk-fs.js';
import { captureLogger } from '../helpers/log-capture.js';
import { ids, openBox, outboxEntry, tempDir } from '../helpers/outbox-fixtures.js';
import { pollUntil } from '../helpers/relay-config.js';

const pad = 'd'.repeat(400);

t.test('a disk filled by the log itself: a compaction frees the space of finished entries and appends go on', async (t) => {
  const dir = await tempDir(t);
  const fs = new FullDiskFs(dir);
  fs.capacity = 64 * 1024;
  const { logger, atLeast } = captureLogger();
  // Default thresholds: compaction by size would start only at 4 MiB.
  const box = await openBox(t, dir, { fs, logger, reserveBytes: 16 * 1024 });
  for (let i = 0; i < 400; i++) {
    await box.append([outboxEntry(`e${i}`, 'ops', pad)]);
    await box.markAttempted([`e${i}`]);
    if (i % 50 !== 0) await box.markDone([`e${i}`]);
  }
  t.ok(fs.refusals > 0, `the disk was full ${fs.refusals} times`);
  t.ok(box.stats().compactions >= 1, `${box.stats().compactions} compactions made room`);
  t.same(ids(box.pending()), ['e0', 'e50', 'e100', 'e150', 'e200', 'e250', 'e300', 'e350']);
  t.equal(box.stats().unwrittenMarks, 0);
  t.ok((await stat(join(dir, OUTBOX_FILE))).size <= fs.capacity);
  t.ok((await stat(join(dir, 'outbox.reserve'))).size === 16 * 1024, 'the reserve is back for the next time');
  t.same(atLeast('warn'), [], 'nothing to warn about: the outbox made room every time');
  await box.close();
  const again = await openBox(t, dir);
  t.equal(again.depth(), 8, 'and the log holds exactly what is pending');
});

t.test('while nothing fits: appends are refused, marks are kept, one line per change of state; space returns: all written', async (t) => {
  const dir = await tempDir(t);
  const fs = new FullDiskFs(dir);
  const { logger, lines, atLeast } = captureLogger();
  const box = await Outbox.open(dir, { fs, logger, retryIntervalMs: 50 });
  const entries = Array.from({ length: 20 }, (_, i) => outboxEntry(`p${i}`, 'ops', pad));
  await box.append(entries);

  fs.fill(); // another program filled the disk
  for (let i = 0; i < 30; i++) {
    const err = await box.append([outboxEntry(`refused${i}`)]).catch((e: unknown) => e);
    t.type(err, OutboxWriteError, `append ${i} refused`);
    t.equal((err as OutboxWriteError).statusCode, 503);
  }
  // Deliveries go on meanwhile: their marks cannot be written, yet must not fail the caller.
  for (const e of entries) {
    await box.markAttempted([e.id]);
    await box.markDone([e.id]);
  }
  t.equal(box.depth(), 0);
  t.equal(box.stats().writeFailing, true);
  // Each mark is either kept for retry or made durable by a compaction (which writes what memory
  // holds: with everything done, an empty log needs no room).
  t.ok(box.stats().unwrittenMarks >= 1, `${box.stats().unwrittenMarks} marks kept in memory`);
  const whileFull = atLeast('warn');
  t.equal(whileFull.length, 1, '30 refused appends and 40 unwritten marks: one line');
  t.equal(whileFull[0]!.error, 'ENOSPC');
  t.notOk(JSON.stringify(lines).includes('"stack"'), 'no stack traces');

  fs.free();
  await pollUntil(() => box.stats().unwrittenMarks === 0, 5_000, () => JSON.stringify(box.stats()));
  await box.append([outboxEntry('after')]);
  t.equal(box.stats().writeFailing, false);
  t.equal(lines.filter((l) => l.msg === 'outbox: the log can be written again').length, 1, 'the recovery is logged, once');
  await box.close();

  const again = await openBox(t, dir);
  t.same(ids(again.pending()), ['after'], 'after a restart nothing delivered is pending again');
  t.equal(atLeast('warn').length, 1, 'still one warning line in all');
});

t.test('closing with marks that could not be written says how many notifications a restart sends again', async (t) => {
  const dir = await tempDir(t);
  const fs = new FullDiskFs(dir);
  const { logger, atLeast } = captureLogger();
  const box = await Outbox.open(dir, { fs, logger, retryIntervalMs: 50 });
  await box.append([outboxEntry('a'), outboxEntry('b'), outboxEntry('c')]);
  await box.markAttempted(['a', 'b']);
  fs.fill();
  await box.markDone(['a', 'b']);
  await box.close();
  const report = atLeast('error').find((l) => l.mayBeSentAgain !== undefined);
  t.equal(report?.mayBeSentAgain, 2, 'the two lost done marks are counted in the log');
  const again = await openBox(t, dir);
  t.same(ids(again.pending()), ['a', 'b', 'c'], 'they are pending again after the restart');
  t.ok(again.wasAttempted('a') && again.wasAttempted('b'), 'and known as possibly delivered (counted as redeliveries)');
});
