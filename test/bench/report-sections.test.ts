import t from 'tap';
import { verdicts, type AllFigures } from '../../bench/report-sections.js';
import type { ProbeScaleRow } from '../../bench/probes.js';
import type { LoadFigures, SenderRow } from '../../bench/relay.js';
import type { Row } from '../../bench/scrape.js';

const row = (key: string, p50Ms: number, cpuMs: number, peakRssMb: number): Row => ({ key, label: key, p50Ms, p99Ms: p50Ms * 2, cpuSecondsPerScrape: cpuMs / 1000, peakRssMb, rssMb: peakRssMb });
const load = (acceptedPerSecond: number, p99Ms: number): LoadFigures => ({ acceptedPerSecond, firstSecondsPerSecond: acceptedPerSecond, lastSecondsPerSecond: acceptedPerSecond, p50Ms: 1, p99Ms, requests: 1, non2xx: 0, errors: 0 });
const probe = (targets: number, intervalSeconds: number, cpu: number, bbCpu: number, lateP99: number, peak: number, statusPage: ProbeScaleRow['statusPage'] = null): ProbeScaleRow => {
  const figures = { cpuPercentOfOneCore: cpu, peakRssMb: peak, rssAfterWarmUpMb: peak - 5, checks: targets, expectedChecks: targets, latenessP50Ms: 1, latenessP99Ms: lateP99, early: 0 };
  return {
    targets,
    intervalSeconds,
    checksPerSecond: targets / intervalSeconds,
    tocsin: { ...figures, scrapeP50Ms: 1, cpuMsPerScrape: 1, peakRssWithScrapesMb: peak + 1, successes: targets },
    blackbox: { ...figures, cpuPercentOfOneCore: bbCpu, concurrency: 100, failedProbes: 0 },
    cpuRatioTocsinToBlackbox: cpu / bbCpu,
    statusPage,
  };
};

function figures(over: Partial<AllFigures> = {}): AllFigures {
  const senders: SenderRow[] = [
    { senders: 1, figures: load(500, 9), bare: load(1000, 1), ratio: 0.5 },
    { senders: 10, figures: load(499, 10), bare: load(1000, 1), ratio: 0.499 },
  ];
  return {
    floor: row('floor', 2, 3, 70),
    sideBySide: { tocsin: row('tocsin', 10, 10, 80), tocsinDefault: row('tocsinDefault', 8, 8, 80), nodeExporter: row('nodeExporter', 10, 5, 20), processExporter: row('processExporter', 100, 100, 20) },
    sumOfReplaced: { cpuSecondsPerScrape: 0.105 },
    probes: [probe(10, 10, 1, 1, 5, 75), probe(1000, 10, 9.9, 12, 99, 100, { measured: false, reason: 'not measured: status page not built yet' }), probe(10_000, 60, 20, 15, 500, 104)],
    services: null,
    senders,
    slackDown: { senders: 10, seconds: 5, ratePerSecond: 100, load: load(100, 1499), slackStatus: 503, slackRequests: 3, outboxDepth: 500 },
    ...over,
  };
}

const verdict = (vs: ReturnType<typeof verdicts>, start: string) => vs.find((v) => v.target.startsWith(start));

t.test('each target is judged against its threshold, at the boundary too', async (t) => {
  const vs = verdicts(figures());
  t.equal(verdict(vs, 'RSS, default config')!.met, true, '+10.0 MB above the floor is within 10 MB');
  t.equal(verdict(vs, 'RSS, host + groups')!.met, true);
  t.equal(verdict(vs, 'scrape p50, host + groups')!.met, true, 'equal to node_exporter is no slower');
  t.equal(verdict(vs, 'CPU / scrape')!.met, true);
  t.equal(verdict(vs, 'probes 1,000 @ 10 s: CPU < 10%')!.met, true);
  t.equal(verdict(vs, 'probes 1,000 @ 10 s: lateness')!.met, true);
  t.equal(verdict(vs, 'probes 1,000 @ 10 s: CPU <= blackbox')!.met, true);
  t.equal(verdict(vs, 'probes: RSS growth')!.met, true, '+29 MB between 10 and 10,000 targets');
  t.equal(verdict(vs, 'relay, 1 senders: accepted')!.met, true, '0.5x is met');
  t.equal(verdict(vs, 'relay, 10 senders: accepted')!.met, false, '0.499x is missed');
  t.equal(verdict(vs, 'relay, 1 senders: ack p99')!.met, true);
  t.equal(verdict(vs, 'relay, 10 senders: ack p99')!.met, false, '10 ms is not under 10 ms');
  t.equal(verdict(vs, 'relay, Slack down')!.met, true, '1.5 s is a tenth of the 15 s peer timeout');
});

t.test('misses, and what was not measured is said so, never judged', async (t) => {
  const worse = figures({
    probes: [probe(10, 10, 1, 1, 5, 75), probe(1000, 10, 10, 9, 100, 100, null), probe(10_000, 60, 20, 15, 500, 105)],
    slackDown: { senders: 10, seconds: 5, ratePerSecond: 100, load: load(100, 1500), slackStatus: 503, slackRequests: 3, outboxDepth: 500 },
  });
  const vs = verdicts(worse);
  t.equal(verdict(vs, 'probes 1,000 @ 10 s: CPU < 10%')!.met, false);
  t.equal(verdict(vs, 'probes 1,000 @ 10 s: lateness')!.met, false);
  t.equal(verdict(vs, 'probes 1,000 @ 10 s: CPU <= blackbox')!.met, false);
  t.equal(verdict(vs, 'probes: RSS growth')!.met, false, '+30 MB is not under 30');
  t.equal(verdict(vs, 'relay, Slack down')!.met, false);
  const refused = figures({ slackDown: { senders: 10, seconds: 5, ratePerSecond: null, load: { ...load(100, 5), non2xx: 1 }, slackStatus: 503, slackRequests: 3, outboxDepth: 500 } });
  t.equal(verdict(verdicts(refused), 'relay, Slack down')!.met, false, 'a fast 503 is not an acknowledgement');
  t.equal(verdict(vs, 'status page')!.met, null);
  const page = verdict(verdicts(figures()), 'status page')!;
  t.equal(page.met, null);
  t.match(page.measured, /not built yet/);
  const quick = verdicts(figures({ probes: [probe(10, 5, 1, 1, 5, 75)] }));
  t.equal(verdict(quick, 'probes: RSS growth')!.met, null, 'no 10,000-target run: not measured');
  t.notOk(verdict(quick, 'probes 1,000'), 'no 1,000 @ 10 s run: no verdict on it');
});
