// The status page's history saved to the data directory and read back: the same uptime,
// graph and last failure after the round trip; a damaged file set aside (the history starts
// empty and the exporter starts); a crash's temp file removed.
import t from 'tap';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProbeResult } from '../../src/probes/probers/prober.js';
import { StatusHistory, TARGET_BYTES } from '../../src/probes/status/history.js';
import { HISTORY_FILE, loadHistory, saveHistory } from '../../src/probes/status/persist.js';
import { capturingLogger, silentLogger } from '../helpers/collect.js';
import { tmpDir } from '../helpers/tmp.js';

const HOUR = 3600;
const T0 = 1_800_000_000 - (1_800_000_000 % HOUR);
const ok = (d: number): ProbeResult => ({ success: true, durationSeconds: d, phases: {} });
const fail: ProbeResult = { success: false, reason: 'timeout', message: 'no answer within the timeout', durationSeconds: 1, phases: {} };

function sample(): StatusHistory {
  const h = new StatusHistory();
  for (let i = 0; i < 70; i++) {
    // Two days of a check every 10 minutes for 70 targets (two chunks), target i failing every (i+2)th check.
    for (let at = T0; at < T0 + 2 * 24 * HOUR; at += 600) h.record(`target-${i}`, at, ((at - T0) / 600) % (i + 2) === 0 ? fail : ok(0.001 * (i + 1)));
  }
  return h;
}

t.test('a round trip keeps uptime, the graph and the last failure', async (t) => {
  const dir = join(tmpDir(t, 'tocsin-status-persist-'), 'probes');
  const before = sample();
  await saveHistory(before, dir);
  t.equal(readFileSync(join(dir, HISTORY_FILE)).length > 70 * TARGET_BYTES, true);
  const after = await loadHistory(dir, silentLogger);
  t.equal(after.size, 70);
  const now = T0 + 2 * 24 * HOUR;
  for (let i = 0; i < 70; i++) {
    const a = before.get(`target-${i}`)!;
    const b = after.get(`target-${i}`)!;
    t.same(
      [b.since, b.uptime(now, 24 * HOUR), b.uptime(now, 7 * 24 * HOUR), b.minutes(now - 60), b.lastFailure],
      [a.since, a.uptime(now, 24 * HOUR), a.uptime(now, 7 * 24 * HOUR), a.minutes(now - 60), a.lastFailure],
      `target-${i}`,
    );
  }
  // Counting goes on from where it was.
  after.record('target-0', now, ok(0.002));
  t.equal(after.get('target-0')!.uptime(now, 24 * HOUR).checks, before.get('target-0')!.uptime(now, 24 * HOUR).checks + 1);
});

t.test('an empty history writes nothing (no data directory for an exporter without targets)', async (t) => {
  const dir = join(tmpDir(t, 'tocsin-status-persist-'), 'probes');
  await saveHistory(new StatusHistory(), dir);
  t.notOk(existsSync(dir));
});

t.test('no file yet: empty, nothing logged', async (t) => {
  const { logger, text } = capturingLogger();
  const h = await loadHistory(tmpDir(t, 'tocsin-status-persist-'), logger);
  t.equal(h.size, 0);
  t.equal(text(), '');
});

t.test('a damaged file is set aside and the history starts empty', async (t) => {
  for (const [what, damage] of [
    ['cut short', (b: Buffer) => b.subarray(0, b.length - 100)],
    ['no header', () => Buffer.from('garbage without a newline')],
    ['a broken header', (b: Buffer) => Buffer.concat([Buffer.from('{"version":'), b.subarray(b.indexOf(0x0a))])],
  ] as const) {
    const dir = tmpDir(t, 'tocsin-status-persist-');
    await saveHistory(sample(), dir);
    const file = join(dir, HISTORY_FILE);
    writeFileSync(file, damage(readFileSync(file)));
    const { logger, text } = capturingLogger();
    const h = await loadHistory(dir, logger);
    t.equal(h.size, 0, `${what}: empty`);
    t.match(text(), /the status page history cannot be used: it starts empty/, `${what}: logged`);
    t.notOk(existsSync(file), `${what}: moved out of the way of the next save`);
    t.ok(existsSync(`${file}.unreadable`), `${what}: kept for a look`);
  }
});

t.test("a crash's temp file is removed at start", async (t) => {
  const dir = tmpDir(t, 'tocsin-status-persist-');
  await saveHistory(sample(), dir);
  writeFileSync(join(dir, `.${HISTORY_FILE}.12345.1700000000000.tmp`), 'half a file');
  const h = await loadHistory(dir, silentLogger);
  t.equal(h.size, 70);
  t.same(readdirSync(dir), [HISTORY_FILE]);
});
