// Load and soak, bounded, on loopback only. Two real processes:
// - the exporter under four concurrent scrapers for a minute: every scrape answers 200, and its RSS
//   after the soak is within a small bound of its RSS before (after a warm-up);
// - the relay under a sustained stream of distinct notifications (50/s for a minute) with Slack's
//   own pace (1 message per second per webhook): acknowledgement p50/p99, the outbox depth stays
//   bounded (the backlog leaves as digests), and every notification is delivered in the end.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeSlack } from '../helpers/fake-slack.js';
import { parseExposition, select } from '../helpers/exposition.js';
import { pollUntil } from '../helpers/relay-config.js';
import { tmpDir } from '../helpers/tmp.js';
import { startTocsin } from '../helpers/tocsin-process.js';
import { figures, hxId, notification, percentile, tally } from './notifications.js';

const SOAK_MS = Number(process.env.TOCSIN_SOAK_SECONDS ?? 60) * 1000;
// Two soaks of a minute each, plus start, warm-up and drain: more than .taprc's 180 s per file.
t.setTimeout(2 * SOAK_MS + 180_000);

/** Resident set size of a process, in bytes (VmRSS). */
function rss(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for ${pid}`);
  return Number(kb) * 1024;
}
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

t.test('exporter: four concurrent scrapers for a minute, every scrape 200, RSS growth bounded', async (t) => {
  const dir = tmpDir(t, 'tocsin-soak-exporter-');
  writeFileSync(join(dir, 'exporter.yml'), `exporter:\n  collectors:\n    process:\n      groups:\n        - {name: '{comm}', comm: ['.+']}\n`);
  const exporter = await startTocsin(['exporter', `--config.file=${dir}/exporter.yml`, '--web.listen-address=127.0.0.1:0']);
  t.teardown(() => exporter.stop());
  const pid = exporter.child.pid!;
  const scrape = async () => {
    const started = performance.now();
    const res = await fetch(`${exporter.url}/metrics`, { headers: { 'accept-encoding': 'gzip' }, signal: AbortSignal.timeout(15_000) });
    await res.arrayBuffer();
    return { status: res.status, ms: performance.now() - started };
  };
  // Warm-up: the first scrapes fill caches and grow the heap to its working size.
  for (let i = 0; i < 20; i++) await scrape();
  const start = rss(pid);
  // RSS goes up and down by tens of MiB as V8 sizes its heap (more so next to other busy
  // processes); a leak keeps growing. So the measure is the median RSS over the middle third of
  // the soak against the median over the last third, sampled twice a second.
  const samples: { at: number; rss: number }[] = [];
  const soakStart = Date.now();
  const sampler = setInterval(() => samples.push({ at: Date.now() - soakStart, rss: rss(pid) }), 500);
  t.teardown(() => clearInterval(sampler));
  const latencies: number[] = [];
  const failures: string[] = [];
  const deadline = Date.now() + SOAK_MS;
  const scraper = async () => {
    while (Date.now() < deadline) {
      try {
        const r = await scrape();
        latencies.push(r.ms);
        if (r.status !== 200) failures.push(`status ${r.status}`);
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  };
  await Promise.all([scraper(), scraper(), scraper(), scraper()]);
  clearInterval(sampler);
  const third = (k: number) => percentile(samples.filter((x) => x.at >= (k * SOAK_MS) / 3 && x.at < ((k + 1) * SOAK_MS) / 3).map((x) => x.rss), 50);
  const before = third(1);
  const after = third(2);
  const growth = after - before;
  // Bounded: 24 MiB between the two medians (seen here: -1 to +11 MiB). A scrape body is ~25 KiB
  // gzipped, so a leak of one per scrape (~150 scrapes/s) grows by far more than that in 10 s.
  const bound = 24 * 1024 * 1024;
  t.comment(
    `exporter soak: ${latencies.length} scrapes by 4 scrapers in ${SOAK_MS / 1000} s, failed ${failures.length}; ` +
      `latency p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms; ` +
      `RSS after warm-up ${mb(start)} MiB, median over the middle third ${mb(before)} MiB, over the last third ${mb(after)} MiB, ` +
      `peak ${mb(Math.max(...samples.map((x) => x.rss)))} MiB (growth ${mb(growth)} MiB, bound ${mb(bound)} MiB)`,
  );
  t.same(failures, [], 'every scrape answered 200');
  t.ok(latencies.length >= 40, `the scrapers ran (${latencies.length} scrapes)`);
  t.ok(growth < bound, `RSS grew ${mb(growth)} MiB, under ${mb(bound)} MiB`);
  t.equal(exporter.child.exitCode, null, 'still running');
});

t.test('relay: 50 notifications/s for a minute, outbox depth bounded, all delivered, acknowledgement p99', async (t) => {
  const dir = tmpDir(t, 'tocsin-soak-relay-');
  const slack = await FakeSlack.start();
  t.teardown(() => slack.close());
  const PATH = '/services/T0SOAK/B0SOAK/soak-secret-token';
  writeFileSync(
    join(dir, 'relay.yml'),
    // Slack's pace (1/s per webhook): a stream of 50/s can only leave as digests.
    `relay:\n  data_dir: ${dir}/data\n  delivery: {min_interval: 1s, timeout: 5s}\n  destinations:\n    - {name: slack, webhook_url: "\${TOCSIN_HX_SOAK_HOOK}"}\n  default_destinations: [slack]\n`,
  );
  const relay = await startTocsin(['relay', `--config.file=${dir}/relay.yml`, '--relay.listen-address=127.0.0.1:0'], {
    env: { ...process.env, TOCSIN_HX_SOAK_HOOK: slack.url(PATH) },
  });
  t.teardown(() => relay.stop());

  const RATE = 50;
  const total = Math.round((RATE * SOAK_MS) / 1000);
  const acks: number[] = [];
  const accepted: string[] = [];
  const refused: string[] = [];
  const depths: number[] = [];
  const depth = async () => {
    const exp = parseExposition(await (await fetch(`${relay.url}/metrics`, { signal: AbortSignal.timeout(5_000) })).text());
    return select(exp, 'tocsin_relay_outbox_depth').reduce((s, x) => s + x.value, 0);
  };
  const sampler = setInterval(() => void depth().then((d) => depths.push(d), () => undefined), 1000);
  t.teardown(() => clearInterval(sampler));
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    // Open loop: each notification at its time, whether or not the previous ones were answered.
    const due = started + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const id = hxId('soak', i);
    inFlight.push(
      (async () => {
        const t0 = performance.now();
        try {
          const res = await fetch(`${relay.url}/hooks/alertmanager`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(notification(id, i)),
            signal: AbortSignal.timeout(15_000),
          });
          const body = await res.text();
          acks.push(performance.now() - t0);
          if (res.status === 200 && body.includes('"accepted"')) accepted.push(id);
          else refused.push(`${res.status} ${body.slice(0, 100)}`);
        } catch (err) {
          refused.push((err as Error).message);
        }
      })(),
    );
  }
  await Promise.all(inFlight);
  const streamSeconds = (performance.now() - started) / 1000;
  await pollUntil(
    () => accepted.every((id) => tally(slack.requests, PATH).delivered.has(id)),
    30_000,
    () => `delivered ${tally(slack.requests, PATH).delivered.size} of ${accepted.length}`,
  ).catch(() => undefined); // on timeout, the figures below say what was lost
  clearInterval(sampler);
  const drainSeconds = (performance.now() - started) / 1000 - streamSeconds;
  const f = figures(accepted, tally(slack.requests, PATH));
  const maxDepth = Math.max(0, ...depths);
  t.comment(
    `relay soak: ${total} notifications at ${RATE}/s over ${streamSeconds.toFixed(1)} s; ${f.text}; refused ${refused.length}; ` +
      `ack p50 ${percentile(acks, 50).toFixed(1)} ms, p99 ${percentile(acks, 99).toFixed(1)} ms, max ${Math.max(...acks).toFixed(1)} ms; ` +
      `outbox depth max ${maxDepth} (sampled each second), ${slack.requestsTo(PATH).length} Slack messages; drained ${drainSeconds.toFixed(1)} s after the stream`,
  );
  t.same(refused, [], 'every notification acknowledged');
  t.equal(f.lost, 0, 'nothing lost');
  // Bounded: a few seconds' worth, not the whole stream (the backlog leaves as digests).
  t.ok(maxDepth <= 5 * RATE, `outbox depth stayed bounded (max ${maxDepth}, bound ${5 * RATE})`);
  t.ok(percentile(acks, 99) < 1000, `acknowledgement p99 under 1 s (${percentile(acks, 99).toFixed(1)} ms)`);
});
