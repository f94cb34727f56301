// Exporter benchmark: Tocsin's /metrics next to prometheus-node-exporter and
// prometheus-process-exporter, scraped the same way on the same machine, with 1,000
// extra idle processes running. Prints latency, RSS and process-collection cost as
// ratios; every figure is measured in this run.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { fmt, freePort, percentile, rssBytes, scrapeLatency, start, stop, waitFor, type Latency } from './lib.js';

const IDLE_PROCESSES = 1000;
const ROUNDS = 60; // scrapes per exporter per configuration, interleaved round by round
const SLEEP_ARG = '86399.5'; // marks the idle processes so both exporters can group them

function need(bin: string, pkg: string): string {
  const found = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' }).stdout.trim();
  if (!found) throw new Error(`${bin} not found: apt-get install -y ${pkg}`);
  return found;
}

/** 1,000 `sleep` processes in a process group of their own, killed together at the end. */
async function spawnIdle(count: number): Promise<() => void> {
  const group = spawn('bash', ['-c', `for i in $(seq ${count}); do sleep ${SLEEP_ARG} & done; wait`], {
    detached: true,
    stdio: 'ignore',
  });
  const kill = () => {
    try {
      process.kill(-group.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.on('exit', kill);
  const deadline = Date.now() + 30_000;
  while (countIdle() < count && Date.now() < deadline) await sleep(100);
  return kill;
}

function countIdle(): number {
  let n = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'latin1') === `sleep\0${SLEEP_ARG}\0`) n++;
    } catch {
      // exited
    }
  }
  return n;
}

/** The floor for process collection: read every /proc/<pid>/stat once, nothing else. */
function statReadMs(): number {
  const t0 = performance.now();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      readFileSync(`/proc/${pid}/stat`, 'latin1');
    } catch {
      // exited
    }
  }
  return performance.now() - t0;
}

interface Setup {
  readonly title: string;
  readonly tocsinGroups: string;
  readonly processExporterNames: string;
}

const SETUPS: Setup[] = [
  {
    // The common case: a few services watched on a busy host. The 1,000 idle processes
    // belong to no group, so each costs one /proc/<pid>/stat read (and, once, its cmdline).
    title: 'typical: three groups (sshd and cron by comm, nginx workers by cmdline); the 1,000 idle processes in none',
    tocsinGroups: `
        - name: sshd
          comm: ['sshd']
        - name: cron
          comm: ['cron']
        - name: nginx-worker
          cmdline: ['^nginx: worker process']`,
    processExporterNames: `
  - name: sshd
    comm: [sshd]
  - name: cron
    comm: [cron]
  - name: nginx-worker
    cmdline: ['^nginx: worker process']`,
  },
  {
    title: 'heaviest: every process grouped by command name ({comm}), so all 1,000 idle ones are read in full',
    tocsinGroups: `
        - name: '{comm}'
          comm: ['.+']`,
    processExporterNames: `
  - name: '{{.Comm}}'
    cmdline: ['.+']`,
  },
];

export async function runExporterBench(): Promise<void> {
  const nodeExporter = need('prometheus-node-exporter', 'prometheus-node-exporter');
  const processExporter = need('prometheus-process-exporter', 'prometheus-process-exporter');
  const tocsinBin = fileURLToPath(new URL('../bin/tocsin.js', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-bench-'));

  const killIdle = await spawnIdle(IDLE_PROCESSES);
  const procCount = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).length;
  console.log(`# Exporter benchmark: ${countIdle()} idle processes added, ${procCount} processes in all, ${ROUNDS} scrapes each`);

  const statTimes = Array.from({ length: 20 }, statReadMs).sort((a, b) => a - b);
  const statP50 = percentile(statTimes, 50);

  for (const setup of SETUPS) {
    const tocsinPort = await freePort();
    const hostOnlyPort = await freePort();
    const nodePort = await freePort();
    const pePort = await freePort();
    const tocsinConfig = join(dir, 'tocsin.yml');
    writeFileSync(tocsinConfig, `exporter:\n  collectors:\n    process:\n      groups:${setup.tocsinGroups}\n`);
    const peConfig = join(dir, 'process-exporter.yml');
    writeFileSync(peConfig, `process_names:${setup.processExporterNames}\n`);

    const tocsin = start(tocsinBin, ['exporter', `--config.file=${tocsinConfig}`, `--web.listen-address=127.0.0.1:${tocsinPort}`, '--log.level=warn']);
    // The same Tocsin without the process collector: the like-for-like match for node_exporter.
    const hostOnlyConfig = join(dir, 'tocsin-host.yml');
    writeFileSync(hostOnlyConfig, 'exporter:\n  collectors:\n    process: {enabled: false}\n');
    const hostOnly = start(tocsinBin, ['exporter', `--config.file=${hostOnlyConfig}`, `--web.listen-address=127.0.0.1:${hostOnlyPort}`, '--log.level=warn']);
    const node = start(nodeExporter, [`--web.listen-address=127.0.0.1:${nodePort}`]);
    const pe = start(processExporter, ['-web.listen-address', `127.0.0.1:${pePort}`, '-config.path', peConfig, '-children=false']);
    const urls = {
      tocsin: `http://127.0.0.1:${tocsinPort}/metrics`,
      host: `http://127.0.0.1:${hostOnlyPort}/metrics`,
      node: `http://127.0.0.1:${nodePort}/metrics`,
      pe: `http://127.0.0.1:${pePort}/metrics`,
    };
    await Promise.all(Object.values(urls).map((u) => waitFor(u)));

    // Warm up (JIT, caches, first-seen processes), then interleave rounds so machine noise
    // falls on all three alike.
    for (const u of Object.values(urls)) await scrapeLatency(u, 5);
    const samples: Record<keyof typeof urls, number[]> = { tocsin: [], host: [], node: [], pe: [] };
    const processCollect: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      for (const key of Object.keys(urls) as (keyof typeof urls)[]) {
        const t0 = performance.now();
        const body = await (await fetch(urls[key])).text();
        samples[key].push(performance.now() - t0);
        if (key === 'tocsin') {
          const m = /^tocsin_collector_duration_seconds\{collector="process"\} (\S+)$/m.exec(body);
          if (m) processCollect.push(Number(m[1]) * 1000);
        }
      }
    }
    const lat = (xs: number[]): Latency => {
      const s = [...xs].sort((a, b) => a - b);
      return { p50: percentile(s, 50), p99: percentile(s, 99), count: s.length };
    };
    const v = lat(samples.tocsin);
    const h = lat(samples.host);
    const n = lat(samples.node);
    const p = lat(samples.pe);
    const pc = percentile([...processCollect].sort((a, b) => a - b), 50);
    const rss = { tocsin: rssBytes(tocsin.pid!), host: rssBytes(hostOnly.pid!), node: rssBytes(node.pid!), pe: rssBytes(pe.pid!) };
    const mb = (b: number) => fmt(b / 2 ** 20);

    console.log(`\n## ${setup.title}`);
    console.log('| exporter | scrape p50 ms | scrape p99 ms | RSS MB |');
    console.log('|---|---|---|---|');
    console.log(`| tocsin (host + process) | ${fmt(v.p50)} | ${fmt(v.p99)} | ${mb(rss.tocsin)} |`);
    console.log(`| tocsin (host only, process collector off) | ${fmt(h.p50)} | ${fmt(h.p99)} | ${mb(rss.host)} |`);
    console.log(`| prometheus-node-exporter | ${fmt(n.p50)} | ${fmt(n.p99)} | ${mb(rss.node)} |`);
    console.log(`| prometheus-process-exporter | ${fmt(p.p50)} | ${fmt(p.p99)} | ${mb(rss.pe)} |`);
    console.log('');
    console.log(`tocsin / node_exporter scrape p50: ${fmt(v.p50 / n.p50, 2)}x (target <= 1), p99: ${fmt(v.p99 / n.p99, 2)}x`);
    console.log(`tocsin host only / node_exporter scrape p50: ${fmt(h.p50 / n.p50, 2)}x, p99: ${fmt(h.p99 / n.p99, 2)}x`);
    console.log(`tocsin / process-exporter scrape p50: ${fmt(v.p50 / p.p50, 2)}x, p99: ${fmt(v.p99 / p.p99, 2)}x`);
    console.log(`tocsin / (node_exporter + process-exporter) p50: ${fmt(v.p50 / (n.p50 + p.p50), 2)}x`);
    console.log(`tocsin process collection p50: ${fmt(pc)} ms (target < 30 ms); reading every /proc/<pid>/stat alone: ${fmt(statP50)} ms; ratio ${fmt(pc / statP50, 2)}x (target <= 2)`);
    console.log(`tocsin RSS: ${mb(rss.tocsin)} MB (target < 70 MB); vs node_exporter ${fmt(rss.tocsin / rss.node, 2)}x, vs process-exporter ${fmt(rss.tocsin / rss.pe, 2)}x`);

    await Promise.all([stop(tocsin), stop(hostOnly), stop(node), stop(pe)]);
  }
  killIdle();
}

