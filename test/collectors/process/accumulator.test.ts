import t from 'tap';
import {
  advance,
  GroupTotals,
  TEMPLATE_GROUP_MEMORY_SECONDS,
  zeroCounts,
  type Counts,
} from '../../../src/collectors/process/accumulator.js';

const counts = (over: Partial<Counts>): Counts => ({ ...zeroCounts(), ...over });

t.test('advance adds growth and moves the baseline', async (t) => {
  const total = zeroCounts();
  const last = counts({ cpuUserTicks: 100, readBytes: 10 });
  advance(last, counts({ cpuUserTicks: 150, readBytes: 30 }), total);
  t.equal(total.cpuUserTicks, 50);
  t.equal(total.readBytes, 20);
  t.equal(last.cpuUserTicks, 150);
});

t.test('a counter that went down adds nothing and becomes the baseline', async (t) => {
  const total = zeroCounts();
  const last = counts({ voluntaryCtxtSwitches: 500 });
  advance(last, counts({ voluntaryCtxtSwitches: 300 }), total); // a thread exited
  t.equal(total.voluntaryCtxtSwitches, 0);
  advance(last, counts({ voluntaryCtxtSwitches: 320 }), total);
  t.equal(total.voluntaryCtxtSwitches, 20);
});

t.test('unreadable values (NaN) add nothing; a first readable value is only a baseline', async (t) => {
  const total = zeroCounts();
  const last = counts({ readBytes: NaN, writeBytes: 100 });
  advance(last, counts({ readBytes: 4096, writeBytes: NaN }), total);
  t.equal(total.readBytes, 0, 'no baseline yet');
  t.equal(total.writeBytes, 0);
  t.equal(last.writeBytes, 100, 'old baseline kept');
  advance(last, counts({ readBytes: 8192, writeBytes: 150 }), total);
  t.equal(total.readBytes, 4096);
  t.equal(total.writeBytes, 50);
});

t.test('fixed groups are kept, idle template groups forgotten', async (t) => {
  const g = new GroupTotals(['mysqld']);
  g.active('{comm}-value', 100).cpuUserTicks = 5;
  t.equal(g.size, 2);
  g.prune(100 + TEMPLATE_GROUP_MEMORY_SECONDS);
  t.equal(g.get('{comm}-value')?.cpuUserTicks, 5, 'still remembered');
  g.prune(101 + TEMPLATE_GROUP_MEMORY_SECONDS);
  t.equal(g.get('{comm}-value'), undefined);
  t.ok(g.get('mysqld'));
});
