// The wait budget of the service collectors is whole milliseconds: AbortSignal.timeout() throws
// on a fraction, which a tenth of an odd time left produced (a scrape with 1,985 ms left gave
// 1786.5 and the nginx collector reported a RangeError instead of "no answer").
import t from 'tap';
import { waitBudgetMs } from '../../../src/collectors/services/wait-budget.js';

t.test('whole milliseconds, short of the deadline, never over the timeout', async (t) => {
  const now = 1_000_000;
  for (const left of [1985, 1999, 777, 333.3, 51, 10, 0]) {
    const budget = waitBudgetMs(5000, now + left, now);
    t.ok(Number.isInteger(budget), `${left} ms left: ${budget} is whole`);
    t.ok(budget >= 0 && budget < Math.max(left, 1), `${left} ms left: ${budget} is short of the deadline`);
    t.doesNotThrow(() => AbortSignal.timeout(budget), 'AbortSignal.timeout accepts it');
  }
  t.equal(waitBudgetMs(500, now + 60_000, now), 500, 'the timeout when the deadline is far');
  t.equal(waitBudgetMs(500, undefined, now), 500, 'the timeout without a deadline');
  // A timeout of 1005ms arrives as 1.005 s * 1000 = 1004.9999…
  t.ok(Number.isInteger(waitBudgetMs(1.005 * 1000, undefined, now)), 'whole without a deadline too');
});
