// The report's later tables (probes, containers, services, relay), its list of targets with
// met / missed, and the panels of its growth chart: the printing, kept apart from report.ts,
// which runs the phases.
import type { Panel } from './chart.js';
import type { ContainersGrowthRow } from './containers.js';
import { fmt } from './lib.js';
import type { ProbeScaleRow } from './probes.js';
import type { SenderRow, SlackDownFigures } from './relay.js';
import type { Row } from './scrape.js';
import type { ServicesResult } from './services.js';

/** Alertmanager's peer timeout: a notification not acknowledged by then is sent again. */
export const ALERTMANAGER_PEER_TIMEOUT_MS = 15_000;

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

const n = (x: number) => x.toLocaleString('en');

export function probesTable(rows: readonly ProbeScaleRow[], floorMb: number): string {
  return table(
    ['targets @ interval', 'checks / s', 'tocsin probing CPU % of one core (no scrapes)', 'blackbox CPU %', 'CPU tocsin / blackbox', 'tocsin peak RSS MB probing / with scrapes (above floor)', 'blackbox peak RSS MB', 'tocsin lateness p50 / p99 ms', 'blackbox (bench-driven) lateness p50 / p99 ms', 'checks seen / expected, early (tocsin; blackbox)', 'scrape p50 ms', 'CPU ms / scrape', 'probe_success 1'],
    rows.map((r) => [
      `${n(r.targets)} @ ${r.intervalSeconds} s`,
      fmt(r.checksPerSecond, 0),
      fmt(r.tocsin.cpuPercentOfOneCore, 1),
      fmt(r.blackbox.cpuPercentOfOneCore, 1),
      `${fmt(r.cpuRatioTocsinToBlackbox, 2)}x`,
      `${fmt(r.tocsin.peakRssMb)} / ${fmt(r.tocsin.peakRssWithScrapesMb)} (+${fmt(r.tocsin.peakRssWithScrapesMb - floorMb)})`,
      fmt(r.blackbox.peakRssMb),
      `${fmt(r.tocsin.latenessP50Ms, 0)} / ${fmt(r.tocsin.latenessP99Ms, 0)}`,
      `${fmt(r.blackbox.latenessP50Ms, 0)} / ${fmt(r.blackbox.latenessP99Ms, 0)}`,
      `${n(r.tocsin.checks)} / ${n(r.tocsin.expectedChecks)}, ${r.tocsin.early}; ${n(r.blackbox.checks)} / ${n(r.blackbox.expectedChecks)}, ${r.blackbox.early}`,
      fmt(r.tocsin.scrapeP50Ms, 1),
      fmt(r.tocsin.cpuMsPerScrape, 1),
      `${n(r.tocsin.successes)} / ${n(r.targets)}`,
    ]),
  );
}

export function statusPageLine(rows: readonly ProbeScaleRow[]): string {
  const r = rows.find((x) => x.statusPage !== null);
  if (!r || !r.statusPage) return 'Status page: not measured (no 1,000-target run in this mode).';
  const s = r.statusPage;
  if (!s.measured) return `Status page with ${n(r.targets)} targets: ${s.reason}.`;
  return `Status page with ${n(r.targets)} targets, headless Chromium from navigating to /status until every target is listed: p50 ${fmt(s.p50Ms, 0)} ms, max ${fmt(s.maxMs, 0)} ms over ${s.loads} loads (target < 1,000 ms); its JSON (GET /api/v1/status, ${n(Math.round(s.jsonBytes / 1024))} KB) p50 ${fmt(s.jsonP50Ms, 0)} ms.`;
}

export function containersTable(rows: readonly ContainersGrowthRow[]): string {
  return table(
    ['containers', 'tocsin scrape p50 ms', 'p99 ms', 'CPU ms / scrape', 'peak RSS MB', '`docker stats --no-stream` ms (median of 3)', 'cAdvisor'],
    rows.map((r) => [String(r.containers), fmt(r.tocsin.p50Ms, 1), fmt(r.tocsin.p99Ms, 1), fmt(r.tocsin.cpuSecondsPerScrape * 1000, 1), fmt(r.tocsin.peakRssMb), fmt(r.dockerStatsMs, 0), 'not in Debian: not measured']),
  );
}

export function sendersTable(rows: readonly SenderRow[]): string {
  return table(
    ['senders', 'relay accepted / s', 'bare fastify / s', 'relay / bare', 'relay ack p50 ms', 'relay ack p99 ms', 'bare p99 ms', 'relay non-2xx', 'errors'],
    rows.map((s) => [
      String(s.senders),
      fmt(s.figures.acceptedPerSecond, 0),
      fmt(s.bare.acceptedPerSecond, 0),
      `${fmt(s.ratio, 2)}x`,
      fmt(s.figures.p50Ms, 0),
      fmt(s.figures.p99Ms, 0),
      fmt(s.bare.p99Ms, 0),
      String(s.figures.non2xx),
      String(s.figures.errors + s.bare.errors),
    ]),
  );
}

export function slackDownLine(d: SlackDownFigures): string {
  return (
    `Slack down (the fake Slack answers ${d.slackStatus} to everything; it was tried ${n(d.slackRequests)} times meanwhile): ${d.senders} senders, ` +
    `${d.ratePerSecond === null ? 'as fast as the relay answers' : `${n(d.ratePerSecond)} notifications / s offered`}, for ${d.seconds} s: ` +
    `${fmt(d.load.acceptedPerSecond, 0)} accepted / s, ack p50 ${fmt(d.load.p50Ms, 0)} ms, p99 ${fmt(d.load.p99Ms, 0)} ms ` +
    `(${fmt(ALERTMANAGER_PEER_TIMEOUT_MS / Math.max(1, d.load.p99Ms), 0)}x below Alertmanager's 15 s peer timeout), ${n(d.load.non2xx)} non-2xx, ${d.load.errors} errors; ` +
    `${n(d.outboxDepth)} notifications waiting in the outbox at the end.`
  );
}

export interface Verdict {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean | null;
}

export interface AllFigures {
  readonly floor: Row;
  readonly sideBySide: Readonly<Record<string, Row>>;
  readonly sumOfReplaced: { readonly cpuSecondsPerScrape: number };
  readonly probes: readonly ProbeScaleRow[];
  readonly services: ServicesResult | null;
  readonly senders: readonly SenderRow[];
  readonly slackDown: SlackDownFigures;
}

/** Every target of the issues this report measures, with the figure from this run. */
export function verdicts(f: AllFigures): Verdict[] {
  const out: Verdict[] = [];
  const v = (target: string, measured: string, met: boolean | null) => out.push({ target, measured, met });
  const by = f.sideBySide;
  v('RSS, default config, <= floor + 10 MB', `+${fmt(by.tocsinDefault!.peakRssMb - f.floor.peakRssMb)} MB`, by.tocsinDefault!.peakRssMb - f.floor.peakRssMb <= 10);
  v('RSS, host + groups, <= floor + 10 MB', `+${fmt(by.tocsin!.peakRssMb - f.floor.peakRssMb)} MB`, by.tocsin!.peakRssMb - f.floor.peakRssMb <= 10);
  v('scrape p50, host + groups <= node_exporter alone', `${fmt(by.tocsin!.p50Ms / by.nodeExporter!.p50Ms, 2)}x`, by.tocsin!.p50Ms <= by.nodeExporter!.p50Ms);
  v('CPU / scrape <= node_exporter + process-exporter', `${fmt(by.tocsin!.cpuSecondsPerScrape / f.sumOfReplaced.cpuSecondsPerScrape, 2)}x`, by.tocsin!.cpuSecondsPerScrape <= f.sumOfReplaced.cpuSecondsPerScrape);
  const p1000 = f.probes.find((r) => r.targets === 1000 && r.intervalSeconds === 10);
  if (p1000) {
    v('probes 1,000 @ 10 s: CPU < 10% of one core (probing, no scrapes)', `${fmt(p1000.tocsin.cpuPercentOfOneCore, 1)}%`, p1000.tocsin.cpuPercentOfOneCore < 10);
    v('probes 1,000 @ 10 s: lateness p99 < 100 ms', `${fmt(p1000.tocsin.latenessP99Ms, 0)} ms`, p1000.tocsin.latenessP99Ms < 100);
    v('probes 1,000 @ 10 s: CPU <= blackbox_exporter for the same work', `${fmt(p1000.cpuRatioTocsinToBlackbox, 2)}x`, p1000.cpuRatioTocsinToBlackbox <= 1);
    const s = p1000.statusPage;
    if (s && s.measured) v('status page < 1 s with 1,000 targets', `p50 ${fmt(s.p50Ms, 0)} ms, max ${fmt(s.maxMs, 0)} ms`, s.maxMs < 1000);
    else v('status page < 1 s with 1,000 targets', s ? s.reason : 'not measured', null);
  }
  const p10 = f.probes.find((r) => r.targets === 10);
  const p10k = f.probes.find((r) => r.targets === 10_000);
  if (p10 && p10k) {
    const withScrapes = p10k.tocsin.peakRssWithScrapesMb - p10.tocsin.peakRssWithScrapesMb;
    v('probes: RSS growth < 30 MB for 10,000 targets (peak RSS at 10,000 minus at 10, scrapes included)', `+${fmt(withScrapes)} MB; probing alone +${fmt(p10k.tocsin.peakRssMb - p10.tocsin.peakRssMb)} MB`, withScrapes < 30);
  }
  else v('probes: RSS growth < 30 MB for 10,000 targets', 'not measured in this mode', null);
  if (f.services) {
    const all = f.services.rows.find((r) => r.key === 'all')!;
    v('RSS with every collector on <= sum of the Debian exporters it replaces', `${fmt(all.peakRssMb)} MB, ${fmt(f.services.ratios.allRssToFive, 2)}x the five (containers off: cAdvisor is not in Debian)`, f.services.ratios.allRssToFive <= 1);
  }
  for (const s of f.senders) {
    v(`relay, ${s.senders} senders: accepted / s >= 0.5x bare fastify`, `${fmt(s.ratio, 2)}x`, s.ratio >= 0.5);
    v(`relay, ${s.senders} senders: ack p99 < 10 ms (fsync on)`, `${fmt(s.figures.p99Ms, 0)} ms`, s.figures.p99Ms < 10);
  }
  v('relay, Slack down: ack p99 far below 15 s, every notification accepted', `${fmt(f.slackDown.load.p99Ms, 0)} ms, ${n(f.slackDown.load.non2xx)} non-2xx`, f.slackDown.load.p99Ms < ALERTMANAGER_PEER_TIMEOUT_MS / 10 && f.slackDown.load.non2xx === 0 && f.slackDown.load.errors === 0);
  return out;
}

export function verdictTable(vs: readonly Verdict[]): string {
  return table(['target', 'this run', ''], vs.map((x) => [x.target, x.measured, x.met === null ? 'not measured' : x.met ? 'met' : '**missed**']));
}

/** The growth chart's panels: per row a dimension (processes, probe targets, containers, senders). */
export function growthPanels(g: {
  readonly processes: readonly { processes: number; tocsin: Row; processExporter: Row }[];
  readonly probes: readonly ProbeScaleRow[];
  readonly containers: readonly ContainersGrowthRow[];
  readonly senders: readonly SenderRow[];
}): Panel[] {
  const pts = <T>(rows: readonly T[], x: (r: T) => number, y: (r: T) => number) => rows.map((r) => [x(r), y(r)] as const);
  const proc = (title: string, y: (r: Row) => number): Panel => ({
    title: `Processes: ${title}`,
    xLabel: 'processes',
    series: [
      { name: 'tocsin', points: pts(g.processes, (r) => r.processes, (r) => y(r.tocsin)) },
      { name: 'process-exporter', points: pts(g.processes, (r) => r.processes, (r) => y(r.processExporter)) },
    ],
  });
  const probe = (title: string, t: (r: ProbeScaleRow) => number, b: (r: ProbeScaleRow) => number): Panel => ({
    title: `Probes: ${title}`,
    xLabel: `targets (interval ${g.probes.map((r) => r.intervalSeconds).join(' / ')} s)`,
    series: [
      { name: 'tocsin', points: pts(g.probes, (r) => r.targets, t) },
      { name: 'blackbox', points: pts(g.probes, (r) => r.targets, b) },
    ],
  });
  const cont = (title: string, y: (r: Row) => number): Panel => ({
    title: `Containers: ${title}`,
    xLabel: 'running containers (cAdvisor: not in Debian)',
    series: [{ name: 'tocsin', points: pts(g.containers, (r) => r.containers, (r) => y(r.tocsin)) }],
  });
  const send = (title: string, r: (s: SenderRow) => number, b: (s: SenderRow) => number): Panel => ({
    title: `Relay: ${title}`,
    xLabel: 'concurrent senders',
    series: [
      { name: 'tocsin relay', points: pts(g.senders, (s) => s.senders, r) },
      { name: 'bare fastify', points: pts(g.senders, (s) => s.senders, b) },
    ],
  });
  return [
    proc('scrape p50 ms', (r) => r.p50Ms),
    proc('CPU ms / scrape', (r) => r.cpuSecondsPerScrape * 1000),
    proc('peak RSS MB', (r) => r.peakRssMb),
    probe('CPU % of one core (no scrapes)', (r) => r.tocsin.cpuPercentOfOneCore, (r) => r.blackbox.cpuPercentOfOneCore),
    {
      title: 'Probes: peak RSS MB',
      xLabel: `targets (interval ${g.probes.map((r) => r.intervalSeconds).join(' / ')} s)`,
      series: [
        { name: 'tocsin, scraped', points: pts(g.probes, (r) => r.targets, (r) => r.tocsin.peakRssWithScrapesMb) },
        { name: 'blackbox', points: pts(g.probes, (r) => r.targets, (r) => r.blackbox.peakRssMb) },
        { name: 'tocsin, probing', points: pts(g.probes, (r) => r.targets, (r) => r.tocsin.peakRssMb) },
      ],
    },
    probe('lateness p99 ms', (r) => r.tocsin.latenessP99Ms, (r) => r.blackbox.latenessP99Ms),
    cont('scrape p50 ms', (r) => r.p50Ms),
    cont('CPU ms / scrape', (r) => r.cpuSecondsPerScrape * 1000),
    cont('peak RSS MB', (r) => r.peakRssMb),
    send('notifications / s', (s) => s.figures.acceptedPerSecond, (s) => s.bare.acceptedPerSecond),
    send('ack p99 ms', (s) => s.figures.p99Ms, (s) => s.bare.p99Ms),
    { title: 'Relay: accepted / s, relay over bare', xLabel: 'concurrent senders', series: [{ name: 'relay / bare', points: pts(g.senders, (s) => s.senders, (s) => s.ratio) }] },
  ];
}
