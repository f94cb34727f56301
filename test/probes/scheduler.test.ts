// The scheduler against real servers: each target on its own interval at a stable offset,
// never overlapping itself, a hanging target never delaying another, reconfigured in place.
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProbeTargetConfig } from '../../src/config/probes.js';
import { runProbe } from '../../src/probes/probers/index.js';
import type { ProbeResult } from '../../src/probes/probers/prober.js';
import { nextSlot, offsetMs, ProbeScheduler, type RunCheck } from '../../src/probes/scheduler.js';
import { HISTORY_LENGTH, TargetStatus } from '../../src/probes/state.js';
import { silentLogger } from '../helpers/collect.js';
import { captureLogger } from '../helpers/log-capture.js';
import { httpServer } from './servers.js';
import { target } from './target.js';

t.test('offsets: stable per name, spread over the interval', async (t) => {
  t.equal(offsetMs('shop', 10_000), offsetMs('shop', 10_000));
  const buckets = new Array<number>(10).fill(0);
  for (let i = 0; i < 1000; i++) buckets[Math.floor(offsetMs(`target-${i}`, 10_000) / 1000)]! += 1;
  // 100 expected per second of the interval; a hash that clumps would leave some nearly empty.
  for (const [i, n] of buckets.entries()) t.ok(n > 60 && n < 140, `second ${i} of 10 gets ${n} of 1000 targets`);
  const now = Date.now();
  const slot = nextSlot('shop', 10_000, now);
  t.ok(slot > now && slot <= now + 10_000);
  t.equal(slot % 10_000, offsetMs('shop', 10_000), 'the slot is the offset within the interval');
});

t.test('thresholds: down after failure_threshold failures, up after success_threshold successes', async (t) => {
  const s = new TargetStatus(target({ type: 'http', address: 'http://127.0.0.1/', failure_threshold: 2, success_threshold: 2 }));
  const ok: ProbeResult = { success: true, durationSeconds: 0.1, phases: {} };
  const bad: ProbeResult = { success: false, reason: 'timeout', durationSeconds: 1, phases: {} };
  t.equal(s.record(ok, 1), undefined);
  t.equal(s.record(ok, 2), 'up');
  t.equal(s.lastChange, 2);
  t.equal(s.record(bad, 3), undefined, 'one failure is not down');
  t.equal(s.record(ok, 4), undefined);
  t.equal(s.record(bad, 5), undefined);
  t.equal(s.record(bad, 6), 'down');
  t.same([s.state, s.consecutiveFailures, s.lastChange, s.lastCheck], ['down', 2, 6, 6]);
  t.equal(s.record(ok, 7), undefined);
  t.equal(s.record(ok, 8), 'up');
  t.same(s.history().map((h) => [h.at, h.success, h.reason]), [[1, true, undefined], [2, true, undefined], [3, false, 'timeout'], [4, true, undefined], [5, false, 'timeout'], [6, false, 'timeout'], [7, true, undefined], [8, true, undefined]], 'recent checks kept in order');
  for (let i = 9; i < 9 + HISTORY_LENGTH; i++) s.record(ok, i);
  const kept = s.history();
  t.equal(kept.length, HISTORY_LENGTH, 'bounded');
  t.equal(kept[0]!.at, 9, 'the oldest dropped first');
  t.equal(kept[kept.length - 1]!.at, 8 + HISTORY_LENGTH, 'the newest last');
});

t.test('a hanging target neither overlaps itself nor delays another', async (t) => {
  const port = await httpServer(t);
  const starts = new Map<string, number[]>();
  const inFlight = new Map<string, number>();
  let overlaps = 0;
  // The real probers, wrapped only to see when each check starts and whether two overlap.
  const run = async (config: ProbeTargetConfig, signal: AbortSignal) => {
    (starts.get(config.name) ?? starts.set(config.name, []).get(config.name)!).push(Date.now());
    const n = (inFlight.get(config.name) ?? 0) + 1;
    inFlight.set(config.name, n);
    if (n > 1) overlaps += 1;
    try {
      return await runProbe(config, signal);
    } finally {
      inFlight.set(config.name, (inFlight.get(config.name) ?? 1) - 1);
    }
  };
  // max_concurrent 2: even the safety bound leaves the fast target alone, as the hanging one
  // holds a single slot.
  const scheduler = new ProbeScheduler({ logger: silentLogger, maxConcurrent: 2, run });
  t.teardown(() => scheduler.close());
  scheduler.setTargets([
    target({ name: 'fast', type: 'http', address: `http://127.0.0.1:${port}/healthy`, interval: '1s', timeout: '500ms' }),
    // Each check: two attempts of 900 ms and a 300 ms pause, longer than its 1 s interval.
    target({ name: 'hang', type: 'http', address: `http://127.0.0.1:${port}/hang`, interval: '1s', timeout: '900ms', retries: 1, retry_delay: '300ms' }),
  ]);
  await sleep(5200);
  const fast = starts.get('fast') ?? [];
  t.ok(fast.length >= 4, `the fast target was checked ${fast.length} times in 5.2 s`);
  for (let i = 1; i < fast.length; i++) t.ok(fast[i]! - fast[i - 1]! > 600 && fast[i]! - fast[i - 1]! < 1600, `fast: ${fast[i]! - fast[i - 1]!} ms between checks`);
  t.equal(overlaps, 0, 'no target overlapped itself');
  const hang = scheduler.status('hang')!;
  t.same([hang.last?.reason, hang.state], ['timeout', 'down']);
  // 5 s at 2.1 s per check: 2 or 3 checks (4 attempts or 6), never one per interval.
  const hangAttempts = starts.get('hang')?.length ?? 0;
  t.ok(hangAttempts >= 2 && hangAttempts <= 6, `hang: ${hangAttempts} attempts`);
  t.equal(scheduler.status('fast')?.state, 'up');
  // The histogram's 0.5 s bucket holds every check: none started 500 ms or more after its slot.
  const lateness = scheduler.latenessHistogram.samples('late');
  const within = lateness.find((s) => s.labels.le === '0.5')!.value;
  const all = lateness.find((s) => s.metricName === 'late_count')!.value;
  t.ok(all > 0 && within === all, `checks start within 500 ms of their slot (${within} of ${all})`);
});

t.test('reconfigure: unchanged targets keep their state, changed ones start afresh, removed ones vanish', async (t) => {
  const port = await httpServer(t);
  const scheduler = new ProbeScheduler({ logger: silentLogger, maxConcurrent: 100 });
  t.teardown(() => scheduler.close());
  const a = target({ name: 'a', type: 'http', address: `http://127.0.0.1:${port}/healthy`, interval: '1s', timeout: '500ms' });
  const b = target({ name: 'b', type: 'http', address: `http://127.0.0.1:${port}/error`, interval: '1s', timeout: '500ms' });
  scheduler.setTargets([a, b]);
  await sleep(1300);
  const aStatus = scheduler.status('a');
  t.equal(aStatus?.last?.success, true);
  t.equal(scheduler.status('b')?.last?.reason, 'http_status');
  const c = target({ name: 'c', type: 'tcp', address: `127.0.0.1:${port}`, interval: '1s', timeout: '500ms' });
  const b2 = { ...b, address: `http://127.0.0.1:${port}/healthy` };
  scheduler.setTargets([a, b2, c]);
  t.equal(scheduler.status('a'), aStatus, 'a is the same target: same status');
  t.equal(scheduler.status('b')?.last, undefined, 'b changed: a fresh status');
  scheduler.setTargets([b2, c]);
  t.equal(scheduler.status('a'), undefined, 'a removed');
  await sleep(1300);
  t.equal(scheduler.status('b')?.last?.success, true);
  t.equal(scheduler.status('c')?.last?.success, true);
  t.same([...scheduler.statuses()].map((s) => s.config.name).sort(), ['b', 'c']);
});

t.test('max_concurrent: over the bound, checks wait their turn and none starves', async (t) => {
  const port = await httpServer(t);
  const scheduler = new ProbeScheduler({ logger: silentLogger, maxConcurrent: 1 });
  t.teardown(() => scheduler.close());
  const hang = (name: string) => target({ name, type: 'http', address: `http://127.0.0.1:${port}/hang`, interval: '1s', timeout: '600ms' });
  scheduler.setTargets([hang('h1'), hang('h2'), hang('h3')]);
  let maxWaiting = 0;
  let maxRunning = 0;
  for (let i = 0; i < 40; i++) {
    const load = scheduler.load();
    maxWaiting = Math.max(maxWaiting, load.waiting);
    maxRunning = Math.max(maxRunning, load.running);
    await sleep(100);
  }
  t.equal(maxRunning, 1, 'never more than the bound at once');
  t.ok(maxWaiting >= 1, `checks waited (up to ${maxWaiting})`);
  for (const name of ['h1', 'h2', 'h3']) t.equal(scheduler.status(name)?.last?.reason, 'timeout', `${name} was checked`);
  scheduler.setMaxConcurrent(10);
  await sleep(300);
  t.equal(scheduler.load().waiting, 0, 'a larger bound lets the waiting checks go');
});

t.test('watchdog: a check that never ends is given up on, and the slot goes to the next target', async (t) => {
  const port = await httpServer(t);
  const logs = captureLogger();
  // A prober fault: this one ignores its timeout and its signal and never resolves.
  const run: RunCheck = (config, signal) => (config.name === 'stuck' ? new Promise<ProbeResult>(() => undefined) : runProbe(config, signal));
  const scheduler = new ProbeScheduler({ logger: logs.logger, maxConcurrent: 1, run });
  t.teardown(() => scheduler.close());
  scheduler.setTargets([
    target({ name: 'stuck', type: 'http', address: `http://127.0.0.1:${port}/healthy`, interval: '1s', timeout: '300ms' }),
    target({ name: 'fine', type: 'http', address: `http://127.0.0.1:${port}/healthy`, interval: '1s', timeout: '300ms' }),
  ]);
  // Both due within 1 s; the stuck one is let go 1.3 s after it starts.
  const deadline = Date.now() + 6000;
  while (Date.now() < deadline && !(scheduler.status('stuck')?.last && scheduler.status('fine')?.last?.success)) await sleep(100);
  t.match(scheduler.status('stuck')?.last, { success: false, reason: 'timeout', message: /did not stop at its timeout/ });
  t.equal(scheduler.status('fine')?.last?.success, true, 'the other target was checked with the only slot');
  t.ok(logs.atLeast('error').some((l) => l.target === 'stuck' && /watchdog/.test(l.msg)), 'the fault is logged as an error');
});

t.test('a timer that fires a little early never runs a target twice in one slot', async (t) => {
  // Node's setTimeout may fire up to a millisecond before Date.now() reaches the due time; a
  // check that then ends before its slot must not be scheduled for that same slot again.
  const starts = new Map<string, number[]>();
  const run: RunCheck = async (config) => {
    (starts.get(config.name) ?? starts.set(config.name, []).get(config.name)!).push(Date.now());
    return { success: true, durationSeconds: 0, phases: {} };
  };
  const scheduler = new ProbeScheduler({ logger: silentLogger, maxConcurrent: 100, run });
  t.teardown(() => scheduler.close());
  scheduler.setTargets(Array.from({ length: 40 }, (_, i) => target({ name: `t${i}`, type: 'tcp', address: '127.0.0.1:1', interval: '1s', timeout: '500ms' })));
  await sleep(3500);
  let twice = 0;
  // A second run in the same slot follows the first within a few milliseconds; checks of two
  // slots are an interval apart, or less only by as much as the first one started late (far
  // under 900 ms, even on a loaded machine).
  for (const list of starts.values()) for (let i = 1; i < list.length; i++) if (list[i]! - list[i - 1]! < 100) twice += 1;
  const checks = [...starts.values()].reduce((n, l) => n + l.length, 0);
  t.equal(twice, 0, `no target checked twice in one slot (${checks} checks of 40 targets in 3.5 s)`);
  t.ok(checks >= 40 * 2 && checks <= 40 * 4, `at most 4 checks a target (4 slots in 3.5 s): ${checks}`);
});
