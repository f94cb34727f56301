// Tocsin's process collector against the real process-exporter (Debian's
// prometheus-process-exporter 0.7.10, run with its default flags, as a user would run it)
// on the same test processes and the same group config: same families, TYPE, HELP, label
// names and label sets, and values that agree. process-exporter is scraped just before and
// just after Tocsin collects, so a value must lie between its two readings, give or take
// the drift allowed per family. One child does disk I/O and faults a page in from disk, so
// read/write bytes and major faults are compared as non-zero values. Swapped memory is
// compared too, but is 0 on both sides unless the machine swaps the children out.
//
// The differences Tocsin keeps on purpose, asserted as such below:
// - -children (on by default): process-exporter counts a grouped process's children that
//   match no group in their parent's group; Tocsin counts only processes that match.
// - -threads (on by default): process-exporter's per-thread-name families
//   (namedprocess_namegroup_thread_*) are not served by Tocsin.
// - -gather-smaps (on by default): process-exporter's memory_bytes memtypes
//   proportionalResident and proportionalSwapped (PSS, from /proc/<pid>/smaps_rollup) are
//   not served by Tocsin.
// - A configured fixed-name group that never had a process: process-exporter omits it,
//   Tocsin reports it with num_procs 0 (so "mysqld is not running" is alertable).
// - A template group whose processes are all gone: process-exporter keeps reporting it
//   (num_procs 0, its counters), Tocsin drops it.
// - An empty group's oldest_start_time_seconds: process-exporter -62135596800 (Go's zero
//   time), Tocsin 0.
// - states: process-exporter counts a multi-threaded process's main thread twice (once as
//   the process, once among its threads); Tocsin counts each thread once, so the sum of
//   states is num_threads.
// - namedprocess_namegroup_threads_wchan (process-exporter only): not served by Tocsin.
import tap from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createProcessCollector } from '../../src/collectors/process/collector.js';
import { configSchema } from '../../src/config/schema.js';
import { collect, silentLogger } from '../helpers/collect.js';
import { byLabels, findExporter, labelNamesOf, scrape, startExporter } from '../helpers/exporter-binary.js';
import { labelKey, select, value, type Exposition } from '../helpers/exposition.js';
import { diskTmpDir } from '../helpers/tmp.js';
import { BUSY, IDLE, IO, PARENT, childrenOf, prepareIo, startNode, token } from '../fixtures/process/children.js';

const MISSING = 'prometheus-process-exporter not found: apt-get install -y prometheus-process-exporter';
const MiB = 1024 * 1024;
const P = 'namedprocess_namegroup_';
// The per-thread families come with -threads (not implemented by Tocsin); the scrape error
// counters are served as tocsin_process_*_errors_total (process-exporter's names lack the
// _total suffix promtool wants).
const PE_ONLY = new Set([
  `${P}threads_wchan`,
  `${P}thread_count`,
  `${P}thread_cpu_seconds_total`,
  `${P}thread_io_bytes_total`,
  `${P}thread_major_page_faults_total`,
  `${P}thread_minor_page_faults_total`,
  `${P}thread_context_switches_total`,
  'namedprocess_scrape_errors',
  'namedprocess_scrape_procread_errors',
  'namedprocess_scrape_partial_errors',
]);
/** memory_bytes memtypes that come with -gather-smaps. */
const PE_ONLY_MEMTYPES = new Set(['proportionalResident', 'proportionalSwapped']);
/** Families whose values the I/O child makes non-zero, so they are not compared as 0 and 0. */
const NON_ZERO_IN_IO = new Set([`${P}read_bytes_total`, `${P}write_bytes_total`, `${P}major_page_faults_total`]);

/** The same groups in both dialects: process-exporter's YAML and Tocsin's config. */
function configs(id: string) {
  // Literal comm/exe values: process-exporter compares them as plain strings, Tocsin as
  // anchored regexes, which agree on literals. Both take any of a comm or exe list and need
  // every regex of a cmdline list ("and": only the child with both arguments).
  const yaml = `process_names:
  - name: idle
    exe: [node]
    cmdline: ['tocsin-idle-${id}']
  - name: busy
    comm: [tocsin-none, node]
    cmdline: ['tocsin-busy-${id}']
  - name: io
    cmdline: ['tocsin-io-${id}']
  - name: and
    cmdline: ['tocsin-and-${id}', 'and-flag']
  - name: parent
    cmdline: ['tocsin-parent-${id}']
  - name: 'tmpl:{{.Comm}}:{{.ExeBase}}:{{.Matches.kind}}'
    cmdline: ['tocsin-(?P<kind>tmpl)-${id}']
  - name: catchall
    cmdline: ['tocsin-[a-z]+-${id}']
  - name: never
    comm: [tocsin-never]
`;
  const groups = [
    { name: 'idle', exe: ['node'], cmdline: [`tocsin-idle-${id}`] },
    { name: 'busy', comm: ['tocsin-none', 'node'], cmdline: [`tocsin-busy-${id}`] },
    { name: 'io', cmdline: [`tocsin-io-${id}`] },
    { name: 'and', cmdline: [`tocsin-and-${id}`, 'and-flag'] },
    { name: 'parent', cmdline: [`tocsin-parent-${id}`] },
    { name: 'tmpl:{comm}:{exebase}:{matches.kind}', cmdline: [`tocsin-(?<kind>tmpl)-${id}`] },
    { name: 'catchall', cmdline: [`tocsin-[a-z]+-${id}`] },
    { name: 'never', comm: ['tocsin-never'] },
  ];
  const tocsin = configSchema.parse({ exporter: { collectors: { process: { groups } } } }).exporter.collectors.process;
  return { yaml, tocsin };
}

/** process-exporter's command line. */
function processExporterArgs(configPath: string, port: number): string[] {
  return [
    `-config.path=${configPath}`,
    `-web.listen-address=127.0.0.1:${port}`,
    // Nothing else: -children, -threads and -gather-smaps keep their defaults (on).
  ];
}

/** How far outside process-exporter's two readings Tocsin's value may lie. */
function tolerance(family: string, labels: Readonly<Record<string, string>>, reference: number): number {
  const rel = (share: number, floor: number) => Math.max(floor, share * Math.abs(reference));
  switch (family) {
    case `${P}memory_bytes`:
      // Node's heap grows and V8 maps and unmaps between the reads.
      return labels.memtype === 'virtual' ? rel(0.05, 64 * MiB) : rel(0.1, 8 * MiB);
    case `${P}cpu_seconds_total`:
      return 0.1;
    case `${P}minor_page_faults_total`:
      return rel(0.05, 500);
    case `${P}context_switches_total`:
      return rel(0.1, 100);
    case `${P}read_bytes_total`:
    case `${P}write_bytes_total`:
      return 256 * 1024;
    case `${P}open_filedesc`:
      return 2;
    case `${P}worst_fd_ratio`:
      return 0.001;
    default:
      // num_procs, num_threads, oldest_start_time_seconds, major faults: exact.
      return 0;
  }
}

const samplesOf = (exp: Exposition, family: string, skipGroups: ReadonlySet<string> = new Set()) =>
  exp.samples.filter((s) => s.name === family && !skipGroups.has(s.labels.groupname ?? ''));
const groupsOf = (exp: Exposition) => select(exp, `${P}num_procs`).map((s) => s.labels.groupname!).sort();
const statesSum = (exp: Exposition, groupname: string) =>
  select(exp, `${P}states`, { groupname }).reduce((a, s) => a + s.value, 0);
const cpu = (exp: Exposition, groupname: string) =>
  select(exp, `${P}cpu_seconds_total`, { groupname }).reduce((a, s) => a + s.value, 0);

tap.test('Tocsin process collector agrees with prometheus-process-exporter 0.7.10', async (t) => {
  const bin = findExporter('prometheus-process-exporter');
  if (bin === undefined) {
    t.fail(MISSING);
    return;
  }
  const id = token();
  const { yaml, tocsin: tocsinConfig } = configs(id);
  // The directory name is random, but not the token: process-exporter's own argv must not match.
  const dir = diskTmpDir(t, 'tocsin-pe-');
  prepareIo(dir);
  writeFileSync(join(dir, 'process-exporter.yml'), yaml);

  const { url: peUrl } = await startExporter(t, 'process-exporter', bin, (port) => processExporterArgs(join(dir, 'process-exporter.yml'), port));
  const collector = createProcessCollector(tocsinConfig, {
    logger: silentLogger,
    paths: { procfs: '/proc', sysfs: '/sys', rootfs: '/' },
  });
  // Both count a process's whole usage only if it started after they did; process-exporter
  // knows start times to the second only (btime is whole seconds), hence the margin.
  await sleep(1500);

  const idle = await Promise.all([startNode(t, IDLE, `tocsin-idle-${id}`), startNode(t, IDLE, `tocsin-idle-${id}`)]);
  const busy = await startNode(t, BUSY, `tocsin-busy-${id}`);
  const tmpl = await startNode(t, IDLE, `tocsin-tmpl-${id}`);
  await startNode(t, IO, [`tocsin-io-${id}`, dir]);
  await startNode(t, IDLE, [`tocsin-and-${id}`, 'and-flag']);
  await startNode(t, IDLE, `tocsin-and-${id}`); // one of two cmdline regexes: catchall
  const parent = await startNode(t, PARENT, `tocsin-parent-${id}`);
  t.equal(childrenOf(t, parent.pid).length, 1, 'the parent child started its sleep');
  await startNode(t, IDLE, `tocsin-other-${id}`);
  await sleep(1000);

  // A first round in which both meet the new processes (matching, first reads), so the
  // compared round is three quick reads of the same state.
  await scrape(peUrl);
  await collect([collector]);
  await sleep(500);

  const before = await scrape(peUrl);
  const tocsin = await collect([collector]);
  const after = await scrape(peUrl);
  t.equal(value(tocsin, 'tocsin_collector_success', { collector: 'process' }), 1, "Tocsin's process collector succeeded");

  const tmplName = 'tmpl:node:node:tmpl';
  const withProcs = ['and', 'busy', 'catchall', 'idle', 'io', 'parent', tmplName].sort();
  t.same(groupsOf(before), withProcs, 'process-exporter: the groups with processes');
  t.same(groupsOf(tocsin), [...withProcs, 'never'].sort(), 'Tocsin: the same, and the configured empty one');
  t.equal(value(tocsin, `${P}num_procs`, { groupname: 'never' }), 0);
  for (const [who, exp] of [['process-exporter', before], ['Tocsin', tocsin]] as const) {
    t.equal(value(exp, `${P}num_procs`, { groupname: 'and' }), 1, `${who}: every cmdline regex must match`);
    t.equal(value(exp, `${P}num_procs`, { groupname: 'catchall' }), 2, `${who}: the child with one of the two goes on`);
  }
  const onlyTocsin = new Set(['never']);
  // -children: the parent group differs by its sleep; compared on its own below.
  const notCompared = new Set(['never', 'parent']);

  t.test('-children: process-exporter counts an ungrouped child in its parent\'s group, Tocsin does not', async (t) => {
    t.equal(value(before, `${P}num_procs`, { groupname: 'parent' }), 2, 'process-exporter: node and its sleep');
    t.equal(value(tocsin, `${P}num_procs`, { groupname: 'parent' }), 1, 'Tocsin: node');
    const threads = (exp: Exposition) => value(exp, `${P}num_threads`, { groupname: 'parent' });
    t.equal(threads(before), threads(tocsin) + 1, "the sleep's one thread");
  });

  t.test('-gather-smaps: proportional memory is served by process-exporter only', async (t) => {
    const memtypes = (exp: Exposition) => [...new Set(select(exp, `${P}memory_bytes`).map((s) => s.labels.memtype!))].sort();
    t.same(memtypes(before), ['proportionalResident', 'proportionalSwapped', 'resident', 'swapped', 'virtual']);
    t.same(memtypes(tocsin), ['resident', 'swapped', 'virtual']);
  });

  const families = [...tocsin.types.keys()].filter((f) => f.startsWith('namedprocess_')).sort();
  t.equal(families.length, 13, `Tocsin serves ${families.length} namedprocess_* families (process-exporter's 3 namedprocess_scrape_* counters are tocsin_process_* here)`);

  for (const family of families) {
    t.test(family, async (t) => {
      t.equal(tocsin.types.get(family), before.types.get(family), 'same TYPE');
      t.equal(tocsin.helps.get(family), before.helps.get(family), 'same HELP');
      const mine = samplesOf(tocsin, family, onlyTocsin);
      const first = samplesOf(before, family).filter((s) => !PE_ONLY_MEMTYPES.has(s.labels.memtype ?? ''));
      t.same(labelNamesOf(mine), labelNamesOf(first), 'same label names');
      t.same(mine.map((s) => labelKey(s.labels)).sort(), first.map((s) => labelKey(s.labels)).sort(), 'same label sets');
      if (family.startsWith('namedprocess_scrape_') || family.startsWith('tocsin_')) return; // each exporter's own error counts
      if (family === `${P}states`) {
        for (const g of groupsOf(before).filter((g) => !notCompared.has(g))) {
          const n = value(tocsin, `${P}num_procs`, { groupname: g }); // all node processes: multi-threaded
          t.equal(statesSum(before, g), statesSum(tocsin, g) + n, `${g}: process-exporter counts each main thread twice`);
          t.equal(statesSum(tocsin, g), value(tocsin, `${P}num_threads`, { groupname: g }), `${g}: Tocsin counts threads`);
        }
        return;
      }
      const a = byLabels(first);
      const b = byLabels(samplesOf(after, family));
      for (const s of samplesOf(tocsin, family, notCompared)) {
        const key = labelKey(s.labels);
        const x = a.get(key);
        const y = b.get(key);
        if (x === undefined || y === undefined) continue; // reported by the label-set check
        const lo = Math.min(x, y);
        const hi = Math.max(x, y);
        const tol = tolerance(family, s.labels, hi);
        if (NON_ZERO_IN_IO.has(family) && s.labels.groupname === 'io') t.ok(lo > 0, `${family}{${key}}: the I/O child made it non-zero (${lo})`);
        t.ok(
          s.value >= lo - tol && s.value <= hi + tol,
          `${family}{${key}}: Tocsin ${s.value}, process-exporter ${x} then ${y} (allowance ${tol})`,
        );
      }
    });
  }

  t.test('the namedprocess_* families only process-exporter serves are the listed ones', async (t) => {
    const theirs = [...before.types.keys()].filter((f) => f.startsWith('namedprocess_'));
    t.same(theirs.filter((f) => !tocsin.types.has(f)).sort(), [...PE_ONLY].sort());
  });

  t.test('after the busy and template processes exit', async (t) => {
    const busyBefore = cpu(tocsin, 'busy');
    await busy.kill();
    await tmpl.kill();
    await sleep(200);
    const pe = await scrape(peUrl);
    const mine = await collect([collector]);
    for (const [who, exp] of [['process-exporter', pe], ['Tocsin', mine]] as const) {
      t.equal(value(exp, `${P}num_procs`, { groupname: 'busy' }), 0, `${who}: busy is empty`);
      t.equal(value(exp, `${P}memory_bytes`, { groupname: 'busy', memtype: 'resident' }), 0, `${who}: no memory`);
      t.ok(cpu(exp, 'busy') >= busyBefore - 0.1, `${who}: busy cpu kept, ${cpu(exp, 'busy')} s`);
    }
    t.ok(cpu(mine, 'busy') >= busyBefore, 'Tocsin: the cpu counter did not go down');
    t.ok(Math.abs(cpu(mine, 'busy') - cpu(pe, 'busy')) <= 0.2, 'both kept about the same cpu');
    t.equal(value(pe, `${P}oldest_start_time_seconds`, { groupname: 'busy' }), -62135596800, "process-exporter: Go's zero time");
    t.equal(value(mine, `${P}oldest_start_time_seconds`, { groupname: 'busy' }), 0, 'Tocsin: 0');
    t.equal(value(pe, `${P}num_procs`, { groupname: tmplName }), 0, 'process-exporter keeps the empty template group');
    t.notOk(groupsOf(mine).includes(tmplName), 'Tocsin drops it');
    t.equal(value(mine, `${P}num_procs`, { groupname: 'idle' }), idle.length, 'the others are untouched');
  });
});
