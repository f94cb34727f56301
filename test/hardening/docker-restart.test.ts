// The Docker engine stopped and started again while a real exporter (a `tocsin exporter` child)
// is scraped continuously: no scrape fails (the container collector reports the engine down with
// tocsin_collector_success{collector="containers"} 0, logged once, and every other collector is
// served), and the container metrics come back after the engine restarts without restarting the
// exporter (same process). A private dockerd (test/helpers/docker-engine.ts), loopback only, a
// bounded number of scrapes. The figures are printed.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, startDockerEngine } from '../helpers/docker-engine.js';
import { parseExposition, select, value, type Exposition } from '../helpers/exposition.js';
import { tmpDir } from '../helpers/tmp.js';
import { startTocsin } from '../helpers/tocsin-process.js';

const MAX_SCRAPES = 2_000;
const SCRAPE_EVERY_MS = 100;
/** How long the engine stays down. */
const DOWN_MS = 6_000;

interface Scrape {
  readonly at: number;
  /** When the answer was complete. */
  readonly end: number;
  readonly status: number | string;
  /** tocsin_collector_success for containers and loadavg (NaN if absent). */
  readonly containers: number;
  readonly loadavg: number;
  readonly survivorRunning: boolean;
  readonly cpuSeries: number;
}

t.test('Docker engine stopped and started while the exporter runs: no failed scrape, engine reported down, container metrics back without an exporter restart', async (t) => {
  const engine = await startDockerEngine(t);
  await engine.run(['--name', 'survivor', '--restart', 'always'], ['sleep', '600']);
  const dir = tmpDir(t, 'tocsin-docker-restart-');
  const config = join(dir, 'exporter.yml');
  writeFileSync(
    config,
    `exporter:
  collectors:
    cpu: {enabled: false}
    filesystem: {enabled: false}
    diskstats: {enabled: false}
    netdev: {enabled: false}
    containers: {enabled: true, docker_host: "${engine.host}"}
`,
  );
  const exporter = await startTocsin(['exporter', `--config.file=${config}`, '--web.listen-address=127.0.0.1:0']);
  t.teardown(() => exporter.stop());
  const pid = exporter.child.pid;

  const read = (exp: Exposition, at: number, status: number): Scrape => ({
    at,
    end: performance.now(),
    status,
    containers: value(exp, 'tocsin_collector_success', { collector: 'containers' }),
    loadavg: value(exp, 'tocsin_collector_success', { collector: 'loadavg' }),
    survivorRunning: select(exp, 'tocsin_container_state', { name: 'survivor', state: 'running' })[0]?.value === 1,
    cpuSeries: select(exp, 'container_cpu_usage_seconds_total', { name: 'survivor' }).length,
  });
  const scrapeOnce = async (): Promise<Scrape> => {
    const at = performance.now();
    try {
      const res = await fetch(`${exporter.url}/metrics`, { signal: AbortSignal.timeout(15_000) });
      return read(parseExposition(await res.text()), at, res.status);
    } catch (err) {
      return { at, end: performance.now(), status: (err as Error).message, containers: NaN, loadavg: NaN, survivorRunning: false, cpuSeries: 0 };
    }
  };

  await eventually('the container is seen before the engine stops', async () => {
    const s = await scrapeOnce();
    return s.containers === 1 && s.survivorRunning && s.cpuSeries > 0 ? s : undefined;
  }, 40_000);

  // Scraped continuously from here to the end, bounded in count.
  const scrapes: Scrape[] = [];
  let scraping = true;
  const scraper = (async () => {
    while (scraping && scrapes.length < MAX_SCRAPES) {
      scrapes.push(await scrapeOnce());
      await new Promise((r) => setTimeout(r, SCRAPE_EVERY_MS));
    }
  })();
  const failuresLogged = () => exporter.stderr().split('\n').filter((l) => l.includes('"collector":"containers"') && l.includes('collector failed')).length;
  const loggedBefore = failuresLogged();

  await new Promise((r) => setTimeout(r, 1_000));
  await engine.stop();
  // From when dockerd is gone (stopping it takes its containers down first) to when it is started.
  const stoppedAt = performance.now();
  await new Promise((r) => setTimeout(r, DOWN_MS));
  const startedAt = performance.now();
  await engine.start();
  let backAt = NaN;
  try {
    await eventually('container metrics back after the engine restarted', async () => {
      const last = scrapes.at(-1);
      if (last && last.at > startedAt && last.containers === 1 && last.survivorRunning && last.cpuSeries > 0) {
        backAt = last.at;
        return true;
      }
      return undefined;
    }, 60_000);
    await new Promise((r) => setTimeout(r, 1_000));
  } catch (err) {
    t.fail((err as Error).message); // the figures below are still printed
  } finally {
    scraping = false;
    await scraper;
  }

  const failed = scrapes.filter((s) => s.status !== 200);
  const whileDown = scrapes.filter((s) => s.at > stoppedAt && s.end < startedAt);
  const downReported = whileDown.filter((s) => s.containers === 0).length;
  const othersServedWhileDown = whileDown.filter((s) => s.loadavg === 1).length;
  t.comment(
    `Docker engine down ${(DOWN_MS / 1000).toFixed(0)} s under ${scrapes.length} scrapes: failed scrapes ${failed.length}, scrapes while down ${whileDown.length} ` +
      `(engine reported down in ${downReported}, other collectors served in ${othersServedWhileDown}), failure log lines ${failuresLogged() - loggedBefore}, ` +
      `container metrics back ${((backAt - startedAt) / 1000).toFixed(1)} s after the engine was started, exporter restarts ${exporter.child.pid === pid && exporter.child.exitCode === null ? 0 : 1}`,
  );
  t.same(failed.map((s) => s.status), [], 'no scrape failed');
  t.ok(whileDown.length >= 10, `scraped while the engine was down (${whileDown.length})`);
  t.equal(downReported, whileDown.length, 'every scrape while down says so: tocsin_collector_success{collector="containers"} 0');
  t.equal(othersServedWhileDown, whileDown.length, 'and serves the other collectors');
  t.equal(failuresLogged() - loggedBefore, 1, 'the outage is logged once, not once per scrape');
  t.match(exporter.stderr(), /"collector":"containers".*collector recovered|collector recovered.*"collector":"containers"/, 'the recovery is logged');
  t.ok(Number.isFinite(backAt), 'container metrics came back');
  t.equal(exporter.child.exitCode, null, 'the exporter kept running');
  t.equal(exporter.child.pid, pid, 'the same process: not restarted');
});
