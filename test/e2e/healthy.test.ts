// On a healthy machine the shipped rules raise no alert: `tocsin stack` runs unprivileged
// (as nobody, when the test is root) with the shipped rules, its own process group up, and
// every `for:` window shortened to 5 s, so that in a minute and a half every alert whose
// condition holds has fired; nothing fires and Slack gets no message. Tocsin's and
// Alertmanager's own bookkeeping (partial /proc reads as non-root, new alert groups) must not
// count as a service failing (ServiceErrorsRising).
//
// The alerts about the machine's load (CPU, memory, disks) keep their shipped windows (10
// minutes or more): they describe this shared test machine, not Tocsin, and are covered by the
// promtool tests. HostOomKillDetected is accepted only when the kernel's OOM-kill counter
// really grew meanwhile (the container tests make OOM kills).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { startStack, until } from '../helpers/stack.js';

const WATCH_SECONDS = 90;
const LOAD_ALERTS = [
  'HostCpuHigh',
  'HostMemoryHigh',
  'HostMemoryPressure',
  'HostFilesystemAlmostFull',
  'HostFilesystemFillingUp',
  'HostInodesAlmostFull',
  'HostLoadHigh',
  'ProcessGroupCpuHigh',
  'ProcessGroupMemoryHigh',
  'ContainerCpuNearLimit',
  'ContainerMemoryNearLimit',
];

t.test('a healthy machine raises no alert', async (t) => {
  const stack = await startStack(
    t,
    `    process:
      groups:
        - name: tocsin
          cmdline: ['tocsin-e2e-[^/ ]*/tocsin\\.yml']
        # Every other process, root's included: as nobody, Tocsin cannot read their
        # /proc/<pid>/io, so its partial-read counter grows with every scrape.
        - name: '{comm}'
          comm: ['.+']`,
    '5s',
    { unprivileged: true, keepWindowsOf: LOAD_ALERTS },
  );
  await until('Prometheus to scrape the exporter', 30_000, async () => (await stack.query('up{job="tocsin"} == 1')).length === 1);
  await until('the process group to be seen', 30_000, async () => Number((await stack.query('namedprocess_namegroup_num_procs{groupname="tocsin"}'))[0]?.value[1]) >= 1);
  const oomBefore = await stack.query('node_vmstat_oom_kill');
  t.pass('Prometheus scrapes Tocsin and sees its own process group');
  if (process.getuid?.() === 0) {
    const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${stack.tocsin.child.pid}/status`, 'utf8'))?.[1];
    t.equal(uid, '65534', 'Tocsin runs as nobody');
  }

  const started = Date.now();
  const firingSeen = new Set<string>();
  while (Date.now() - started < WATCH_SECONDS * 1000) {
    for (const a of await stack.query('ALERTS{alertstate="firing"}')) firingSeen.add(a.metric.alertname!);
    await new Promise((r) => setTimeout(r, 2_000));
  }
  if (process.getuid?.() === 0) {
    const partial = await stack.query('increase(tocsin_process_partial_read_errors_total[1m])');
    t.ok(Number(partial[0]?.value[1]) > 0, 'its partial-read counter grows (the bookkeeping that must not alert)');
  }
  const oomAfter = await stack.query('node_vmstat_oom_kill');
  const oomKills = Number(oomAfter[0]?.value[1] ?? 0) - Number(oomBefore[0]?.value[1] ?? 0);
  if (oomKills > 0) firingSeen.delete('HostOomKillDetected');
  const pending = (await stack.query('ALERTS{alertstate="pending"}')).map((a) => a.metric.alertname);
  t.comment(`watched ${WATCH_SECONDS} s; OOM kills on the machine meanwhile: ${oomKills}; pending at the end: ${pending.join(', ') || 'none'}`);
  t.same([...firingSeen], [], 'no alert fired');
  t.same(stack.slack.requests.length, 0, 'Slack received nothing');
});
