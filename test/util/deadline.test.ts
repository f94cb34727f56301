import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { withDeadline } from '../../src/util/deadline.js';

t.test('the value when the work wins', async (t) => {
  t.same(await withDeadline(sleep(5, 'v'), { ms: 1000 }), { done: true, value: 'v' });
});

t.test('timeout, abort, already aborted', async (t) => {
  const started = Date.now();
  t.same(await withDeadline(sleep(2000), { ms: 30 }), { done: false, reason: 'timeout' });
  t.ok(Date.now() - started < 1500, 'did not wait for the work');
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 20);
  t.same(await withDeadline(sleep(2000), { ms: 5000, signal: controller.signal }), { done: false, reason: 'aborted' });
  t.same(await withDeadline(sleep(2000), { signal: AbortSignal.abort() }), { done: false, reason: 'aborted' });
});

t.test('a rejection in time rejects; one after giving up is swallowed', async (t) => {
  await t.rejects(withDeadline(Promise.reject(new Error('boom')), { ms: 1000 }), /boom/);
  const late = sleep(50).then(() => {
    throw new Error('late');
  });
  t.same(await withDeadline(late, { ms: 10 }), { done: false, reason: 'timeout' });
  await sleep(80); // an unhandled rejection would fail the test process
});

t.test('the abort listener is removed whichever side wins', async (t) => {
  const controller = new AbortController();
  let listeners = 0;
  const add = controller.signal.addEventListener.bind(controller.signal);
  const remove = controller.signal.removeEventListener.bind(controller.signal);
  controller.signal.addEventListener = ((...args: Parameters<typeof add>) => (listeners++, add(...args))) as typeof add;
  controller.signal.removeEventListener = ((...args: Parameters<typeof remove>) => (listeners--, remove(...args))) as typeof remove;
  for (let i = 0; i < 5; i++) await withDeadline(sleep(1), { ms: 1000, signal: controller.signal });
  await withDeadline(sleep(1000), { ms: 5, signal: controller.signal });
  t.equal(listeners, 0);
});
