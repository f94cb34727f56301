// The one report of `npm run bench`: Tocsin and the Debian exporters it replaces, started side by
// side in this run and scraped the same way (interleaved, round by round), with the floor of
// Tocsin's own stack (a bare node process that loads fastify and prom-client and serves one
// route); then how cost grows with processes, probe targets (against blackbox_exporter doing the
// same work), containers and concurrent senders (against a bare fastify route), nginx and MySQL
// against their exporters, and the relay under a Slack outage. Prints markdown tables, progress
// lines for long phases and a list of targets met or missed; writes everything as JSON to
// bench/results/<date>.json and the growth chart to bench/results/<date>.svg and, in full runs,
// docs/img/bench-growth.svg (the README's picture).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { fmt, freePort, start, stop } from './lib.js';
import { growthChart } from './chart.js';
import { containersGrowth } from './containers.js';
import { probeScale, SCRAPES, type ProbeLoad } from './probes.js';
import { fdatasyncLatency, relayGrowth, relaySlackDown } from './relay.js';
import { containersTable, growthPanels, probesTable, sendersTable, slackDownLine, statusPageLine, table, verdicts, verdictTable } from './report-sections.js';
import { measureServices, printServices } from './services.js';
import { scrapeSideBySide, type Row, type Target } from './scrape.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SLEEP_ARG = '86398.5'; // marks the bench's idle processes

export interface ReportOptions {
  readonly quick: boolean;
}

interface Sizes {
  readonly sideBySideIdle: number;
  readonly rounds: number;
  readonly processCounts: readonly number[];
  readonly growthRounds: number;
  readonly senders: readonly number[];
  readonly senderSeconds: number;
  readonly probeLoads: readonly ProbeLoad[];
  /** How long each probe run is measured, after one whole interval of warm-up (at least one interval). */
  readonly probeMeasureSeconds: number;
  readonly containerCounts: readonly number[];
  readonly slackDownSenders: number;
  readonly slackDownSeconds: number;
  /** Offered notifications / s while Slack is down (Alertmanager's pace in a bad hour, far above its usual). */
  readonly slackDownRate: number;
}

const FULL: Sizes = {
  sideBySideIdle: 1000,
  rounds: 60,
  processCounts: [100, 1000, 5000],
  growthRounds: 30,
  senders: [1, 10, 100],
  senderSeconds: 10,
  probeLoads: [
    { targets: 10, intervalSeconds: 10 },
    { targets: 100, intervalSeconds: 10 },
    { targets: 1000, intervalSeconds: 10 },
    { targets: 10_000, intervalSeconds: 60 },
  ],
  probeMeasureSeconds: 20,
  containerCounts: [10, 50],
  slackDownSenders: 10,
  slackDownSeconds: 20,
  slackDownRate: 200,
};
const QUICK: Sizes = {
  sideBySideIdle: 1000,
  rounds: 40,
  processCounts: [100, 1000],
  growthRounds: 20,
  senders: [1, 10, 100],
  senderSeconds: 3,
  probeLoads: [
    { targets: 10, intervalSeconds: 5 },
    { targets: 100, intervalSeconds: 5 },
    { targets: 1000, intervalSeconds: 10 },
  ],
  probeMeasureSeconds: 5,
  containerCounts: [10],
  slackDownSenders: 10,
  slackDownSeconds: 5,
  slackDownRate: 200,
};

function need(bin: string, pkg: string): string {
  const found = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' }).stdout.trim();
  if (!found) throw new Error(`${bin} not found: apt-get install -y ${pkg}`);
  return found;
}

const IDLE_PATTERN = `sleep\0${SLEEP_ARG}\0`;
function countIdle(): number {
  let n = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'latin1') === IDLE_PATTERN) n++;
    } catch {
      // exited
    }
  }
  return n;
}

/** `count` idle `sleep` processes in a process group of their own; the returned function kills them. */
async function spawnIdle(count: number): Promise<() => Promise<void>> {
  const group = spawn('bash', ['-c', `for i in $(seq ${count}); do sleep ${SLEEP_ARG} & done; wait`], { detached: true, stdio: 'ignore' });
  const kill = () => {
    try {
      process.kill(-group.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  onExit.add(kill);
  const deadline = Date.now() + 60_000;
  while (countIdle() < count && Date.now() < deadline) await sleep(200);
  return async () => {
    kill();
    const end = Date.now() + 20_000;
    while (countIdle() > 0 && Date.now() < end) await sleep(200);
  };
}

// One exit hook for everything this report starts outside lib.ts's start() (idle process groups,
// the floor app, the probe targets' server), rather than one listener each.
const onExit = new Set<() => void>();
process.on('exit', () => onExit.forEach((f) => f()));

const procCount = () => readdirSync('/proc').filter((p) => /^\d+$/.test(p)).length;

// The floor of Tocsin's own stack: node with fastify and prom-client loaded, one route serving
// the default metrics. Run from the repository so the same node_modules resolve.
const FLOOR_APP = `
import Fastify from 'fastify';
import { Registry, collectDefaultMetrics } from 'prom-client';
const registry = new Registry();
collectDefaultMetrics({ register: registry });
const app = Fastify({ logger: false });
app.get('/metrics', async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
`;

const TOCSIN_GROUPS = `exporter:
  collectors:
    process:
      groups:
        - name: sshd
          comm: ['sshd']
        - name: cron
          comm: ['cron']
        - name: nginx-worker
          cmdline: ['^nginx: worker process']
`;
const PE_GROUPS = `process_names:
  - name: sshd
    comm: [sshd]
  - name: cron
    comm: [cron]
  - name: nginx-worker
    cmdline: ['^nginx: worker process']
`;

export async function runReport(opts: ReportOptions): Promise<void> {
  const sizes = opts.quick ? QUICK : FULL;
  const bins = {
    node: need('prometheus-node-exporter', 'prometheus-node-exporter'),
    pe: need('prometheus-process-exporter', 'prometheus-process-exporter'),
    blackbox: need('prometheus-blackbox-exporter', 'prometheus-blackbox-exporter'),
  };
  const tocsinBin = join(ROOT, 'bin', 'tocsin.js');
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-bench-report-'));
  const phases = 2 + sizes.processCounts.length + sizes.probeLoads.length + 4;
  let phase = 0;
  const progress = (what: string) => console.error(`phase ${++phase}/${phases}: ${what} …`);
  const started = new Date();
  const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${fmt(totalmem() / 2 ** 30)} GiB, node ${process.version}`;
  console.log(`# Tocsin benchmark ${started.toISOString()}${opts.quick ? ' (--quick)' : ''}\n\nMachine: ${machine}\n`);

  try {
    // --- side by side ---
    progress(`starting ${sizes.sideBySideIdle} idle processes`);
    const killIdle = await spawnIdle(sizes.sideBySideIdle);
    const processes = procCount();
    writeFileSync(join(dir, 'tocsin.yml'), TOCSIN_GROUPS);
    writeFileSync(join(dir, 'tocsin-default.yml'), 'exporter: {}\n');
    writeFileSync(join(dir, 'pe.yml'), PE_GROUPS);
    writeFileSync(join(dir, 'blackbox.yml'), 'modules:\n  http_2xx:\n    prober: http\n');
    const port = () => freePort();
    const p = { tocsin: await port(), def: await port(), node: await port(), pe: await port(), blackbox: await port(), floor: await port() };
    const targets: Target[] = [
      { key: 'tocsin', label: 'tocsin exporter (host + 3 process groups)', url: `http://127.0.0.1:${p.tocsin}/metrics`, child: start(tocsinBin, ['exporter', `--config.file=${join(dir, 'tocsin.yml')}`, `--web.listen-address=127.0.0.1:${p.tocsin}`, '--log.level=warn']) },
      { key: 'tocsinDefault', label: 'tocsin exporter (default config)', url: `http://127.0.0.1:${p.def}/metrics`, child: start(tocsinBin, ['exporter', `--config.file=${join(dir, 'tocsin-default.yml')}`, `--web.listen-address=127.0.0.1:${p.def}`, '--log.level=warn']) },
      { key: 'nodeExporter', label: 'prometheus-node-exporter', url: `http://127.0.0.1:${p.node}/metrics`, child: start(bins.node, [`--web.listen-address=127.0.0.1:${p.node}`]) },
      { key: 'processExporter', label: 'prometheus-process-exporter (same 3 groups)', url: `http://127.0.0.1:${p.pe}/metrics`, child: start(bins.pe, ['-web.listen-address', `127.0.0.1:${p.pe}`, '-config.path', join(dir, 'pe.yml'), '-children=false']) },
      { key: 'blackboxExporter', label: 'prometheus-blackbox-exporter (own /metrics, idle)', url: `http://127.0.0.1:${p.blackbox}/metrics`, child: start(bins.blackbox, [`--web.listen-address=127.0.0.1:${p.blackbox}`, `--config.file=${join(dir, 'blackbox.yml')}`]) },
    ];
    const floorChild = spawn(process.execPath, ['--input-type=module', '-e', FLOOR_APP], { cwd: ROOT, env: { ...process.env, PORT: String(p.floor) }, stdio: ['ignore', 'ignore', 'inherit'] });
    onExit.add(() => floorChild.kill('SIGKILL'));
    targets.push({ key: 'floor', label: 'floor: node + fastify + prom-client, one route', url: `http://127.0.0.1:${p.floor}/metrics`, child: floorChild });
    progress(`scraping ${targets.length} servers side by side, ${sizes.rounds} rounds, ${processes} processes`);
    const rows = await scrapeSideBySide(targets, sizes.rounds);
    await Promise.all(targets.map((t) => stop(t.child)));
    await killIdle();

    const by = Object.fromEntries(rows.map((r) => [r.key, r])) as Record<string, Row>;
    const t = by.tocsin!;
    const anchors = ['nodeExporter', 'processExporter', 'blackboxExporter'].map((k) => by[k]!);
    const replaced = [by.nodeExporter!, by.processExporter!]; // what tocsin replaces in this configuration
    const sum = {
      p50Ms: replaced.reduce((a, r) => a + r.p50Ms, 0),
      p99Ms: replaced.reduce((a, r) => a + r.p99Ms, 0),
      cpuSecondsPerScrape: replaced.reduce((a, r) => a + r.cpuSecondsPerScrape, 0),
      peakRssMb: replaced.reduce((a, r) => a + r.peakRssMb, 0),
    };
    console.log(`## Side by side: ${processes} processes (${sizes.sideBySideIdle} idle ones added), ${sizes.rounds} scrapes each, interleaved\n`);
    console.log(
      table(
        ['server', 'scrape p50 ms', 'scrape p99 ms', 'CPU ms / scrape', 'peak RSS MB'],
        rows.map((r) => [r.label, fmt(r.p50Ms, 2), fmt(r.p99Ms, 2), fmt(r.cpuSecondsPerScrape * 1000, 2), fmt(r.peakRssMb)]),
      ),
    );
    const ratio = (a: number, b: number) => `${fmt(a / b, 2)}x`;
    const ratioRows = [
      ...anchors.map((a) => [`tocsin (host + groups) / ${a.label}`, ratio(t.p50Ms, a.p50Ms), ratio(t.p99Ms, a.p99Ms), ratio(t.cpuSecondsPerScrape, a.cpuSecondsPerScrape), ratio(t.peakRssMb, a.peakRssMb)]),
      ['tocsin (host + groups) / (node_exporter + process-exporter), the pair it replaces here', ratio(t.p50Ms, sum.p50Ms), ratio(t.p99Ms, sum.p99Ms), ratio(t.cpuSecondsPerScrape, sum.cpuSecondsPerScrape), ratio(t.peakRssMb, sum.peakRssMb)],
      ['tocsin (default) / node_exporter', ratio(by.tocsinDefault!.p50Ms, by.nodeExporter!.p50Ms), ratio(by.tocsinDefault!.p99Ms, by.nodeExporter!.p99Ms), ratio(by.tocsinDefault!.cpuSecondsPerScrape, by.nodeExporter!.cpuSecondsPerScrape), ratio(by.tocsinDefault!.peakRssMb, by.nodeExporter!.peakRssMb)],
    ];
    console.log('\n' + table(['ratio', 'p50', 'p99', 'CPU / scrape', 'peak RSS'], ratioRows));
    const floor = by.floor!;
    const above = { groups: t.peakRssMb - floor.peakRssMb, default: by.tocsinDefault!.peakRssMb - floor.peakRssMb };
    console.log(
      `\nTocsin peak RSS above the floor (${fmt(floor.peakRssMb)} MB): default config +${fmt(above.default)} MB, host + groups +${fmt(above.groups)} MB (target <= 10 MB).\n` +
        `Scrape p50 host + groups / node_exporter alone: ${ratio(t.p50Ms, by.nodeExporter!.p50Ms)} (target <= 1); CPU per scrape / (node_exporter + process-exporter): ${ratio(t.cpuSecondsPerScrape, sum.cpuSecondsPerScrape)} (target <= 1).\n`,
    );

    // --- growth with processes ---
    const growth: { processes: number; tocsin: Row; processExporter: Row }[] = [];
    for (const count of sizes.processCounts) {
      progress(`processes ${count.toLocaleString('en')}`);
      const kill = await spawnIdle(count);
      // Every process grouped by name, so each one is read in full: the cost that grows.
      writeFileSync(join(dir, 'tocsin-all.yml'), "exporter:\n  collectors:\n    process:\n      groups:\n        - name: '{comm}'\n          comm: ['.+']\n");
      writeFileSync(join(dir, 'pe-all.yml'), "process_names:\n  - name: '{{.Comm}}'\n    cmdline: ['.+']\n");
      const tp = await port();
      const pp = await port();
      const ts: Target[] = [
        { key: 'tocsin', label: 'tocsin', url: `http://127.0.0.1:${tp}/metrics`, child: start(tocsinBin, ['exporter', `--config.file=${join(dir, 'tocsin-all.yml')}`, `--web.listen-address=127.0.0.1:${tp}`, '--log.level=warn']) },
        { key: 'pe', label: 'process-exporter', url: `http://127.0.0.1:${pp}/metrics`, child: start(bins.pe, ['-web.listen-address', `127.0.0.1:${pp}`, '-config.path', join(dir, 'pe-all.yml'), '-children=false']) },
      ];
      const [tr, pr] = await scrapeSideBySide(ts, sizes.growthRounds);
      growth.push({ processes: procCount(), tocsin: tr!, processExporter: pr! });
      await Promise.all(ts.map((x) => stop(x.child)));
      await kill();
    }
    console.log(`## Growth with processes (every process grouped by command name; ${sizes.growthRounds} scrapes each)\n`);
    console.log(
      table(
        ['processes', 'tocsin p50 ms', 'tocsin CPU ms / scrape', 'tocsin peak RSS MB', 'process-exporter p50 ms', 'process-exporter CPU ms / scrape', 'process-exporter peak RSS MB'],
        growth.map((g) => [String(g.processes), fmt(g.tocsin.p50Ms, 1), fmt(g.tocsin.cpuSecondsPerScrape * 1000, 1), fmt(g.tocsin.peakRssMb), fmt(g.processExporter.p50Ms, 1), fmt(g.processExporter.cpuSecondsPerScrape * 1000, 1), fmt(g.processExporter.peakRssMb)]),
      ),
    );

    // --- probes at scale, against blackbox_exporter ---
    const probes = await probeScale({
      tocsinBin,
      blackboxBin: bins.blackbox,
      dir,
      onExit,
      loads: sizes.probeLoads,
      measureSeconds: sizes.probeMeasureSeconds,
      concurrency: 100,
      statusPageAt: 1000,
      onPhase: (l) => progress(`probe targets ${l.targets.toLocaleString('en')} every ${l.intervalSeconds} s, tocsin then blackbox_exporter`),
    });
    console.log(`\n## Probes: HTTP checks of a local server, Tocsin (default collectors on; probing alone, then ${SCRAPES} scrapes a second apart) and blackbox_exporter through /probe at the same slots, one after the other\n`);
    console.log(
      'CPU is the share of one core over the measured window; lateness is measured at the targets\' server (arrival minus the slot the target was due at). ' +
        `blackbox_exporter has no scheduler: this process calls its /probe at each target's slot, at most 100 at once, so its lateness is the bench's as much as blackbox's.\n`,
    );
    console.log(probesTable(probes, floor.peakRssMb));
    console.log(`\n${statusPageLine(probes)}`);

    // --- containers ---
    progress(`containers ${sizes.containerCounts.join(', ')} on a private Docker engine`);
    const containers = await containersGrowth({ tocsinBin, dir, counts: sizes.containerCounts, rounds: sizes.growthRounds, onPhase: (w) => console.error(`  containers: ${w} …`) });
    console.log(`\n## Growth with containers (a Tocsin exporter with default collectors plus containers; ${sizes.growthRounds} scrapes each)\n`);
    console.log('cAdvisor, whose series these replace, is not packaged in Debian, so it is not run here; `docker stats --no-stream` on the same containers is the reference.\n');
    console.log(containersTable(containers));

    // --- services: nginx and MySQL ---
    progress('nginx and MariaDB: Tocsin next to nginx-prometheus-exporter and mysqld_exporter');
    const services = await measureServices(sizes.rounds, (w) => console.error(`  services: ${w} …`));
    console.log(`\n## nginx and MySQL: a real nginx and MariaDB, ${services.rounds} interleaved scrapes each\n`);
    printServices(services);

    // --- relay ---
    progress(`relay: ${sizes.senders.join(', ')} concurrent senders, bare fastify then the relay, ${sizes.senderSeconds} s each`);
    const fsync = await fdatasyncLatency();
    const senders = await relayGrowth(sizes.senders, sizes.senderSeconds, (w) => console.error(`  relay: ${w} …`));
    console.log(`\n## Relay: notifications per second by concurrent senders, against a bare fastify route on the same payload (fsync per batch, ${sizes.senderSeconds} s each after warm-up)\n`);
    console.log(sendersTable(senders));
    console.log(
      `\nOne write + fdatasync of 600 bytes in the temp directory (where the outbox is), ${fsync.samples} times: p50 ${fmt(fsync.p50Ms, 2)} ms, p99 ${fmt(fsync.p99Ms, 2)} ms. ` +
        `An acknowledgement waits for one, so one sender can get at most about ${fmt(1000 / fsync.p50Ms, 0)} acknowledgements / s here, whatever the relay does; concurrent senders share each fdatasync.`,
    );
    progress(`relay with Slack down (503): ${sizes.slackDownSenders} senders, ${sizes.slackDownRate} notifications / s, ${sizes.slackDownSeconds} s`);
    const slackDown = await relaySlackDown(sizes.slackDownSenders, sizes.slackDownSeconds, sizes.slackDownRate);
    console.log(`\n${slackDownLine(slackDown)}`);

    // --- targets ---
    const targetsMet = verdicts({ floor, sideBySide: by, sumOfReplaced: sum, probes, services, senders, slackDown });
    console.log(`\n## Targets\n\n${verdictTable(targetsMet)}`);

    const notMeasuredHere = ['cAdvisor: not packaged in Debian'];
    const page = probes.find((r) => r.statusPage)?.statusPage;
    if (page && !page.measured) notMeasuredHere.push(`status page: ${page.reason}`);
    const result = {
      date: started.toISOString(),
      quick: opts.quick,
      machine,
      sideBySide: { processes, rounds: sizes.rounds, rows, sumOfReplaced: sum, tocsinRssAboveFloorMb: above },
      growthProcesses: growth.map((g) => ({ processes: g.processes, tocsin: g.tocsin, processExporter: g.processExporter })),
      probes,
      growthContainers: containers,
      services,
      growthSenders: senders,
      fdatasync: fsync,
      slackDown,
      targets: targetsMet,
      notMeasuredHere,
    };
    const resultsDir = join(ROOT, 'bench', 'results');
    mkdirSync(resultsDir, { recursive: true });
    const base = `${started.toISOString().slice(0, 10)}${opts.quick ? '-quick' : ''}`;
    writeFileSync(join(resultsDir, `${base}.json`), JSON.stringify(result, null, 2) + '\n');
    const svg = growthChart(`Tocsin: how cost grows, ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC${opts.quick ? ' (--quick)' : ''}, ${machine}`, growthPanels({ processes: growth, probes, containers, senders }));
    writeFileSync(join(resultsDir, `${base}.svg`), svg);
    // The README's picture comes from full runs only: a --quick run leaves it alone.
    if (!opts.quick) {
      mkdirSync(join(ROOT, 'docs', 'img'), { recursive: true });
      writeFileSync(join(ROOT, 'docs', 'img', 'bench-growth.svg'), svg);
    }
    console.log(`\nWritten: bench/results/${base}.json, bench/results/${base}.svg${opts.quick ? '' : ', docs/img/bench-growth.svg'} (${fmt((Date.now() - started.getTime()) / 60_000)} min)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
