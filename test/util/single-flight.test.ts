import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { SingleFlight } from '../../src/util/single-flight.js';

t.test('run: callers during a call share it; after it settles a new one starts', async (t) => {
  const flight = new SingleFlight<string, number>();
  let calls = 0;
  const fn = async () => {
    const n = ++calls;
    await sleep(20);
    return n;
  };
  const [a, b] = await Promise.all([flight.run('k', fn), flight.run('k', fn)]);
  t.equal(calls, 1);
  t.same([a, b], [1, 1]);
  t.equal(flight.has('k'), false, 'forgotten once settled');
  t.equal(await flight.run('k', fn), 2);
  t.same(await Promise.all([flight.run('x', fn), flight.run('y', fn)]), [3, 4], 'keys are independent');
});

t.test('start: refuses while a call is in flight, also after a rejection is forgotten', async (t) => {
  const flight = new SingleFlight<string, void>();
  let release!: () => void;
  const first = flight.start('k', () => new Promise<void>((r) => (release = r)));
  t.ok(first);
  t.equal(flight.start('k', async () => undefined), undefined, 'refused while running');
  release();
  await first;
  const failing = flight.start('k', () => {
    throw new Error('sync throw');
  });
  await t.rejects(failing!, /sync throw/, 'a synchronous throw is a rejection');
  t.ok(flight.start('k', async () => undefined), 'free again after the rejection');
});
