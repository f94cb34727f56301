// The status page's uptime and latency aggregation, with injected times: the window edges,
// the 7-day horizon, gaps, a clock stepped back, and the ring wrapping after a long silence.
import t from 'tap';
import { CHUNK_SIZE, HOUR_SLOTS, MAX_MESSAGE_LENGTH, MINUTE_SLOTS, StatusHistory, TargetHistory } from '../../src/probes/status/history.js';
import type { ProbeResult } from '../../src/probes/probers/prober.js';

const ok = (durationSeconds = 0.1): ProbeResult => ({ success: true, durationSeconds, phases: {} });
const fail = (message = 'connect ECONNREFUSED'): ProbeResult => ({ success: false, reason: 'connection_refused', message, durationSeconds: 0.002, phases: {} });
const HOUR = 3600;
const DAY = 24 * HOUR;
// An hour boundary, so "n hours ago" lands on bucket edges where a test wants it.
const T0 = 1_800_000_000 - (1_800_000_000 % HOUR);

/** Checks every `step` seconds from `from` (inclusive) to `to` (exclusive). */
function feed(h: TargetHistory, from: number, to: number, step: number, result: (at: number) => ProbeResult): void {
  for (let at = from; at < to; at += step) h.record(at, result(at));
}

t.test('7 days at a 10 s interval: uptime over 24 h and 7 d from buckets', async (t) => {
  const h = new TargetHistory(T0);
  const end = T0 + 7 * DAY;
  // Down for the first hour of the week and for one hour in the last day.
  const down = (at: number) => at < T0 + HOUR || (at >= end - 5 * HOUR && at < end - 4 * HOUR);
  feed(h, T0, end, 10, (at) => (down(at) ? fail() : ok()));
  const day = h.uptime(end, DAY);
  t.equal(day.checks, 8640, '24 h of 10 s checks');
  t.equal(day.ratio, 23 / 24, 'one hour down in the last 24');
  const week = h.uptime(end, 7 * DAY);
  t.equal(week.checks, 60480);
  t.equal(week.ratio, 1 - 2 / 168, 'two hours down in 168');
});

t.test('the oldest bucket counts with the share of its hour inside the window', async (t) => {
  const h = new TargetHistory(T0);
  // Hour 0 all failures, hour 1 all successes, 360 checks each.
  feed(h, T0, T0 + HOUR, 10, () => fail());
  feed(h, T0 + HOUR, T0 + 2 * HOUR, 10, () => ok());
  // At T0 + 1.5 h a one-hour window starts half way through hour 0: half its checks count.
  const u = h.uptime(T0 + 1.5 * HOUR, HOUR);
  t.equal(u.checks, 540);
  t.equal(u.ratio, 360 / 540);
  // A window that starts on the boundary counts hour 0 whole.
  t.equal(h.uptime(T0 + 2 * HOUR - 1, 2 * HOUR).ratio, 0.5);
});

t.test('checks older than the window or than 7 days do not count', async (t) => {
  const h = new TargetHistory(T0);
  feed(h, T0, T0 + HOUR, 10, () => fail());
  // 25 hours later, a day of successes.
  feed(h, T0 + 25 * HOUR, T0 + 49 * HOUR, 60, () => ok());
  t.equal(h.uptime(T0 + 49 * HOUR, DAY).ratio, 1, 'the failures 49 h ago are outside 24 h');
  t.ok(h.uptime(T0 + 49 * HOUR, 7 * DAY).ratio! < 1, 'but inside 7 d');
  // 8 days on, one more success: the failures have left the ring.
  h.record(T0 + 8 * DAY, ok());
  t.same(h.uptime(T0 + 8 * DAY, 7 * DAY).ratio, 1);
  // A window asked longer than 7 days is 7 days.
  t.equal(h.uptime(T0 + 8 * DAY, 30 * DAY).checks, h.uptime(T0 + 8 * DAY, 7 * DAY).checks);
});

t.test('a gap without checks is neither up nor down; no checks at all is null', async (t) => {
  const h = new TargetHistory(T0);
  h.record(T0, ok());
  h.record(T0 + 10, fail());
  // Asked 3 hours later: the two checks are what there is.
  t.same(h.uptime(T0 + 3 * HOUR, DAY), { ratio: 0.5, checks: 2 });
  // Asked long after: nothing left in the window.
  t.same(h.uptime(T0 + 10 * DAY, DAY), { ratio: null, checks: 0 });
});

t.test('after a silence longer than the ring, stale buckets are emptied', async (t) => {
  const h = new TargetHistory(T0);
  feed(h, T0, T0 + 2 * HOUR, 60, () => fail());
  // Exactly HOUR_SLOTS hours later the same slots come round again: they must not hold the old failures.
  const back = T0 + HOUR_SLOTS * HOUR;
  h.record(back, ok());
  h.record(back + HOUR, ok());
  t.same(h.uptime(back + HOUR, 7 * DAY), { ratio: 1, checks: 2 });
  // Same for minutes: an hour later the minute slots are reused.
  const m = h.minutes(back + HOUR);
  t.equal(m.reduce((n, p) => n + p.checks, 0), 1, 'only the check of this hour');
});

t.test('a clock stepped back counts the check in the newest bucket', async (t) => {
  const h = new TargetHistory(T0 + 2 * HOUR);
  h.record(T0 + 2 * HOUR, ok());
  h.record(T0, fail());
  t.same(h.uptime(T0 + 2 * HOUR, HOUR), { ratio: 0.5, checks: 2 });
});

t.test('latency of the last hour, one point a minute', async (t) => {
  const h = new TargetHistory(T0);
  // Minute 0: 0.1 s and 0.3 s; minute 2: a failure; nothing in minute 1.
  h.record(T0 + 1, ok(0.1));
  h.record(T0 + 31, ok(0.3));
  h.record(T0 + 121, fail());
  const points = h.minutes(T0 + 150);
  t.equal(points.length, MINUTE_SLOTS);
  const [m0, m1, m2] = points.slice(-3);
  t.equal(m0!.at, T0);
  t.equal(m0!.checks, 2);
  t.ok(Math.abs(m0!.meanSeconds! - 0.2) < 1e-6, 'mean of 0.1 and 0.3');
  t.same({ checks: m1!.checks, mean: m1!.meanSeconds }, { checks: 0, mean: null });
  t.same({ checks: m2!.checks, failures: m2!.failures, mean: m2!.meanSeconds }, { checks: 1, failures: 1, mean: null }, 'a failure is counted, not averaged');
  t.equal(points[0]!.at, T0 + 120 - (MINUTE_SLOTS - 1) * 60, 'oldest first, an hour back');
  t.equal(points[0]!.checks, 0, 'before the first check: empty');
  // An hour and a minute later, minute 0 is gone.
  t.equal(h.minutes(T0 + 61 * 60).reduce((n, p) => n + p.checks, 0), 1);
});

t.test('counters saturate instead of wrapping', async (t) => {
  const h = new TargetHistory(T0);
  for (let i = 0; i < 300; i++) h.record(T0, ok());
  t.equal(h.minutes(T0).at(-1)!.checks, 255);
  t.equal(h.uptime(T0, HOUR).checks, 300);
});

t.test('the last failure is kept, its message cut', async (t) => {
  const s = new StatusHistory();
  s.record('web', T0, fail('x'.repeat(1000)));
  s.record('web', T0 + 10, ok());
  const last = s.get('web')!.lastFailure!;
  t.equal(last.at, T0);
  t.equal(last.reason, 'connection_refused');
  t.equal(last.message.length, MAX_MESSAGE_LENGTH);
  t.equal(s.get('web')!.since, T0);
  s.record('gone', T0, ok());
  s.retain((name) => name === 'web');
  t.equal(s.size, 1);
  t.equal(s.get('gone'), undefined);
});

t.test('targets share chunks without sharing buckets; a deleted target leaves an empty slot for the next', async (t) => {
  const s = new StatusHistory();
  // 100 targets: two chunks; every other one fails.
  for (let i = 0; i < 100; i++) for (let k = 0; k < 6; k++) s.record(`t${i}`, T0 + k * 10, i % 2 === 0 ? ok(0.001 * (i + 1)) : fail());
  t.equal(s.bytes, 2 * CHUNK_SIZE * 1036, 'two chunks of 64 targets, 1,036 bytes each');
  for (let i = 0; i < 100; i++) {
    const h = s.get(`t${i}`)!;
    const u = h.uptime(T0 + 60, DAY);
    const mean = h.minutes(T0 + 60).find((p) => p.checks > 0)!.meanSeconds;
    if (i % 2 === 0) t.ok(u.ratio === 1 && u.checks === 6 && Math.abs(mean! - 0.001 * (i + 1)) < 1e-6, `t${i}: its own checks only`);
    else t.ok(u.ratio === 0 && u.checks === 6 && mean === null, `t${i}: its own failures only`);
  }
  // t0..t49 go; 50 new ones take their slots, empty.
  s.retain((name) => Number(name.slice(1)) >= 50);
  for (let i = 0; i < 50; i++) s.record(`new${i}`, T0 + 120, ok());
  t.equal(s.bytes, 2 * CHUNK_SIZE * 1036, 'no new chunk: the freed slots were reused');
  for (let i = 0; i < 50; i++) t.same(s.get(`new${i}`)!.uptime(T0 + 120, DAY), { ratio: 1, checks: 1 }, `new${i}: nothing of the old target in its slot`);
  t.same(s.get('t51')!.uptime(T0 + 120, DAY), { ratio: 0, checks: 6 }, 'the others keep theirs');
});
