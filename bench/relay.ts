// Relay benchmark: how fast `tocsin relay` acknowledges Alertmanager webhooks next to a bare fastify
// app that only parses the same JSON and answers 200, and how long an acknowledged notification
// takes to reach Slack when no pacing applies. Every figure is measured in this run, on loopback.
//
// - Both servers run as child processes of the same node binary, one at a time, loaded by the same
//   autocannon (in this process): CONNECTIONS connections for DURATION_S seconds, after a short
//   warm-up. The body is a one-alert Alertmanager payload (version 4) whose groupKey, label and
//   fingerprint carry an id unique per request (autocannon's idReplacement), so the relay's dedupe
//   (left at its default window) never short-cuts a request: each 200 means "fsynced to the outbox".
// - The relay: one Slack destination pointing at a sink (a child process answering `ok` at once),
//   delivery.min_interval 0 (no pacing) and digests at their default threshold; it logs to a
//   file, as a deployment would, at --log.level=warn by default: the bare app logs nothing, while at
//   info (tocsin's default) fastify logs every request (two JSON lines, written synchronously), a
//   cost of its own that would swamp the comparison. `relayLogLevel: 'info'` measures the relay as
//   deployed with the default level; the table says which level ran.
// - Delivery latency: a fresh relay and an in-process fake Slack; DELIVERIES posts one after the
//   other, each waiting until the fake Slack received it: from the 200 to the fake Slack having the
//   whole request, and from the start of the post.
//
// The relay runs from dist/ (bin/tocsin.js, what `npm run bench` builds) when dist/ is at least as
// new as src/, else through tsx; the table says which.
import { spawn, type ChildProcess } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { stopChild } from '../src/stack/child.js';
import autocannon from 'autocannon';
import { FakeSlack } from '../test/helpers/fake-slack.js';
import { writeRelayConfig } from '../test/helpers/relay-config.js';
import { fmt, freePort, percentile, waitFor } from './lib.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CONNECTIONS = 50;
const DURATION_S = 10;
const WARMUP_S = 2;
const DELIVERIES = 200;
const WEBHOOK_PATH = '/hooks/alertmanager';

export interface RelayBenchOptions {
  readonly connections?: number;
  readonly durationSeconds?: number;
  readonly deliveries?: number;
  /** 'dist': node bin/tocsin.js (needs `npm run build`); 'tsx': src through tsx; default: dist when fresh. */
  readonly runner?: 'dist' | 'tsx';
  /** The relay's --log.level (default warn: no per-request log lines, like the bare app). */
  readonly relayLogLevel?: 'info' | 'warn';
}

export interface LoadFigures {
  readonly acceptedPerSecond: number;
  /** Responses per second in the first and the last two seconds (a growing backlog shows here). */
  readonly firstSecondsPerSecond: number;
  readonly lastSecondsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly errors: number;
}

export interface RelayBenchResult {
  readonly runner: 'dist' | 'tsx';
  readonly relayLogLevel: 'info' | 'warn';
  readonly bare: LoadFigures;
  readonly relay: LoadFigures;
  readonly throughputRatio: number;
  readonly delivery: { readonly ackToSlackP50: number; readonly ackToSlackP99: number; readonly postToSlackP50: number; readonly postToSlackP99: number; readonly count: number };
  readonly relayDuplicates: number;
}

// --- child processes, always cleaned up ---

const children = new Set<ChildProcess>();
let exitHook = false;
function track(child: ChildProcess): ChildProcess {
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const c of children) c.kill('SIGKILL');
    });
  }
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

/** Newest mtime of any file under dir (recursive). */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function chooseRunner(wanted: RelayBenchOptions['runner']): 'dist' | 'tsx' {
  const distMain = join(ROOT, 'dist', 'main.js');
  if (wanted === 'dist') {
    if (!existsSync(distMain)) throw new Error('dist/ is missing: run `npm run build` first');
    return 'dist';
  }
  if (wanted === 'tsx') return 'tsx';
  return existsSync(distMain) && newestMtime(join(ROOT, 'dist')) >= newestMtime(join(ROOT, 'src')) ? 'dist' : 'tsx';
}

interface Server {
  readonly url: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** `tocsin relay` with its logs in a file (a pipe would need reading, which costs this process CPU). */
async function startRelay(runner: 'dist' | 'tsx', dir: string, slackUrl: string, logLevel: 'info' | 'warn'): Promise<Server> {
  const port = await freePort();
  const configFile = writeRelayConfig(dir, {
    listen_address: `127.0.0.1:${port}`,
    data_dir: join(dir, 'data'),
    destinations: [{ name: 'bench', type: 'slack', webhook_url: '${TOCSIN_BENCH_SLACK}' }],
    // Digests at their default: under a flood they are how the relay keeps up with one post in
    // flight per destination (without them the outbox fills and the relay answers 503s).
    delivery: { min_interval: '0s', timeout: '5s', digest_threshold: 10 },
  });
  const entry = runner === 'dist' ? [join(ROOT, 'bin', 'tocsin.js')] : ['--import', 'tsx', join(ROOT, 'src', 'main.ts')];
  const logFile = join(dir, 'relay.log');
  const fd = openSync(logFile, 'a');
  const child = track(
    spawn(process.execPath, [...entry, 'relay', `--config.file=${configFile}`, `--log.level=${logLevel}`], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', fd],
      env: { ...process.env, TOCSIN_BENCH_SLACK: slackUrl },
    }),
  );
  closeSync(fd);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(`${url}/-/ready`, 30_000);
  } catch (err) {
    await stopChild(child);
    throw new Error(`${(err as Error).message}\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
  }
  return { url, child, stop: () => stopChild(child) };
}

const BARE_APP = `
import Fastify from 'fastify';
const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
app.post('${WEBHOOK_PATH}', async (request, reply) => {
  if (typeof request.body !== 'object' || request.body === null) return reply.status(400).send({ error: 'bad' });
  return reply.status(200).send({ outcome: 'accepted', destinations: ['bench'] });
});
app.get('/-/ready', async () => 'Ready.');
await app.listen({ host: '127.0.0.1', port: Number(process.env.BENCH_PORT) });
`;

/** A bare fastify app in its own process: parses the JSON body, answers 200. */
async function startBare(): Promise<Server> {
  const port = await freePort();
  const child = track(
    spawn(process.execPath, ['--input-type=module', '-e', BARE_APP], {
      cwd: ROOT, // resolves `fastify` from the project's node_modules
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, BENCH_PORT: String(port) },
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/-/ready`, 20_000);
  return { url, child, stop: () => stopChild(child) };
}

const SINK_APP = `
import { createServer } from 'node:http';
createServer((req, res) => {
  req.resume();
  req.on('end', () => { res.writeHead(200, { 'content-type': 'text/html' }); res.end('ok'); });
}).listen(Number(process.env.BENCH_PORT), '127.0.0.1');
`;

/** Slack stand-in for the load phase: answers `ok` at once, records nothing. */
async function startSink(): Promise<Server> {
  const port = await freePort();
  const child = track(
    spawn(process.execPath, ['--input-type=module', '-e', SINK_APP], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, BENCH_PORT: String(port) },
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor(url, 20_000);
  return { url, child, stop: () => stopChild(child) };
}

// --- payloads ---

/** One firing alert, shaped like Alertmanager 0.25's webhook body; `id` makes it unique. */
function payload(id: string): string {
  const labels = { alertname: 'BenchHighLatency', instance: `web-${id}:9100`, job: 'node', severity: 'warning', bench_id: id };
  return JSON.stringify({
    receiver: 'relay',
    status: 'firing',
    alerts: [
      {
        status: 'firing',
        labels,
        annotations: {
          summary: 'Request latency above 500 ms',
          description: 'p99 request latency has been above 500 ms for 10 minutes.',
          runbook_url: 'https://runbooks.example/high-latency',
        },
        startsAt: '2026-11-21T14:43:38Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus.example:9090/graph?g0.expr=latency',
        fingerprint: id,
      },
    ],
    groupLabels: { alertname: 'BenchHighLatency', instance: `web-${id}:9100` },
    commonLabels: labels,
    commonAnnotations: { summary: 'Request latency above 500 ms' },
    externalURL: 'http://alertmanager.example:9093',
    version: '4',
    groupKey: `{}:{alertname="BenchHighLatency", instance="web-${id}:9100"}`,
    truncatedAlerts: 0,
  });
}

// --- load ---

async function load(url: string, connections: number, durationSeconds: number, overallRate?: number): Promise<LoadFigures> {
  const perSecond: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${url}${WEBHOOK_PATH}`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: payload('[<id>]'),
        idReplacement: true,
        connections,
        duration: durationSeconds,
        ...(overallRate ? { overallRate } : {}),
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    // autocannon passes {counter, bytes} for the last second to 'tick' (its types say no argument).
    (instance as unknown as EventEmitter).on('tick', (c: { counter: number }) => perSecond.push(c.counter));
  });
  const avg = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
  // The first and the last tick cover part of a second (start-up, the final partial second).
  const full = perSecond.length > 4 ? perSecond.slice(1, -1) : perSecond;
  return {
    firstSecondsPerSecond: avg(full.slice(0, 2)),
    lastSecondsPerSecond: avg(full.slice(-2)),
    acceptedPerSecond: result['2xx'] / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

async function loadWithWarmup(url: string, connections: number, durationSeconds: number): Promise<LoadFigures> {
  await load(url, connections, WARMUP_S);
  return load(url, connections, durationSeconds);
}

async function metricSum(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

// --- delivery latency ---

async function deliveryLatency(runner: 'dist' | 'tsx', count: number, logLevel: 'info' | 'warn'): Promise<RelayBenchResult['delivery']> {
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-bench-delivery-'));
  const fake = await FakeSlack.start();
  const path = '/services/T0BENCH/B0BENCH/bench-secret';
  let relay: Server | undefined;
  try {
    relay = await startRelay(runner, dir, fake.url(path), logLevel);
    const ackToSlack: number[] = [];
    const postToSlack: number[] = [];
    for (let i = 0; i < count; i++) {
      const id = `lat${String(i).padStart(5, '0')}x${process.pid}`;
      const seenBefore = fake.requests.length;
      const t0 = performance.now();
      const res = await fetch(`${relay.url}${WEBHOOK_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: payload(id),
        signal: AbortSignal.timeout(5_000),
      });
      const outcome = ((await res.json()) as { outcome?: string }).outcome;
      const ackAt = performance.now();
      if (res.status !== 200 || outcome !== 'accepted') throw new Error(`post ${i}: ${res.status} ${outcome}`);
      const arrived = () => fake.requests.slice(seenBefore).find((r) => r.rawBody.includes(id));
      await fake.waitFor(() => arrived() !== undefined, 5_000);
      const at = arrived()!.at;
      // The fake Slack may have the message before fetch() here has resolved: then 0.
      ackToSlack.push(Math.max(0, at - ackAt));
      postToSlack.push(at - t0);
    }
    ackToSlack.sort((a, b) => a - b);
    postToSlack.sort((a, b) => a - b);
    return {
      ackToSlackP50: percentile(ackToSlack, 50),
      ackToSlackP99: percentile(ackToSlack, 99),
      postToSlackP50: percentile(postToSlack, 50),
      postToSlackP99: percentile(postToSlack, 99),
      count,
    };
  } finally {
    await relay?.stop();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// --- the whole bench ---

export async function runRelayBench(opts: RelayBenchOptions = {}): Promise<RelayBenchResult> {
  const connections = opts.connections ?? CONNECTIONS;
  const duration = opts.durationSeconds ?? DURATION_S;
  const deliveries = opts.deliveries ?? DELIVERIES;
  const runner = chooseRunner(opts.runner);
  const relayLogLevel = opts.relayLogLevel ?? 'warn';

  // Bare fastify first, alone on the machine.
  const bareServer = await startBare();
  let bare: LoadFigures;
  try {
    bare = await loadWithWarmup(bareServer.url, connections, duration);
  } finally {
    await bareServer.stop();
  }

  // The relay, delivering to the sink while it takes the load.
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-bench-relay-'));
  const sink = await startSink();
  let relay: LoadFigures;
  let relayDuplicates: number;
  try {
    const relayServer = await startRelay(runner, dir, `${sink.url}/services/T0BENCH/B0SINK/sink-secret`, relayLogLevel);
    try {
      relay = await loadWithWarmup(relayServer.url, connections, duration);
      relayDuplicates = await metricSum(relayServer.url, 'tocsin_relay_duplicates_total');
    } finally {
      await relayServer.stop();
    }
  } finally {
    await sink.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  await sleep(200);

  const delivery = await deliveryLatency(runner, deliveries, relayLogLevel);
  const ratio = relay.acceptedPerSecond / bare.acceptedPerSecond;
  const result: RelayBenchResult = { runner, relayLogLevel, bare, relay, throughputRatio: ratio, delivery, relayDuplicates };
  print(result, connections, duration);
  return result;
}

function print(r: RelayBenchResult, connections: number, duration: number): void {
  const row = (name: string, f: LoadFigures) =>
    `| ${name} | ${fmt(f.acceptedPerSecond, 0)} | ${fmt(f.firstSecondsPerSecond, 0)} / ${fmt(f.lastSecondsPerSecond, 0)} | ${fmt(f.p50Ms, 2)} | ${fmt(f.p99Ms, 2)} | ${f.requests} | ${f.non2xx} | ${f.errors} |`;
  const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');
  const lines = [
    `## Relay: webhook intake vs bare fastify (${connections} connections, ${duration} s each, after ${WARMUP_S} s warm-up; relay from ${r.runner === 'dist' ? 'dist/ (node bin/tocsin.js)' : 'src/ through tsx'}, --log.level=${r.relayLogLevel})`,
    '',
    r.relayLogLevel === 'info'
      ? 'The relay logs at info (its default): two request log lines per webhook, which the bare app (no logger) does not write.'
      : 'For a like-for-like comparison the relay runs with --log.level=warn (no per-request log lines; the bare app has no logger). At info, its default, fastify adds two log lines per request: run with relayLogLevel: \'info\' to measure that.',
    '',
    '| server | accepted req/s | req/s first 2 s / last 2 s | p50 ms | p99 ms | requests | non-2xx | errors |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    row('bare fastify (parse JSON, 200)', r.bare),
    row(`tocsin relay (fsync to outbox, then 200; log ${r.relayLogLevel})`, r.relay),
    '',
    `The relay saw ${r.relayDuplicates} duplicates (each request carried a unique id, so each 200 was a durable store).`,
    '',
    '| figure | value | target | |',
    '| --- | ---: | ---: | --- |',
    `| throughput relay / bare | ${fmt(r.throughputRatio, 2)} | >= 0.5 | ${verdict(r.throughputRatio >= 0.5)} |`,
    `| relay p99 acknowledgement | ${fmt(r.relay.p99Ms, 2)} ms | < 10 ms | ${verdict(r.relay.p99Ms < 10)} |`,
    `| delivery p50, 200 to fake Slack (${r.delivery.count} sequential) | ${fmt(r.delivery.ackToSlackP50, 2)} ms | < 50 ms | ${verdict(r.delivery.ackToSlackP50 < 50)} |`,
    `| delivery p99, 200 to fake Slack | ${fmt(r.delivery.ackToSlackP99, 2)} ms | | |`,
    `| post to fake Slack p50 / p99 (whole path) | ${fmt(r.delivery.postToSlackP50, 2)} / ${fmt(r.delivery.postToSlackP99, 2)} ms | | |`,
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

/** One row of the growth table: the relay and a bare fastify route, same senders, same payload. */
export interface SenderRow {
  readonly senders: number;
  readonly figures: LoadFigures;
  readonly bare: LoadFigures;
  /** relay accepted/s over bare accepted/s (target >= 0.5). */
  readonly ratio: number;
}

/**
 * How intake grows with concurrency: for each number of concurrent senders, a bare fastify app
 * and then one relay (delivering to the sink, fsync per batch: its default) take the same load
 * for `durationSeconds` each after the usual warm-up, one at a time so they never share the cores.
 */
export async function relayGrowth(
  senders: readonly number[],
  durationSeconds: number,
  onPhase: (what: string) => void = () => {},
): Promise<SenderRow[]> {
  const bare = new Map<number, LoadFigures>();
  const bareServer = await startBare();
  try {
    for (const n of senders) {
      onPhase(`bare fastify, ${n} senders`);
      bare.set(n, await loadWithWarmup(bareServer.url, n, durationSeconds));
    }
  } finally {
    await bareServer.stop();
  }
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-bench-relay-growth-'));
  const sink = await startSink();
  try {
    const relayServer = await startRelay(chooseRunner(undefined), dir, `${sink.url}/services/T0BENCH/B0SINK/sink-secret`, 'warn');
    try {
      const rows: SenderRow[] = [];
      for (const n of senders) {
        onPhase(`relay, ${n} senders`);
        const figures = await loadWithWarmup(relayServer.url, n, durationSeconds);
        rows.push({ senders: n, figures, bare: bare.get(n)!, ratio: figures.acceptedPerSecond / bare.get(n)!.acceptedPerSecond });
      }
      return rows;
    } finally {
      await relayServer.stop();
    }
  } finally {
    await sink.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface SlackDownFigures {
  readonly senders: number;
  readonly seconds: number;
  readonly load: LoadFigures;
  /** What the fake Slack answered meanwhile (the relay kept retrying). */
  readonly slackStatus: number;
  readonly slackRequests: number;
  /** Offered load (requests / s over all senders); null: as fast as the relay answers. */
  readonly ratePerSecond: number | null;
  /** tocsin_relay_outbox_depth at the end (summed over its series): what waits for Slack. */
  readonly outboxDepth: number;
}

/**
 * Acknowledgements while Slack is down: the relay's one destination is the fake Slack answering
 * 503 to everything, so every accepted notification stays in the outbox and is retried; the
 * senders measure how long the relay takes to answer them meanwhile (Alertmanager gives a peer
 * 15 s before it resends).
 */
export async function relaySlackDown(senders: number, durationSeconds: number, ratePerSecond?: number): Promise<SlackDownFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-bench-relay-down-'));
  const fake = await FakeSlack.start();
  fake.setDefaultMode({ kind: 'serverError', status: 503, body: 'service_unavailable' });
  try {
    const relayServer = await startRelay(chooseRunner(undefined), dir, fake.url('/services/T0BENCH/B0DOWN/down-secret'), 'warn');
    try {
      // No warm-up: every request of the outage counts, from its first second.
      const figures = await load(relayServer.url, senders, durationSeconds, ratePerSecond);
      const stored = await metricSum(relayServer.url, 'tocsin_relay_outbox_depth');
      return { senders, seconds: durationSeconds, ratePerSecond: ratePerSecond ?? null, load: figures, slackStatus: 503, slackRequests: fake.requests.length, outboxDepth: stored };
    } finally {
      await relayServer.stop();
    }
  } finally {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What one fdatasync costs on the disk the relay's outbox uses here (the temp directory): an
 * acknowledgement waits for one, so 1,000 / p50 is about the most one sender can get acknowledged
 * per second, whatever the relay does; more senders share each fdatasync (group commit).
 */
export async function fdatasyncLatency(samples = 200): Promise<{ p50Ms: number; p99Ms: number; samples: number }> {
  const { open } = await import('node:fs/promises');
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-bench-fsync-'));
  const file = await open(join(dir, 'log'), 'a');
  try {
    const record = Buffer.alloc(600, 'x');
    const times: number[] = [];
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      await file.write(record);
      await file.datasync();
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return { p50Ms: percentile(times, 50), p99Ms: percentile(times, 99), samples };
  } finally {
    await file.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
