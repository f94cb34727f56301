// What survives a power loss: only data that was synced (and files whose directory entry was
// synced) reaches the disk. A SIGKILL keeps the page cache, so the process-level durability test
// cannot tell a skipped fdatasync; this one can: it rebuilds the outbox from what a power loss at
// an arbitrary moment would have left (test/helpers/power-loss-fs.ts) and checks that everything
// acknowledged by then is there.
import t from 'tap';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { OUTBOX_FILE, Outbox } from '../../src/relay/outbox/index.js';
import { silentLogger } from '../helpers/collect.js';
import { ids, openBox, outboxEntry, tempDir } from '../helpers/outbox-fixtures.js';
import { PowerLossFs } from '../helpers/power-loss-fs.js';

t.test('a power loss at any moment keeps every acknowledged append and mark, through compactions', async (t) => {
  const dir = await tempDir(t);
  const fs = new PowerLossFs();
  // Small compaction threshold so the run goes through several rewrite-and-rename cycles.
  const box = await Outbox.open(dir, { logger: silentLogger, fs, compactMinBytes: 16 * 1024 });
  t.teardown(() => box.close());
  const pad = 'q'.repeat(200);
  const acked = new Set<string>();
  const doneAcked = new Set<string>();
  // A done mark issued and not yet acknowledged may or may not have reached the disk.
  const doneIssued = new Set<string>();
  const images: { dir: string; acked: Set<string>; done: Set<string>; doneIssued: Set<string> }[] = [];
  let n = 0;
  await Promise.all(
    Array.from({ length: 12 }, async (_, worker) => {
      for (let round = 0; round < 25; round++) {
        const batch = [outboxEntry(`p${worker}-${n++}`, 'ops', pad), outboxEntry(`p${worker}-${n++}`, 'db', pad)];
        await box.append(batch);
        for (const e of batch) acked.add(e.id);
        doneIssued.add(batch[0]!.id);
        await box.markDone([batch[0]!.id]);
        doneAcked.add(batch[0]!.id);
        if (round % 8 === 3 && worker % 4 === 0) {
          // Power fails now: what would the disk hold? (other workers' writes are in flight)
          const image = `${dir}-image-${images.length}`;
          t.teardown(() => rm(image, { recursive: true, force: true }));
          fs.powerLoss(dir, image);
          images.push({ dir: image, acked: new Set(acked), done: new Set(doneAcked), doneIssued: new Set(doneIssued) });
        }
      }
    }),
  );
  t.ok(box.stats().compactions >= 1, `compacted ${box.stats().compactions} times during the run`);
  t.ok(images.length >= 3, `${images.length} power losses simulated`);
  for (const [i, img] of images.entries()) {
    const recovered = await openBox(t, img.dir);
    const pending = new Set(ids(recovered.pending()));
    const lost = [...img.acked].filter((id) => !img.doneIssued.has(id) && !pending.has(id));
    const revived = [...img.done].filter((id) => pending.has(id));
    t.same(lost, [], `power loss ${i}: every acknowledged, not-done append is pending after recovery`);
    t.same(revived, [], `power loss ${i}: no acknowledged done mark is lost`);
  }
});

t.test('a compaction is on the disk before the log is replaced by it', async (t) => {
  const dir = await tempDir(t);
  const pad = 'g'.repeat(1000);
  const first = await Outbox.open(dir, { logger: silentLogger });
  for (let i = 0; i < 40; i++) {
    await first.append([outboxEntry(`c${i}`, 'ops', pad)]);
    if (i % 4 !== 0) await first.markDone([`c${i}`]);
  }
  await first.markDead('c0', 'clientError: x');
  await first.close();
  // Reopening compacts (the log is mostly done records); the power fails right after.
  const fs = new PowerLossFs();
  const box = await openBox(t, dir, { fs, compactMinBytes: 8 * 1024 });
  t.equal(box.stats().compactions, 1, 'compacted on open');
  const image = `${dir}-image`;
  t.teardown(() => rm(image, { recursive: true, force: true }));
  fs.powerLoss(dir, image);
  const recovered = await openBox(t, image);
  t.same(ids(recovered.pending()), ids(box.pending()), 'the pending entries survive the power loss');
  t.same(recovered.deadLetters().map((d) => d.entry.id), ['c0'], 'and the dead letter');
});

t.test('an outbox that never synced would lose everything in a power loss (the simulation is not vacuous)', async (t) => {
  const dir = await tempDir(t);
  const fs = new PowerLossFs();
  const box = await openBox(t, dir, { fs });
  await box.append([outboxEntry('x')]);
  const image = join(dir, 'image');
  // Written to the page cache without a sync: the simulation drops it.
  const raw = await fs.open(join(dir, OUTBOX_FILE), 'a');
  const line = Buffer.from(JSON.stringify({ t: 'add', entry: outboxEntry('unsynced') }) + '\n');
  await raw.write(line, 0, line.length);
  await raw.close();
  fs.powerLoss(dir, image);
  const recovered = await openBox(t, image);
  t.same(ids(recovered.pending()), ['x'], 'the synced append survives, the unsynced write does not');
});
