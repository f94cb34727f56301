// Loading an outbox log that holds what it should not: wrong-shaped records, a torn write, garbage
// appended, a file that is unreadable as a whole. Each is skipped and reported (file, byte offset,
// why), kept verbatim in outbox.rejected-<timestamp> beside the log, and the outbox opens anyway
// with everything it can read. Real files in temporary directories.
import t from 'tap';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { nodeFs, OUTBOX_FILE, type OutboxFs } from '../../src/relay/outbox/index.js';
import { captureLogger } from '../helpers/log-capture.js';
import { ids, openBox, outboxEntry, tempDir } from '../helpers/outbox-fixtures.js';

const add = (id: string, destination = 'ops') => JSON.stringify({ t: 'add', entry: outboxEntry(id, destination) }) + '\n';

// The name the README gives the copies.
const REJECTED_PREFIX = 'outbox.rejected-';

async function rejectedCopies(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.startsWith(REJECTED_PREFIX));
}

t.test('wrong-shaped records are skipped and reported with offset and reason; a copy is kept; the rest loads', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, OUTBOX_FILE);
  const noAlerts = outboxEntry('bad-add') as unknown as { notification: Record<string, unknown> };
  delete noAlerts.notification.alerts;
  const badAdd = JSON.stringify({ t: 'add', entry: noAlerts }) + '\n';
  const nullNotification = JSON.stringify({ t: 'dead', id: 'gone', reason: 'clientError: x', at: 1, entry: { ...outboxEntry('gone'), notification: null } }) + '\n';
  const unknownType = '{"t":"zap","ids":["a"]}\n';
  const lines = [add('a'), badAdd, add('b'), nullNotification, unknownType, JSON.stringify({ t: 'done', ids: ['a'] }) + '\n', add('c')];
  await writeFile(file, lines.join(''));
  const offsetOf = (i: number) => Buffer.byteLength(lines.slice(0, i).join(''));

  const { logger, lines: logged } = captureLogger();
  const box = await openBox(t, dir, { logger });
  t.same(ids(box.pending()), ['b', 'c'], 'the good records around the bad ones are used');
  t.same(box.deadLetters(), [], 'a dead letter without a notification is not loaded');
  t.equal(box.stats().rejectedRecords, 3);

  const reports = logged.filter((l) => l.msg === 'outbox: skipped a record it cannot read');
  t.same(
    reports.map((l) => [l.file, l.offset, l.why]),
    [
      [file, offsetOf(1), 'entry.notification.alerts: expected array, received undefined'],
      [file, offsetOf(3), 'entry.notification: expected object, received null'],
      [file, offsetOf(4), 'unknown record type (field t)'],
    ],
    'one line per bad record: file, byte offset, why',
  );
  t.ok(reports.every((l) => l.level === 50), 'at error level (records in the middle of the log)');

  const copies = await rejectedCopies(dir);
  t.equal(copies.length, 1, 'one copy beside the log');
  t.equal(await readFile(join(dir, copies[0]!), 'utf8'), badAdd + nullNotification + unknownType, 'the copy holds the bad records verbatim');
  const summary = logged.find((l) => typeof l.copy === 'string');
  t.equal(summary?.copy, join(dir, copies[0]!), 'the log names the copy');

  const rewritten = await readFile(file, 'utf8');
  t.notOk(rewritten.includes('bad-add') || rewritten.includes('"zap"'), 'the log was rewritten without them');
  await box.close();
  const { logger: logger2, lines: logged2 } = captureLogger();
  const again = await openBox(t, dir, { logger: logger2 });
  t.same(ids(again.pending()), ['b', 'c']);
  t.equal(again.stats().rejectedRecords, 0, 'the next start is clean');
  t.same(logged2.filter((l) => l.level >= 40), [], 'and says nothing about it');
  t.equal((await rejectedCopies(dir)).length, 1, 'no second copy');
});

t.test('a wholly unreadable outbox is kept in a copy, not truncated away; the outbox starts empty', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, OUTBOX_FILE);
  const garbage = Buffer.concat([Buffer.from('\x00\x01binary\n'), Buffer.from([0xff, 0xfe, 0x80, 10]), Buffer.from('{"t":"add"\nno newline at the end')]);
  await writeFile(file, garbage);
  const { logger, atLeast } = captureLogger();
  const box = await openBox(t, dir, { logger });
  t.equal(box.depth(), 0);
  const copies = await rejectedCopies(dir);
  t.equal(copies.length, 1);
  t.same(await readFile(join(dir, copies[0]!)), Buffer.concat([garbage, Buffer.from('\n')]), 'every byte is in the copy');
  t.ok(atLeast('error').length >= 1, 'reported at error level, not as a warning');
  await box.append([outboxEntry('after')]);
  await box.close();
  const again = await openBox(t, dir);
  t.same(ids(again.pending()), ['after'], 'new records are read back normally');
});

t.test('a record cut mid-way at the end (a torn write) is copied, then cut off the log', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, OUTBOX_FILE);
  const torn = add('c').slice(0, 40);
  const good = add('a') + add('b');
  await writeFile(file, good + torn);
  const { logger, lines } = captureLogger();
  const box = await openBox(t, dir, { logger });
  t.same(ids(box.pending()), ['a', 'b']);
  t.equal(box.stats().truncatedBytes, 40);
  t.equal(await readFile(file, 'utf8'), good, 'the log ends with the last whole record');
  const copies = await rejectedCopies(dir);
  t.equal(await readFile(join(dir, copies[0]!), 'utf8'), torn + '\n', 'the torn bytes are in the copy');
  const report = lines.find((l) => l.msg === 'outbox: skipped a record it cannot read');
  t.equal(report?.offset, Buffer.byteLength(good));
  t.equal(report?.why, 'unterminated last line (a torn write)');
  t.equal(report?.level, 40, 'a torn tail alone is a warning (what a crash mid-write leaves)');
});

t.test('garbage appended after the last record is copied and cut; records before it are kept', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, OUTBOX_FILE);
  const tail = 'garbage line\n' + '{"t":"done","ids":[1,2]}\n' + '\0'.repeat(100) + '\n';
  const good = add('a') + add('b');
  await writeFile(file, good + tail);
  const box = await openBox(t, dir);
  t.same(ids(box.pending()), ['a', 'b']);
  t.equal(await readFile(file, 'utf8'), good);
  const copies = await rejectedCopies(dir);
  t.equal(await readFile(join(dir, copies[0]!), 'utf8'), tail);
  await box.append([outboxEntry('c')]);
  await box.close();
  const again = await openBox(t, dir);
  t.same(ids(again.pending()), ['a', 'b', 'c']);
});

t.test('log lines about skipped records are bounded', async (t) => {
  const dir = await tempDir(t);
  const bad = Array.from({ length: 500 }, (_, i) => `{"t":"add","entry":{"id":"x${i}"}}\n`).join('');
  await writeFile(join(dir, OUTBOX_FILE), add('a') + bad + add('b'));
  const { logger, atLeast } = captureLogger();
  const box = await openBox(t, dir, { logger });
  t.same(ids(box.pending()), ['a', 'b']);
  t.equal(box.stats().rejectedRecords, 500);
  const n = atLeast('warn').length;
  t.ok(n <= 15, `500 bad records, ${n} log lines`);
  const more = atLeast('warn').find((l) => l.more !== undefined);
  t.equal(more?.more, 490, 'the rest are counted in one line');
});

t.test('when the copy cannot be written, nothing is cut: the log is left for the next start', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, OUTBOX_FILE);
  const original = add('a') + 'garbage\n' + add('b') + add('c').slice(0, 30);
  await writeFile(file, original);
  const noCopies: OutboxFs = {
    ...nodeFs,
    open: (path, flags) => (path.includes(REJECTED_PREFIX) ? Promise.reject(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })) : nodeFs.open(path, flags)),
  };
  const { logger, lines } = captureLogger();
  const box = await openBox(t, dir, { logger, fs: noCopies });
  t.same(ids(box.pending()), ['a', 'b']);
  t.ok(lines.some((l) => /cannot keep a copy/.test(l.msg)), 'says that no copy could be kept');
  t.equal(await readFile(file, 'utf8'), original + '\n', 'every byte is still in the log (the torn line only got its newline)');
  await box.append([outboxEntry('d')]);
  await box.close();
  const again = await openBox(t, dir);
  t.same(ids(again.pending()), ['a', 'b', 'd'], 'the record appended after the torn line is read back');
  t.equal((await rejectedCopies(dir)).length, 1, 'the copy is kept at the next start');
});
