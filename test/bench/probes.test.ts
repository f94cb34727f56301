import t from 'tap';
import { lateness } from '../../bench/probes.js';
import { offsetMs } from '../../src/probes/scheduler.js';

t.test('lateness: arrival minus the nearest slot of its target, for t<i> paths only', async (t) => {
  const interval = 10_000;
  const base = 1_800_000_000_000; // a multiple of the interval
  const o0 = offsetMs('t0', interval);
  const o1 = offsetMs('t1', interval);
  const late = lateness({ paths: ['/t0', '/t1', '/ready', '/t0', '/t1'], at: [base + o0 + 3, base + o1 + 250, base + 5, base + interval + o0, base + 2 * interval + o1 - 1] }, interval);
  t.same(late, [-1, 0, 3, 250], 'a check 1 ms before its slot is 1 ms early, not 9,999 ms late');
});
