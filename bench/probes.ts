// Probes at scale, for the one report: Tocsin checking N HTTP targets on a local server at an
// interval, and prometheus-blackbox-exporter doing the same work through its /probe, driven by
// this process at the same slots (blackbox has no scheduler of its own), one after the other so
// neither competes with the other for the two cores.
//
// - The targets' server is a child process that answers 200 on any path and notes when each
//   request arrived. Lateness is measured there, from outside Tocsin: the arrival time minus the
//   slot the target was due at (Tocsin's own offsetMs(), the same function its scheduler uses),
//   so it includes the connect and the request's trip over loopback.
// - CPU is the child's utime + stime over the measured window (from /proc/<pid>/stat), as a share
//   of one core; RSS is VmHWM (peak) at the end.
// - Each run first lets one whole interval pass (every target checked once, timers spread,
//   caches warm), then measures `measureIntervals` intervals.
// - With 1,000 targets, the status page (GET /status) is loaded a few times once measuring ends;
//   a 404 means this Tocsin has no status page, reported as such (never a figure).
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { offsetMs } from '../src/probes/scheduler.js';
import { cpuSeconds, memory, peakRssMb } from './proc.js';
import { freePort, percentile, progressTicker, start, stop, waitFor } from './lib.js';
import { launchChromium, statusPageLoadMs } from '../test/helpers/status-page.js';

// 200 and a short body on any path; GET /__arrivals hands over (and clears) what arrived.
const TARGET_APP = `
import { createServer } from 'node:http';
let paths = [], at = [];
createServer((req, res) => {
  if (req.url === '/__arrivals') {
    const body = JSON.stringify({ paths, at });
    paths = []; at = [];
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(body);
  }
  paths.push(req.url); at.push(Date.now());
  res.end('ok');
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

export interface ProbeLoad {
  readonly targets: number;
  readonly intervalSeconds: number;
}

export interface ProbeRunFigures {
  readonly cpuPercentOfOneCore: number;
  readonly peakRssMb: number;
  /** RSS after one interval of probing (the warm-up), before the measured window. */
  readonly rssAfterWarmUpMb: number;
  /** Requests that reached the targets' server during the window, and how many were expected. */
  readonly checks: number;
  readonly expectedChecks: number;
  readonly latenessP50Ms: number;
  readonly latenessP99Ms: number;
  /** Checks that reached the server before their slot (a timer firing early). */
  readonly early: number;
}

export interface ProbeScaleRow extends ProbeLoad {
  readonly checksPerSecond: number;
  /** Figures of the probing-only window (no scrapes), then what SCRAPES scrapes added. */
  readonly tocsin: ProbeRunFigures & { readonly scrapeP50Ms: number; readonly cpuMsPerScrape: number; readonly peakRssWithScrapesMb: number; readonly successes: number };
  /** Driven by this process through /probe, at most `concurrency` at once. */
  readonly blackbox: ProbeRunFigures & { readonly concurrency: number; readonly failedProbes: number };
  readonly cpuRatioTocsinToBlackbox: number;
  readonly statusPage: StatusPageFigures | null;
}

export type StatusPageFigures =
  | { readonly measured: true; readonly loads: number; readonly p50Ms: number; readonly maxMs: number; readonly jsonP50Ms: number; readonly jsonBytes: number }
  | { readonly measured: false; readonly reason: string };

export interface TargetServer {
  readonly port: number;
  readonly child: ChildProcess;
  arrivals(): Promise<{ paths: string[]; at: number[] }>;
  stop(): void;
}

export async function startTargetServer(onExit: Set<() => void>): Promise<TargetServer> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--input-type=module', '-e', TARGET_APP], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
  const kill = () => void child.kill('SIGKILL');
  onExit.add(kill);
  await waitFor(`http://127.0.0.1:${port}/ready`);
  return {
    port,
    child,
    arrivals: async () => (await (await fetch(`http://127.0.0.1:${port}/__arrivals`)).json()) as { paths: string[]; at: number[] },
    stop: kill,
  };
}

const targetName = (i: number) => `t${i}`;

/** Scrapes of the Tocsin under test after its probing-only window. */
export const SCRAPES = 5;

/**
 * Lateness of each arrival behind the slot its target was due at (ms), for targets t<i>: the
 * nearest slot, so an arrival a little before its slot (a timer that fired early) counts as
 * negative, not as almost a whole interval late.
 */
export function lateness(arrivals: { paths: string[]; at: number[] }, intervalMs: number): number[] {
  const out: number[] = [];
  arrivals.paths.forEach((path, k) => {
    const m = /^\/(t\d+)$/.exec(path);
    if (!m) return;
    const offset = offsetMs(m[1]!, intervalMs);
    const at = arrivals.at[k]!;
    const slot = offset + Math.round((at - offset) / intervalMs) * intervalMs;
    out.push(at - slot);
  });
  return out.sort((a, b) => a - b);
}

async function window(server: TargetServer, load: ProbeLoad, pid: number, label: string, measureIntervals: number, during: () => Promise<void> = async () => {}) {
  const intervalMs = load.intervalSeconds * 1000;
  const measureMs = measureIntervals * intervalMs;
  const tick = progressTicker(label, Math.round((intervalMs + measureMs) / 1000), ' s');
  const begin = Date.now();
  while (Date.now() - begin < intervalMs) {
    await sleep(Math.min(1000, intervalMs - (Date.now() - begin)));
    tick(Math.round((Date.now() - begin) / 1000));
  }
  await server.arrivals(); // drop the warm-up's
  const rssAtStartMb = memory(pid).now / 2 ** 20;
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  const measuring = during();
  while (performance.now() - t0 < measureMs) {
    await sleep(Math.min(1000, Math.max(1, measureMs - (performance.now() - t0))));
    tick(Math.round((intervalMs + performance.now() - t0) / 1000));
  }
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(pid) - cpu0;
  const arrived = await server.arrivals();
  await measuring;
  const late = lateness(arrived, intervalMs);
  return {
    figures: {
      cpuPercentOfOneCore: (cpu / elapsed) * 100,
      peakRssMb: peakRssMb(pid),
      rssAfterWarmUpMb: rssAtStartMb,
      checks: arrived.paths.length,
      expectedChecks: load.targets * measureIntervals,
      latenessP50Ms: percentile(late, 50),
      latenessP99Ms: percentile(late, 99),
      early: late.filter((x) => x < 0).length,
    } satisfies ProbeRunFigures,
    elapsed,
    cpu,
  };
}

/** Tocsin with `load.targets` HTTP targets in its config file (default collectors on). */
async function runTocsin(tocsinBin: string, dir: string, server: TargetServer, load: ProbeLoad, measureIntervals: number, statusPage: boolean) {
  const list = Array.from({ length: load.targets }, (_, i) => `      - {name: ${targetName(i)}, type: http, address: 'http://127.0.0.1:${server.port}/${targetName(i)}', interval: ${load.intervalSeconds}s, timeout: 2s}`).join('\n');
  const config = join(dir, 'tocsin-probes.yml');
  writeFileSync(config, `exporter:\n  probes:\n    targets:\n${list}\n`);
  const port = await freePort();
  const child = start(tocsinBin, ['exporter', `--config.file=${config}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn']);
  try {
    const url = `http://127.0.0.1:${port}/metrics`;
    // Not /metrics: the first scrape would come before the warm-up and hide what probing alone holds.
    await waitFor(`http://127.0.0.1:${port}/-/ready`, 60_000);
    // Probing alone first (issue 9's target is the checks' cost), no scrapes; then SCRAPES scrapes
    // a second apart, whose CPU beyond the probing rate is the cost a scrape adds, and the peak
    // RSS with them (a real deployment is scraped: both are reported).
    const { figures, elapsed, cpu } = await window(server, load, child.pid!, `tocsin, ${load.targets.toLocaleString('en')} targets @ ${load.intervalSeconds} s`, measureIntervals);
    const scrapes: number[] = [];
    let body = '';
    const cpu0 = cpuSeconds(child.pid!);
    const t0 = performance.now();
    for (let i = 0; i < SCRAPES; i++) {
      const s0 = performance.now();
      body = await (await fetch(url)).text();
      scrapes.push(performance.now() - s0);
      await sleep(1000);
    }
    const probingRate = cpu / elapsed;
    const scrapeCpu = cpuSeconds(child.pid!) - cpu0 - probingRate * ((performance.now() - t0) / 1000);
    const cpuMsPerScrape = (Math.max(0, scrapeCpu) / SCRAPES) * 1000;
    const peakRssWithScrapesMb = peakRssMb(child.pid!);
    const successes = body.split('\n').filter((l) => l.startsWith('probe_success{') && l.endsWith(' 1')).length;
    const page = statusPage ? await loadStatusPage(`http://127.0.0.1:${port}`, load.targets) : null;
    return { ...figures, scrapeP50Ms: percentile(scrapes.sort((a, b) => a - b), 50), cpuMsPerScrape, peakRssWithScrapesMb, successes, statusPage: page };
  } finally {
    await stop(child);
  }
}

/**
 * The status page with this many targets: GET /status answered at all (404: no status page in
 * this Tocsin), then its JSON (GET /api/v1/status, what the page polls) timed over HTTP, and the
 * page as a person sees it in headless Chromium: from navigating to /status until the list shows
 * every target (test/helpers/status-page.ts statusPageLoadMs: HTML, inline script, the JSON,
 * rendering). Chromium's own start is not counted.
 */
async function loadStatusPage(base: string, targets: number): Promise<StatusPageFigures> {
  const first = await fetch(`${base}/status`);
  await first.arrayBuffer();
  if (first.status === 404) return { measured: false, reason: 'not measured: status page not built yet (GET /status answers 404)' };
  if (!first.ok) return { measured: false, reason: `not measured: GET /status answered ${first.status}` };
  const json: number[] = [];
  let jsonBytes = 0;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    jsonBytes = (await (await fetch(`${base}/api/v1/status`)).arrayBuffer()).byteLength;
    json.push(performance.now() - t0);
  }
  const browser = await launchChromium();
  const loads: number[] = [];
  try {
    for (let i = 0; i < 5; i++) loads.push(await statusPageLoadMs(browser, base, targets));
  } finally {
    await browser.close();
  }
  loads.sort((a, b) => a - b);
  json.sort((a, b) => a - b);
  return { measured: true, loads: loads.length, p50Ms: percentile(loads, 50), maxMs: loads.at(-1)!, jsonP50Ms: percentile(json, 50), jsonBytes };
}

/**
 * blackbox_exporter probing the same targets through /probe, each at its own slot (the same
 * offsets as Tocsin's), at most `concurrency` probes in flight; a slot that finds no free
 * place waits for one (so a slow exporter shows as lateness, not as skipped work).
 */
async function runBlackbox(bin: string, dir: string, server: TargetServer, load: ProbeLoad, measureIntervals: number, concurrency: number) {
  writeFileSync(join(dir, 'blackbox-probes.yml'), 'modules:\n  http_2xx:\n    prober: http\n    timeout: 2s\n');
  const port = await freePort();
  const child = start(bin, [`--web.listen-address=127.0.0.1:${port}`, `--config.file=${join(dir, 'blackbox-probes.yml')}`]);
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitFor(`${base}/metrics`);
    const intervalMs = load.intervalSeconds * 1000;
    const slots = Array.from({ length: load.targets }, (_, i) => ({ name: targetName(i), offset: offsetMs(targetName(i), intervalMs) })).sort((a, b) => a.offset - b.offset);
    let running = true;
    let failedProbes = 0;
    let inFlight = 0;
    const freed: (() => void)[] = [];
    const probe = async (name: string) => {
      while (inFlight >= concurrency) await new Promise<void>((r) => freed.push(r));
      inFlight += 1;
      try {
        const target = encodeURIComponent(`http://127.0.0.1:${server.port}/${name}`);
        const text = await (await fetch(`${base}/probe?module=http_2xx&target=${target}`, { headers: { 'x-prometheus-scrape-timeout-seconds': '2' } })).text();
        if (!/^probe_success 1$/m.test(text)) failedProbes += 1;
      } catch {
        failedProbes += 1;
      } finally {
        inFlight -= 1;
        freed.shift()?.();
      }
    };
    const pending = new Set<Promise<void>>();
    const driver = (async () => {
      let cycle = Math.floor(Date.now() / intervalMs);
      let k = slots.findIndex((s) => cycle * intervalMs + s.offset > Date.now());
      if (k < 0) [cycle, k] = [cycle + 1, 0];
      while (running) {
        const due = cycle * intervalMs + slots[k]!.offset;
        const wait = due - Date.now();
        if (wait > 0) await sleep(Math.min(wait, 500));
        if (Date.now() < due) continue;
        const p = probe(slots[k]!.name);
        pending.add(p);
        void p.finally(() => pending.delete(p));
        if (++k === slots.length) [cycle, k] = [cycle + 1, 0];
      }
    })();
    const { figures } = await window(server, load, child.pid!, `blackbox_exporter, ${load.targets.toLocaleString('en')} targets @ ${load.intervalSeconds} s`, measureIntervals);
    running = false;
    await driver;
    await Promise.all(pending);
    return { ...figures, concurrency, failedProbes };
  } finally {
    await stop(child);
  }
}

export async function probeScale(opts: {
  readonly tocsinBin: string;
  readonly blackboxBin: string;
  readonly dir: string;
  readonly onExit: Set<() => void>;
  readonly loads: readonly ProbeLoad[];
  /** Measured for this long at least, in whole intervals (at least one), after one interval of warm-up. */
  readonly measureSeconds: number;
  readonly concurrency: number;
  readonly statusPageAt: number;
  readonly onPhase: (load: ProbeLoad) => void;
}): Promise<ProbeScaleRow[]> {
  const server = await startTargetServer(opts.onExit);
  try {
    const rows: ProbeScaleRow[] = [];
    for (const load of opts.loads) {
      opts.onPhase(load);
      const measureIntervals = Math.max(1, Math.ceil(opts.measureSeconds / load.intervalSeconds));
      const { statusPage, ...tocsin } = await runTocsin(opts.tocsinBin, opts.dir, server, load, measureIntervals, load.targets === opts.statusPageAt);
      const blackbox = await runBlackbox(opts.blackboxBin, opts.dir, server, load, measureIntervals, opts.concurrency);
      rows.push({
        ...load,
        checksPerSecond: load.targets / load.intervalSeconds,
        tocsin,
        blackbox,
        cpuRatioTocsinToBlackbox: tocsin.cpuPercentOfOneCore / blackbox.cpuPercentOfOneCore,
        statusPage,
      });
    }
    return rows;
  } finally {
    server.stop();
  }
}

/** `npm run bench -- probes`: 1,000 targets at 10 s, Tocsin then blackbox_exporter, printed as JSON. */
export async function runProbesBench(): Promise<void> {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { fileURLToPath } = await import('node:url');
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-bench-probes-'));
  const onExit = new Set<() => void>();
  process.on('exit', () => onExit.forEach((f) => f()));
  try {
    const rows = await probeScale({
      tocsinBin: fileURLToPath(new URL('../bin/tocsin.js', import.meta.url)),
      blackboxBin: '/usr/bin/prometheus-blackbox-exporter',
      dir,
      onExit,
      loads: [{ targets: Number(process.env.BENCH_PROBE_TARGETS ?? 1000), intervalSeconds: Number(process.env.BENCH_PROBE_INTERVAL ?? 10) }],
      measureSeconds: 10,
      concurrency: 100,
      statusPageAt: 1000,
      onPhase: (l) => console.error(`probes: ${l.targets} targets @ ${l.intervalSeconds} s …`),
    });
    console.log(JSON.stringify(rows, null, 2));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
