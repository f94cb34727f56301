// The process collector against real child processes (no mocked /proc): group membership,
// values checked against /proc read independently, counters that survive exits, template
// groups, re-matching of young processes, processes vanishing mid-read, and permission
// errors when not root.
import tap from 'tap';
const t = tap;
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import type { Collector } from '../../../src/collectors/collector.js';
import { createProcessCollector, RECHECK_YOUNGER_THAN_SECONDS } from '../../../src/collectors/process/collector.js';
import { GroupConfigError } from '../../../src/collectors/process/matcher.js';
import type { ProcessGroupConfig } from '../../../src/config/schema.js';
import { runAsNobody, repoModule } from '../../helpers/as-nobody.js';
import { collect, collectText, silentLogger } from '../../helpers/collect.js';
import { promtoolCheckMetrics } from '../../helpers/promtool.js';
import { parseExposition, select, value, type Exposition } from '../../helpers/exposition.js';
import { diskTmpDir } from '../../helpers/tmp.js';
import {
  BUSY,
  IDLE,
  IO,
  IO_READ_BYTES,
  IO_WRITE_BYTES,
  RENAMES,
  bootTime,
  prepareIo,
  procFacts,
  procIo,
  startNode,
  token,
  uptimeSeconds,
  waitUntil,
} from '../../fixtures/process/children.js';

const P = 'namedprocess_namegroup_';
const MiB = 1024 * 1024;

function processCollector(groups: ProcessGroupConfig[]): Collector {
  return createProcessCollector({ enabled: true, groups }, { logger: silentLogger, paths: { procfs: '/proc', sysfs: '/sys', rootfs: '/' } });
}

const v = (exp: Exposition, family: string, groupname: string, extra: Record<string, string> = {}) =>
  value(exp, `${P}${family}`, { groupname, ...extra });
const cpu = (exp: Exposition, groupname: string) =>
  v(exp, 'cpu_seconds_total', groupname, { mode: 'user' }) + v(exp, 'cpu_seconds_total', groupname, { mode: 'system' });
const groupsOf = (exp: Exposition) => select(exp, `${P}num_procs`).map((s) => s.labels.groupname!).sort();

async function collectOk(t: Pick<typeof tap, 'equal'>, c: Collector): Promise<Exposition> {
  const exp = await collect([c]);
  t.equal(value(exp, 'tocsin_collector_success', { collector: 'process' }), 1, 'collector succeeded');
  return exp;
}

t.test('groups, values against /proc, counters across exits', async (t) => {
  const id = token();
  const collector = processCollector([
    { name: 'idle', cmdline: [`tocsin-idle-${id}`] },
    { name: 'busy', comm: ['node'], cmdline: [`tocsin-busy-${id}`] },
    { name: 'tmpl:{comm}:{matches.kind}', cmdline: [`tocsin-(?<kind>tmpl)-${id}`] },
    // After the three above: only what they did not take lands here (first match wins).
    { name: 'catchall', cmdline: [`tocsin-[a-z]+-${id}`] },
    { name: 'never', comm: ['tocsin-never'] },
  ]);
  // Created before the children start: their whole usage counts (accumulator.ts).
  const idle = await Promise.all([startNode(t, IDLE, `tocsin-idle-${id}`), startNode(t, IDLE, `tocsin-idle-${id}`)]);
  const busy = await startNode(t, BUSY, `tocsin-busy-${id}`);
  const tmpl = await startNode(t, IDLE, `tocsin-tmpl-${id}`);
  await startNode(t, IDLE, `tocsin-other-${id}`);
  await sleep(300);

  const exp = await collectOk(t, collector);
  const facts = idle.map((c) => procFacts(c.pid));
  t.same(groupsOf(exp), ['busy', 'catchall', 'idle', 'never', 'tmpl:node:tmpl']);
  t.equal(v(exp, 'num_procs', 'idle'), 2);
  t.equal(v(exp, 'num_procs', 'busy'), 1);
  t.equal(v(exp, 'num_procs', 'tmpl:node:tmpl'), 1);
  t.equal(v(exp, 'num_procs', 'catchall'), 1);

  t.test('the idle group against /proc', async (t) => {
    const sum = (f: (x: (typeof facts)[number]) => number) => facts.reduce((a, x) => a + f(x), 0);
    const rss = v(exp, 'memory_bytes', 'idle', { memtype: 'resident' });
    t.ok(Math.abs(rss - sum((x) => x.residentBytes)) < Math.max(4 * MiB, 0.1 * rss), `resident ${rss} ~ statm ${sum((x) => x.residentBytes)}`);
    const vsz = v(exp, 'memory_bytes', 'idle', { memtype: 'virtual' });
    t.ok(Math.abs(vsz - sum((x) => x.vsize)) < 64 * MiB, `virtual ${vsz} ~ stat ${sum((x) => x.vsize)}`);
    const swapped = v(exp, 'memory_bytes', 'idle', { memtype: 'swapped' });
    t.ok(Math.abs(swapped - sum((x) => x.swappedBytes)) <= 4 * MiB, `swapped ${swapped} ~ VmSwap ${sum((x) => x.swappedBytes)}`);
    t.equal(v(exp, 'num_threads', 'idle'), sum((x) => x.numThreads));
    t.equal(v(exp, 'open_filedesc', 'idle'), sum((x) => x.fds));
    t.equal(v(exp, 'worst_fd_ratio', 'idle'), Math.max(...facts.map((x) => x.fds / x.fdLimit)));
    t.equal(v(exp, 'oldest_start_time_seconds', 'idle'), bootTime() + Math.floor(Math.min(...facts.map((x) => x.starttime)) / 100));
    const states = ['Running', 'Sleeping', 'Waiting', 'Zombie', 'Other'].map((state) => v(exp, 'states', 'idle', { state }));
    t.equal(states.reduce((a, b) => a + b), sum((x) => x.threads), 'states count threads');
    t.ok(v(exp, 'context_switches_total', 'idle', { ctxswitchtype: 'voluntary' }) > 0);
    t.ok(v(exp, 'minor_page_faults_total', 'idle') > 1000, 'a node start-up faults in thousands of pages');
  });

  t.test('a configured group with no process reports zeros', async (t) => {
    for (const family of ['num_procs', 'open_filedesc', 'worst_fd_ratio', 'oldest_start_time_seconds', 'num_threads']) {
      t.equal(v(exp, family, 'never'), 0, family);
    }
    t.equal(v(exp, 'memory_bytes', 'never', { memtype: 'resident' }), 0);
    t.equal(cpu(exp, 'never'), 0);
  });

  // The child started after the collector: its counter is all the CPU it used, which /proc
  // gives just before and just after the collection (whatever share of a CPU it got).
  const cpuSeconds = (pid: number) => (procFacts(pid).utimeTicks + procFacts(pid).stimeTicks) / 100;
  const cpu1 = cpu(exp, 'busy');
  await sleep(1000);
  const lo = cpuSeconds(busy.pid);
  const exp2 = await collectOk(t, collector);
  const hi = cpuSeconds(busy.pid);
  const cpu2 = cpu(exp2, 'busy');
  t.ok(cpu2 > cpu1, `busy cpu grew from ${cpu1} s to ${cpu2} s`);
  t.ok(cpu2 >= lo - 0.011 && cpu2 <= hi + 0.011, `busy cpu ${cpu2} s, /proc says ${lo} s then ${hi} s`);
  t.ok(cpu(exp2, 'idle') < 0.5 + cpu(exp, 'idle'), 'idle stays idle');

  await busy.kill();
  await tmpl.kill();
  const exp3 = await collectOk(t, collector);
  t.equal(v(exp3, 'num_procs', 'busy'), 0, 'a fixed group stays, empty');
  t.equal(v(exp3, 'num_threads', 'busy'), 0);
  t.equal(v(exp3, 'memory_bytes', 'busy', { memtype: 'resident' }), 0);
  t.ok(cpu(exp3, 'busy') >= cpu2, `cpu counter kept after the exit: ${cpu(exp3, 'busy')} >= ${cpu2}`);
  t.notOk(groupsOf(exp3).includes('tmpl:node:tmpl'), 'an empty template group is not reported');
  t.equal(value(exp3, 'tocsin_process_scrape_errors_total'), 0);
  t.equal(value(exp3, 'tocsin_process_read_errors_total'), 0);
});

t.test('read and written bytes and page faults of a process doing disk I/O, against /proc', async (t) => {
  const id = token();
  const collector = processCollector([{ name: 'io', cmdline: [`tocsin-io-${id}`] }]);
  const dir = diskTmpDir(t, 'tocsin-io-');
  prepareIo(dir);
  const child = await startNode(t, IO, [`tocsin-io-${id}`, dir]);
  const before = { ...procIo(child.pid), ...procFacts(child.pid) };
  const exp = await collectOk(t, collector);
  const after = { ...procIo(child.pid), ...procFacts(child.pid) };
  // Each value lies between two independent readings of /proc (an idle node process still
  // faults a page now and then), and each reading shows the workload: so a read counter fed
  // from write_bytes (or the reverse) cannot pass.
  const within = (family: string, key: keyof typeof before) => {
    const got = v(exp, family, 'io');
    t.ok(got >= before[key] && got <= after[key], `${family} ${got}: /proc says ${before[key]} then ${after[key]}`);
  };
  t.ok(before.readBytes >= IO_READ_BYTES, `the child read ${before.readBytes} bytes from the disk`);
  t.ok(before.writeBytes >= IO_WRITE_BYTES, `the child wrote ${before.writeBytes} bytes to the disk`);
  t.ok(before.writeBytes - before.readBytes > 2 * MiB, 'reads and writes differ by far more than the allowance');
  within('read_bytes_total', 'readBytes');
  within('write_bytes_total', 'writeBytes');
  t.ok(before.majorFaults >= 1, `the child faulted ${before.majorFaults} page(s) in from disk`);
  within('major_page_faults_total', 'majorFaults');
  within('minor_page_faults_total', 'minorFaults');
});

t.test('processes running before the collector existed count from its creation', async (t) => {
  const id = token();
  const busy = await startNode(t, BUSY, `tocsin-early-${id}`);
  const cpuSeconds = () => (procFacts(busy.pid).utimeTicks + procFacts(busy.pid).stimeTicks) / 100;
  await waitUntil('the child to use half a second of CPU', () => cpuSeconds() >= 0.5, 15_000);
  const atCreation = cpuSeconds();
  const collector = processCollector([{ name: 'early', cmdline: [`tocsin-early-${id}`] }]);
  const first = cpu(await collectOk(t, collector), 'early');
  t.ok(first < 0.3, `first reading ${first} s, not its ${atCreation} s so far`);
  await sleep(500);
  const second = cpu(await collectOk(t, collector), 'early');
  const used = cpuSeconds() - atCreation;
  t.ok(second > first && second <= used + 0.02, `then it grows: ${second} s, of the ${used.toFixed(2)} s used since`);
});

t.test('a young process is re-matched when it rewrites its argv; an old one is not', async (t) => {
  const id = token();
  const collector = processCollector([
    { name: 'before', cmdline: [`tocsin-before-${id}`] },
    { name: 'after', cmdline: [`tocsin-after-${id}`] },
  ]);
  const young = await startNode(t, RENAMES, `tocsin-before-${id}`);
  const old = await startNode(t, RENAMES, `tocsin-before-${id}`);
  let exp = await collectOk(t, collector);
  t.equal(v(exp, 'num_procs', 'before'), 2);

  young.process.stdin!.write('go\n');
  await young.waitFor('renamed');
  exp = await collectOk(t, collector);
  t.equal(v(exp, 'num_procs', 'before'), 1);
  t.equal(v(exp, 'num_procs', 'after'), 1, 'the young process moved');

  // Past the recheck window the group decided at first sight stays.
  const started = procFacts(old.pid).starttime / 100;
  await waitUntil('the process to age', () => uptimeSeconds() - started > RECHECK_YOUNGER_THAN_SECONDS + 0.5, 15_000);
  old.process.stdin!.write('go\n');
  await old.waitFor('renamed');
  exp = await collectOk(t, collector);
  t.equal(v(exp, 'num_procs', 'before'), 1, 'the old process keeps its group');
  t.equal(v(exp, 'num_procs', 'after'), 1);
});

t.test('processes exiting during collection are skipped, not errors', async (t) => {
  // Every process in a group, so status, io, fd, limits and task/ are read for each,
  // while a shell starts and reaps short-lived processes as fast as it can.
  const collector = processCollector([{ name: '{comm}', comm: ['.*'] }]);
  const forks = () => Number(/^processes (\d+)/m.exec(readFileSync('/proc/stat', 'utf8'))![1]);
  const churn = spawn('sh', ['-c', 'while :; do /bin/true; done'], { stdio: 'ignore' });
  t.teardown(() => churn.kill('SIGKILL'));
  const forksBefore = forks();
  const deadline = Date.now() + 2000;
  let runs = 0;
  let failed = 0;
  let exp: Exposition | undefined;
  while (Date.now() < deadline) {
    exp = await collect([collector]);
    if (value(exp, 'tocsin_collector_success', { collector: 'process' }) !== 1) failed++;
    runs++;
  }
  churn.kill('SIGKILL');
  const spawned = forks() - forksBefore;
  t.ok(runs >= 3 && spawned > 50, `${runs} collections while ${spawned} processes came and went`);
  t.equal(failed, 0, 'every collection succeeded');
  t.equal(value(exp!, 'tocsin_process_read_errors_total'), 0, 'no read errors');
});

const notRoot = process.getuid?.() !== 0 && 'needs root to run the collector as nobody against a root process';
t.test('as a user that may not read io or list fd of root processes', { skip: notRoot }, async (t) => {
  const id = token();
  await startNode(t, IDLE, `tocsin-root-${id}`);
  const imports = `
    import { createProcessCollector } from ${repoModule('src/collectors/process/collector.ts')};
    import { collectText, silentLogger } from ${repoModule('test/helpers/collect.ts')};`;
  // The token is split so that this script's own command line does not match.
  const body = `
    const c = createProcessCollector({ enabled: true, groups: [{ name: 'root', exe: ['node'], cmdline: ['tocsin-root-' + '${id}'] }] },
      { logger: silentLogger, paths: { procfs: '/proc', sysfs: '/sys', rootfs: '/' } });
    process.stdout.write(await collectText([c]));`;
  const text = await runAsNobody(imports, body, [], 20_000);
  const exp = parseExposition(text);
  t.equal(value(exp, 'tocsin_collector_success', { collector: 'process' }), 1, 'the collector does not fail');
  t.equal(v(exp, 'num_procs', 'root'), 1, 'matched, with exe falling back to argv[0]');
  t.ok(value(exp, 'tocsin_process_partial_read_errors_total') >= 1, 'the refused io read is counted');
  t.equal(value(exp, 'tocsin_process_read_errors_total'), 0);
  t.equal(v(exp, 'read_bytes_total', 'root'), 0);
  t.ok(v(exp, 'memory_bytes', 'root', { memtype: 'resident' }) > 0, 'the rest is reported');
  t.ok(v(exp, 'num_threads', 'root') > 1);
});

t.test('a scrape past its deadline stops the collection; the next one runs', async (t) => {
  const collector = processCollector([{ name: '{comm}', comm: ['.*'] }]);
  const aborted = new AbortController();
  aborted.abort(new Error('scrape deadline passed'));
  await t.rejects(collector.collect({ registry: new Registry(), signal: aborted.signal }), /deadline/);
  const exp = await collectOk(t, collector);
  t.equal(value(exp, 'tocsin_process_scrape_errors_total'), 1, 'the aborted collection is counted');
});

t.test('promtool check metrics is clean', async (t) => {
  const text = await collectText([processCollector([{ name: '{comm}', comm: ['.*'] }, { name: 'never', comm: ['x'] }])]);
  const check = promtoolCheckMetrics(text);
  t.same(check.unexpected, []);
  t.equal(check.status, 0);
});

t.test('a bad template is refused when the collector is created', async (t) => {
  t.throws(() => processCollector([{ name: '{user}', comm: ['x'] }]), GroupConfigError);
});

t.test('no groups: nothing is read and nothing reported', async (t) => {
  const exp = await collectOk(t, processCollector([]));
  t.equal(exp.samples.filter((s) => s.name.startsWith('namedprocess_')).length, 0);
});
