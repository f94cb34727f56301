// End to end through the real chain (see test/helpers/stack.ts): a process group goes down
// and comes back; the fake Slack's channels show what the on-call person would see.
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { startStack, until } from '../helpers/stack.js';

function workers(tag: string, n: number): ChildProcess[] {
  return Array.from({ length: n }, () => spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', tag], { stdio: 'ignore' }));
}

t.test('process group down fires in the critical channel and resolves, through Prometheus and Alertmanager', async (t) => {
  const tag = `tocsin-e2e-worker-${process.pid}`;
  let running = workers(tag, 3);
  const killWorkers = () => running.forEach((c) => c.kill('SIGKILL'));
  t.teardown(killWorkers);
  const stack = await startStack(
    t,
    `    process:
      groups:
        - name: e2e-worker
          cmdline: ['${tag}']`,
  );

  await until('Prometheus to see the workers', 30_000, async () => {
    const r = await stack.query('namedprocess_namegroup_num_procs{groupname="e2e-worker"}');
    return r[0] !== undefined && Number(r[0].value[1]) === 3;
  });
  t.pass('Prometheus scrapes the exporter and sees 3 workers');

  const downs = () => stack.messages('critical', 'ProcessGroupDown');
  killWorkers();
  await until('the ProcessGroupDown notification', 60_000, () => downs().length > 0);
  const firing = downs()[0]!;
  t.match(firing, /FIRING/, 'firing message');
  t.match(firing, /e2e-worker/, 'names the group');
  t.match(firing, /<!here>/, 'critical mention');
  t.match(firing, /Asia\/Seoul/, 'times in the configured zone');
  t.same(stack.messages('warning', 'ProcessGroupDown'), [], 'not in the warning channel');

  running = workers(tag, 2);
  await until('the resolved notice', 60_000, () => downs().some((m) => m.includes('RESOLVED')));
  t.equal(downs().filter((m) => m.includes('RESOLVED')).length, 1, 'one resolved notice');
  t.equal(downs().filter((m) => !m.includes('RESOLVED')).length, 1, 'the firing notification arrived once');
});
