// The one report of `npm run bench`: Tocsin and the Debian exporters it replaces, started side by
// side in this run and scraped the same way (interleaved, round by round), with the floor of
// Tocsin's own stack (a bare node process that loads fastify and prom-client and serves one
// route); then how cost grows with processes and with concurrent senders. Prints markdown tables,
// progress lines for long phases, and writes everything as JSON to bench/results/<date>.json.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { fmt, freePort, percentile, start, stop, waitFor } from './lib.js';
import { relayGrowth } from './relay.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SLEEP_ARG = '86398.5'; // marks the bench's idle processes
// Clock ticks per second for /proc/<pid>/stat's utime and stime.
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

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
  readonly probeTargets: readonly number[];
  readonly probeIntervalSeconds: number;
}

const FULL: Sizes = { sideBySideIdle: 1000, rounds: 60, processCounts: [100, 1000, 5000], growthRounds: 30, senders: [1, 10, 100], senderSeconds: 10, probeTargets: [10, 100, 1000], probeIntervalSeconds: 10 };
const QUICK: Sizes = { sideBySideIdle: 1000, rounds: 40, processCounts: [100, 1000], growthRounds: 20, senders: [1, 10, 100], senderSeconds: 3, probeTargets: [10, 100, 1000], probeIntervalSeconds: 5 };

function need(bin: string, pkg: string): string {
  const found = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' }).stdout.trim();
  if (!found) throw new Error(`${bin} not found: apt-get install -y ${pkg}`);
  return found;
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK; // fields 14 and 15, counted after the name
}

/** Peak and current resident set size, in bytes. */
function memory(pid: number): { peak: number; now: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) * 1024;
  return { peak: kb('VmHWM'), now: kb('VmRSS') };
}

// The probe targets' server: a child process (so its CPU is not this one's), 200 and a short body on any path.
const TARGET_APP = `
import { createServer } from 'node:http';
createServer((_req, res) => res.end('ok')).listen(Number(process.env.PORT), '127.0.0.1');
`;

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

interface Target {
  readonly key: string;
  readonly label: string;
  readonly url: string;
  readonly child: ChildProcess;
}

interface Row {
  readonly key: string;
  readonly label: string;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly cpuSecondsPerScrape: number;
  readonly peakRssMb: number;
  readonly rssMb: number;
}

/** Warms every target up, then scrapes them `rounds` times, interleaved, measuring each one's CPU. */
async function scrapeSideBySide(targets: readonly Target[], rounds: number): Promise<Row[]> {
  await Promise.all(targets.map((t) => waitFor(t.url)));
  for (const t of targets) for (let i = 0; i < 3; i++) await (await fetch(t.url)).text();
  const times = new Map<string, number[]>(targets.map((t) => [t.key, []]));
  const cpu0 = new Map(targets.map((t) => [t.key, cpuSeconds(t.child.pid!)]));
  for (let i = 0; i < rounds; i++) {
    for (const t of targets) {
      const t0 = performance.now();
      await (await fetch(t.url)).text();
      times.get(t.key)!.push(performance.now() - t0);
    }
  }
  return targets.map((t) => {
    const s = times.get(t.key)!.sort((a, b) => a - b);
    const mem = memory(t.child.pid!);
    return {
      key: t.key,
      label: t.label,
      p50Ms: percentile(s, 50),
      p99Ms: percentile(s, 99),
      cpuSecondsPerScrape: (cpuSeconds(t.child.pid!) - cpu0.get(t.key)!) / rounds,
      peakRssMb: mem.peak / 2 ** 20,
      rssMb: mem.now / 2 ** 20,
    };
  });
}

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

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export async function runReport(opts: ReportOptions): Promise<void> {
  const sizes = opts.quick ? QUICK : FULL;
  const bins = {
    node: need('prometheus-node-exporter', 'prometheus-node-exporter'),
    pe: need('prometheus-process-exporter', 'prometheus-process-exporter'),
    blackbox: need('prometheus-blackbox-exporter', 'prometheus-blackbox-exporter'),
  };
  const tocsinBin = join(ROOT, 'bin', 'tocsin.js');
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-bench-report-'));
  const phases = 2 + sizes.processCounts.length + sizes.probeTargets.length + 1;
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

    // --- growth with probe targets ---
    const probeRows: { targets: number; checksPerSecond: number; p50Ms: number; cpuPercent: number; cpuMsPerScrape: number; probingRssMb: number; peakRssMb: number; successes: number }[] = [];
    const serverPort = await port();
    const server = spawn(process.execPath, ['--input-type=module', '-e', TARGET_APP], { env: { ...process.env, PORT: String(serverPort) }, stdio: ['ignore', 'ignore', 'inherit'] });
    onExit.add(() => server.kill('SIGKILL'));
    try {
      await waitFor(`http://127.0.0.1:${serverPort}/`);
      const interval = sizes.probeIntervalSeconds;
      for (const count of sizes.probeTargets) {
        progress(`probe targets ${count.toLocaleString('en')} (every ${interval} s)`);
        const list = Array.from({ length: count }, (_, i) => `      - {name: t${i}, type: http, address: 'http://127.0.0.1:${serverPort}/t${i}', interval: ${interval}s, timeout: 2s}`).join('\n');
        writeFileSync(join(dir, 'tocsin-probes.yml'), `exporter:\n  probes:\n    targets:\n${list}\n`);
        const tp = await port();
        const child = start(tocsinBin, ['exporter', `--config.file=${join(dir, 'tocsin-probes.yml')}`, `--web.listen-address=127.0.0.1:${tp}`, '--log.level=warn']);
        const url = `http://127.0.0.1:${tp}/metrics`;
        await waitFor(url);
        await sleep(interval * 1000); // every target checked once: schedules spread, caches warm
        // Probing alone first (no scrapes: the target of issue 9 is the checks' cost), then the
        // same with a scrape every 500 ms (far more often than Prometheus would), so each cost is
        // read on its own: CPU per scrape is what the scrapes add over probing.
        const cpu0 = cpuSeconds(child.pid!);
        const t0 = performance.now();
        await sleep(2 * interval * 1000);
        const probingSeconds = (performance.now() - t0) / 1000;
        const probingCpu = cpuSeconds(child.pid!) - cpu0;
        const probingRssMb = memory(child.pid!).peak / 2 ** 20;
        const cpu1 = cpuSeconds(child.pid!);
        const t1 = performance.now();
        const times: number[] = [];
        let body = '';
        while (performance.now() - t1 < 2 * interval * 1000) {
          const s0 = performance.now();
          body = await (await fetch(url)).text();
          times.push(performance.now() - s0);
          await sleep(500);
        }
        const scrapingSeconds = (performance.now() - t1) / 1000;
        const scrapeCpu = cpuSeconds(child.pid!) - cpu1 - (probingCpu / probingSeconds) * scrapingSeconds;
        const cpuPercent = (probingCpu / probingSeconds) * 100;
        const successes = body.split('\n').filter((l) => l.startsWith('probe_success{') && l.endsWith(' 1')).length;
        probeRows.push({ targets: count, checksPerSecond: count / interval, p50Ms: percentile(times.sort((a, b) => a - b), 50), cpuPercent, cpuMsPerScrape: (Math.max(0, scrapeCpu) / times.length) * 1000, probingRssMb, peakRssMb: memory(child.pid!).peak / 2 ** 20, successes });
        await stop(child);
      }
    } finally {
      server.kill('SIGKILL');
    }
    console.log(`\n## Growth with probe targets (HTTP checks of a local server, every ${sizes.probeIntervalSeconds} s; default collectors on)\n`);
    console.log(
      table(
        ['targets', 'checks / s', 'probing CPU % of one core (no scrapes)', 'peak RSS MB probing', 'scrape p50 ms', 'CPU ms / scrape', 'peak RSS MB with a scrape every 500 ms', 'RSS above floor MB', 'probe_success 1 at the end'],
        probeRows.map((r) => [String(r.targets), fmt(r.checksPerSecond, 0), fmt(r.cpuPercent, 1), fmt(r.probingRssMb), fmt(r.p50Ms, 1), fmt(r.cpuMsPerScrape, 1), fmt(r.peakRssMb), fmt(r.peakRssMb - floor.peakRssMb), `${r.successes} / ${r.targets}`]),
      ),
    );

    // --- growth with senders ---
    progress(`relay: ${sizes.senders.join(', ')} concurrent senders, ${sizes.senderSeconds} s each`);
    const senders = await relayGrowth(sizes.senders, sizes.senderSeconds, (n) => console.error(`  relay: ${n} senders …`));
    console.log(`\n## Relay: notifications per second by concurrent senders (fsync per notification, ${sizes.senderSeconds} s each after warm-up)\n`);
    console.log(
      table(
        ['senders', 'accepted / s', 'ack p50 ms', 'ack p99 ms', 'non-2xx', 'errors', 'bare fastify req / s', 'bare p99 ms', 'relay / bare'],
        senders.map((s) => [String(s.senders), fmt(s.figures.acceptedPerSecond, 0), fmt(s.figures.p50Ms, 2), fmt(s.figures.p99Ms, 2), String(s.figures.non2xx), String(s.figures.errors), fmt(s.bare.acceptedPerSecond, 0), fmt(s.bare.p99Ms, 2), `${fmt(s.figures.acceptedPerSecond / s.bare.acceptedPerSecond, 2)}x`]),
      ),
    );

    const result = {
      date: started.toISOString(),
      quick: opts.quick,
      machine,
      sideBySide: { processes, rounds: sizes.rounds, rows, sumOfReplaced: sum, tocsinRssAboveFloorMb: above },
      growthProcesses: growth.map((g) => ({ processes: g.processes, tocsin: g.tocsin, processExporter: g.processExporter })),
      growthProbes: { intervalSeconds: sizes.probeIntervalSeconds, rows: probeRows },
      growthSenders: senders,
      notMeasuredHere: ['containers (10/50)', 'nginx and MySQL collectors: run `npm run bench -- containers services`'],
    };
    const resultsDir = join(ROOT, 'bench', 'results');
    mkdirSync(resultsDir, { recursive: true });
    const file = join(resultsDir, `${started.toISOString().slice(0, 10)}${opts.quick ? '-quick' : ''}.json`);
    writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
    console.log(`\nWritten: bench/results/${file.slice(resultsDir.length + 1)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
