// Group commit: concurrent appends share fsyncs, and each resolves only once its batch is synced.
import t from 'tap';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Outbox, OUTBOX_FILE } from '../../src/relay/outbox/index.js';
import type { OutboxEntry } from '../../src/relay/types.js';
import { silentLogger } from '../helpers/collect.js';
import { PowerLossFs } from '../helpers/power-loss-fs.js';

// A realistic small notification (about 700 bytes as stored).
function entry(i: number): OutboxEntry {
  return {
    id: `n-${i}`,
    acceptedAt: Date.now(),
    destination: i % 2 ? 'ops' : 'db',
    presentation: { mention: '<!here>' },
    notification: {
      version: '4',
      groupKey: `{}/{severity="critical"}:{alertname="DiskFull${i}"}`,
      status: 'firing',
      receiver: 'slack-ops',
      groupLabels: { alertname: `DiskFull${i}` },
      commonLabels: { alertname: `DiskFull${i}`, severity: 'critical', instance: 'db-1:9100' },
      commonAnnotations: { summary: 'Disk almost full', description: '/var is 97% full' },
      externalURL: 'http://alertmanager:9093',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: `DiskFull${i}`, severity: 'critical', instance: 'db-1:9100', mountpoint: '/var' },
          annotations: { summary: 'Disk almost full' },
          startsAt: '2024-05-01T10:00:00Z',
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: 'http://prometheus:9090/graph?g0.expr=disk',
          fingerprint: `f${i}`,
        },
      ],
    },
  };
}

async function run(box: Outbox, total: number, concurrency: number, from = 0): Promise<number> {
  let next = from;
  const end = from + total;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < end) {
        const i = next++;
        await box.append([entry(i)]);
      }
    }),
  );
  return performance.now() - started;
}

const LOG = (dir: string) => join(dir, OUTBOX_FILE);
const holds = (data: Buffer | undefined, id: string) => (data ?? Buffer.alloc(0)).includes(`"id":"${id}"`);

t.test('many concurrent appends share far fewer fsyncs, and each resolves only once it is on the disk', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tocsin-gc-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  // The syncs are counted where they happen (the file-system layer), not by the outbox itself.
  const fs = new PowerLossFs();
  const box = await Outbox.open(dir, { logger: silentLogger, fs });
  const logSyncs = () => fs.datasyncs.filter((s) => s.file === LOG(dir)).length;

  // 2000 appends issued at once: one batch for what came in the same tick, then whatever
  // gathered during each sync. At the moment each one resolves, its record must already be in
  // what a power loss would keep.
  const notDurable: number[] = [];
  await Promise.all(
    Array.from({ length: 2000 }, (_, i) =>
      box.append([entry(i)]).then(() => {
        if (!holds(fs.durableContent(LOG(dir)), `n-${i}`)) notDurable.push(i);
      }),
    ),
  );
  t.same(notDurable, [], 'no append resolved before a datasync covering its record');
  t.equal(box.depth(), 2000);
  const shared = logSyncs();
  t.ok(shared >= 1 && shared <= 5, `2000 concurrent appends took ${shared} datasyncs of the log (at most 5)`);

  // A sequential caller pays one datasync per append: the batching is not a delay.
  const before = logSyncs();
  for (let i = 2000; i < 2010; i++) {
    await box.append([entry(i)]);
    t.ok(holds(fs.durableContent(LOG(dir)), `n-${i}`), `sequential append ${i} is on the disk when it resolves`);
  }
  t.equal(logSyncs() - before, 10);

  await box.close();
  const lines = (await readFile(LOG(dir), 'utf8')).trim().split('\n');
  t.equal(lines.length, 2010);
  const again = await Outbox.open(dir, { logger: silentLogger });
  t.teardown(() => again.close());
  t.equal(again.depth(), 2010, 'everything acknowledged is there after a reopen');
});

t.test('appends arriving while a batch syncs wait for the next batch and its own sync', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tocsin-gc-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const fs = new PowerLossFs();
  const box = await Outbox.open(dir, { logger: silentLogger, fs });
  t.teardown(() => box.close());
  // Waves of appends, each wave started while the previous one is being written: each append
  // must find its record in the synced data at the moment it resolves.
  const late: string[] = [];
  const waves: Promise<void>[] = [];
  for (let w = 0; w < 5; w++) {
    waves.push(
      ...Array.from({ length: 20 }, (_, i) => {
        const id = `n-${w * 100 + i}`;
        return box.append([entry(w * 100 + i)]).then(() => {
          if (!holds(fs.durableContent(LOG(dir)), id)) late.push(id);
        });
      }),
    );
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(waves);
  t.same(late, [], 'every append resolved after the datasync of its batch');
  const syncs = fs.datasyncs.filter((s) => s.file === LOG(dir)).length;
  t.ok(syncs < 100, `100 appends, ${syncs} datasyncs`);
});

t.test('throughput: small appends per second with fsync, by concurrency', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tocsin-gc-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const box = await Outbox.open(dir, { logger: silentLogger });
  t.teardown(() => box.close());
  const rows: string[] = [];
  let from = 0;
  let rateAt100 = 0;
  for (const [concurrency, total] of [
    [1, 300],
    [10, 3000],
    [100, 20000],
    [1000, 20000],
  ] as const) {
    const syncsBefore = box.stats().syncs;
    const ms = await run(box, total, concurrency, from);
    from += total;
    const rate = Math.round((total / ms) * 1000);
    if (concurrency === 100) rateAt100 = rate;
    rows.push(`concurrency ${concurrency}: ${total} appends in ${ms.toFixed(0)} ms = ${rate}/s, ${box.stats().syncs - syncsBefore} fsyncs`);
  }
  for (const r of rows) t.comment(r);
  // Loose floor so a slow CI disk does not fail the suite; the comment lines carry the numbers.
  t.ok(rateAt100 > 5000, `at least 5000 appends/s with 100 concurrent callers (got ${rateAt100})`);
});
