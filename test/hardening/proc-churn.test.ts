// /proc entries vanishing mid-read: processes are spawned and killed in a tight, bounded loop
// while two scrapers read a real exporter (child process) whose process collector has a group for
// them. A process that exits between listing /proc and reading its stat/status/io files must be
// skipped, not fail the scrape: every scrape answers 200 with the process collector successful,
// and the exporter never crashes. And the groups' counters (CPU, page faults, context switches,
// I/O) never go backwards between one scrape and the next while members vanish: a group keeps
// what its exited processes used (process-exporter's rule), including the churning group itself.
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labelKey, parseExposition, value, type Exposition } from '../helpers/exposition.js';
import { tmpDir } from '../helpers/tmp.js';
import { startTocsin } from '../helpers/tocsin-process.js';

const DURATION_MS = 8_000;
const MAX_PROCESSES = 1_500;
const BATCH = 8;

t.test('/proc entries vanishing mid-read: no failed scrape, no crash', async (t) => {
  const dir = tmpDir(t, 'tocsin-churn-');
  const config = join(dir, 'exporter.yml');
  // Only the collectors that walk /proc/<pid>: the others would just cost time.
  writeFileSync(
    config,
    `exporter:
  collectors:
    cpu: {enabled: false}
    filesystem: {enabled: false}
    diskstats: {enabled: false}
    netdev: {enabled: false}
    process:
      groups:
        - {name: churn, comm: ['^sleep$']}
        - {name: '{comm}', comm: ['.+']}
`,
  );
  const exporter = await startTocsin(['exporter', `--config.file=${config}`, '--web.listen-address=127.0.0.1:0']);
  t.teardown(() => exporter.stop());

  let stop = false;
  let spawned = 0;
  let killed = 0;
  const alive = new Set<ChildProcess>();
  const churn = async () => {
    while (!stop && spawned < MAX_PROCESSES) {
      const batch = Array.from({ length: BATCH }, () => spawn('sleep', ['30'], { stdio: 'ignore' }));
      spawned += batch.length;
      for (const c of batch) alive.add(c);
      // Live for 0-20 ms: long enough to be listed, short enough to vanish while being read.
      await new Promise((r) => setTimeout(r, Math.random() * 20));
      for (const c of batch) {
        if (c.kill('SIGKILL')) killed++;
        c.once('exit', () => alive.delete(c));
      }
    }
  };

  const results = { scrapes: 0, failed: 0, processCollectorFailed: 0, sawChurn: 0, errors: [] as string[] };
  // Counter series compared between consecutive scrapes of one scraper (a scraper's scrapes are in time order).
  const counters = { compared: 0, grew: 0, churnGrew: 0, backwards: [] as string[] };
  const compare = (before: Map<string, number>, after: Map<string, number>) => {
    for (const [k, v] of after) {
      const was = before.get(k);
      if (was === undefined) continue; // a group that was not there before: nothing to compare
      counters.compared++;
      if (v < was) counters.backwards.push(`${k}: ${was} -> ${v}`);
      else if (v > was) {
        counters.grew++;
        if (k.includes('groupname="churn"')) counters.churnGrew++;
      }
    }
  };
  const scraper = async () => {
    let last: Map<string, number> | undefined;
    while (!stop) {
      try {
        const res = await fetch(`${exporter.url}/metrics`, { signal: AbortSignal.timeout(10_000) });
        const body = await res.text();
        results.scrapes++;
        if (res.status !== 200) {
          results.failed++;
          results.errors.push(`${res.status} ${body.slice(0, 200)}`);
          continue;
        }
        const exp = parseExposition(body);
        if (value(exp, 'tocsin_collector_success', { collector: 'process' }) !== 1) results.processCollectorFailed++;
        if (exp.samples.some((s) => s.name === 'namedprocess_namegroup_num_procs' && s.labels.groupname === 'churn' && s.value > 0)) results.sawChurn++;
        const now = groupCounters(exp);
        if (last) compare(last, now);
        last = now;
      } catch (err) {
        results.scrapes++;
        results.failed++;
        results.errors.push((err as Error).message);
      }
    }
  };
  const timer = setTimeout(() => (stop = true), DURATION_MS);
  await Promise.all([churn().finally(() => (stop = true)), scraper(), scraper()]);
  clearTimeout(timer);
  for (const c of alive) c.kill('SIGKILL');

  // A process that exited while being read is not a read error (process-exporter's rule too).
  const last = parseExposition(await (await fetch(`${exporter.url}/metrics`, { signal: AbortSignal.timeout(10_000) })).text());
  const readErrors = value(last, 'tocsin_process_read_errors_total');
  const partialErrors = value(last, 'tocsin_process_partial_read_errors_total');
  t.comment(
    `/proc churn: ${spawned} processes spawned, ${killed} killed during ${results.scrapes} scrapes; failed scrapes ${results.failed}, ` +
      `process collector failures ${results.processCollectorFailed}, scrapes that saw the churn group ${results.sawChurn}, read errors ${readErrors}, partial read errors ${partialErrors}, crashes ${exporter.child.exitCode === null ? 0 : 1}; ` +
      `group counter series compared between consecutive scrapes ${counters.compared}, grew ${counters.grew} (churn group ${counters.churnGrew}), went backwards ${counters.backwards.length}`,
  );
  t.ok(spawned >= 100, `the loop churned processes (${spawned})`);
  t.ok(results.scrapes >= 10, `the scrapers ran (${results.scrapes})`);
  t.same(results.errors, [], 'no failed scrape');
  t.equal(results.processCollectorFailed, 0, 'the process collector never failed');
  t.ok(results.sawChurn > 0, 'the scrapes saw the churning processes');
  t.equal(readErrors, 0, 'no process counted as unreadable for having exited');
  t.ok(counters.compared > 0 && counters.churnGrew > 0, `counters were compared (${counters.compared}) and the churn group's grew (${counters.churnGrew} times)`);
  t.same(counters.backwards.slice(0, 20), [], 'no group counter went backwards while its processes vanished');
  // Not asserted: a process caught while it is being created or torn down (fork, execve, exit)
  // can answer EACCES for /proc/<pid>/io for an instant, even to root (seen here, with
  // CAP_SYS_PTRACE): the kernel's ptrace access check refuses a half-built or half-gone mm. The
  // process really was read only in part, and process-exporter counts it the same way.
  t.equal(exporter.child.exitCode, null, 'the exporter is still running');
  t.notMatch(exporter.stderr(), /"level":"(error|fatal)"|uncaught|ENOENT|ESRCH/i, 'nothing logged as an error');
});

/** Every group counter series of a scrape (namedprocess_namegroup_*_total), by name and labels. */
function groupCounters(exp: Exposition): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of exp.samples) {
    if (s.name.startsWith('namedprocess_namegroup_') && s.name.endsWith('_total')) out.set(`${s.name}${labelKey(s.labels)}`, s.value);
  }
  return out;
}
