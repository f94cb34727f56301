// What a container collection costs with 50 running containers, next to what
// `docker stats --no-stream` takes for the same containers (the cron scripts' way, and
// what a collector calling the stats API per scrape would pay). Every figure is measured
// in this run, on a private engine (test/helpers/docker-engine.ts) that is removed at the end.
//
//   node --import tsx bench/containers.ts [containers=50]
//
// Needs root, docker.io and busybox-static, like the container tests.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Registry } from 'prom-client';
import { createContainersCollector } from '../src/collectors/containers/collector.js';
import { configSchema } from '../src/config/schema.js';
import { collectText, silentLogger } from '../test/helpers/collect.js';
import { DOCKER, startDockerEngine, type DockerEngine } from '../test/helpers/docker-engine.js';
import { fmt, freePort, percentile, start, stop } from './lib.js';
import { scrapeSideBySide, type Row } from './scrape.js';

/** The target for a full collection of 50 containers. */
export const TARGET_MS = 100;

async function time(runs: number, f: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await f();
    out.push(performance.now() - t0);
  }
  return out.sort((a, b) => a - b);
}

function dockerStats(engine: DockerEngine, ids: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      DOCKER,
      ['-H', engine.host, 'stats', '--no-stream', '--format', '{{.ID}} {{.CPUPerc}} {{.MemUsage}}', ...ids],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: engine.dir, DOCKER_CONFIG: `${engine.dir}/cli` }, timeout: 120_000, maxBuffer: 8 * 1024 * 1024 },
      (err, stdout) => {
        if (err) return reject(err);
        const lines = stdout.trim().split('\n').filter(Boolean).length;
        if (lines !== ids.length) return reject(new Error(`docker stats printed ${lines} lines for ${ids.length} containers`));
        resolve();
      },
    );
  });
}

export async function runContainersBench(count = 50): Promise<void> {
  const teardowns: (() => unknown)[] = [];
  try {
    const engine = await startDockerEngine({ teardown: (f) => teardowns.unshift(f) });
    const ids: string[] = [];
    for (let i = 0; i < count; i += 10) {
      const batch = Array.from({ length: Math.min(10, count - i) }, (_, j) => engine.run(['--name', `bench-${i + j}`], ['sleep', '3600']));
      ids.push(...(await Promise.all(batch)));
    }

    const config = configSchema.parse({ exporter: { collectors: { containers: { enabled: true, docker_host: engine.host } } } }).exporter.collectors
      .containers;
    const collector = createContainersCollector(config, { logger: silentLogger, paths: { procfs: '/proc', sysfs: '/sys', rootfs: '/' } });
    teardowns.unshift(() => collector.close?.());
    const collect = () => collector.collect({ registry: new Registry(), signal: new AbortController().signal });

    const [first] = await time(1, collect); // connects, lists and inspects every container
    const collection = await time(41, collect);
    const scrape = await time(21, () => collectText([collector]));
    const stats = await time(3, () => dockerStats(engine, ids));

    const median = percentile(collection, 50);
    const statsMedian = percentile(stats, 50);
    const rows: [string, string][] = [
      [`Tocsin container collection, first (connect, list, inspect ${count})`, `${fmt(first!)} ms`],
      ['Tocsin container collection, median of 41', `${fmt(median)} ms`],
      ['Tocsin container collection, max of 41', `${fmt(collection.at(-1)!)} ms`],
      ['Tocsin scrape of the collector (rendered text), median of 21', `${fmt(percentile(scrape, 50))} ms`],
      [`\`docker stats --no-stream\` on the same ${count}, median of 3`, `${fmt(statsMedian)} ms`],
      ['ratio docker stats / Tocsin collection', `${fmt(statsMedian / median, 0)}x`],
      [`target: full collection of ${count} under ${TARGET_MS} ms`, median < TARGET_MS && collection.at(-1)! < TARGET_MS ? 'met' : 'MISSED'],
    ];
    console.log(`\n### Container collector, ${count} running containers (${process.arch}, Node ${process.version})\n`);
    console.log('| measurement | value |\n|---|---|');
    for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
  } finally {
    for (const f of teardowns) await f();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runContainersBench(Number(process.argv[2] ?? 50));
}

export interface ContainersGrowthRow {
  readonly containers: number;
  /** The exporter in its own process, default collectors plus containers, scraped `rounds` times. */
  readonly tocsin: Row;
  /** `docker stats --no-stream` on the same containers, median of 3 (ms): the scripts' way. */
  readonly dockerStatsMs: number;
}

/**
 * How a Tocsin exporter's scrape grows with running containers, on a private engine: for each
 * count (ascending), containers are added up to it, then a fresh exporter is scraped `rounds`
 * times. cAdvisor, the exporter these series replace, is not packaged in Debian, so the reference
 * is `docker stats --no-stream` on the same containers.
 */
export async function containersGrowth(opts: {
  readonly tocsinBin: string;
  readonly dir: string;
  readonly counts: readonly number[];
  readonly rounds: number;
  readonly onPhase: (what: string) => void;
}): Promise<ContainersGrowthRow[]> {
  const teardowns: (() => unknown)[] = [];
  try {
    opts.onPhase('starting a private Docker engine');
    const engine = await startDockerEngine({ teardown: (f) => teardowns.unshift(f) });
    const ids: string[] = [];
    const rows: ContainersGrowthRow[] = [];
    for (const count of opts.counts) {
      opts.onPhase(`${count} containers: starting them`);
      while (ids.length < count) {
        const batch = Array.from({ length: Math.min(10, count - ids.length) }, (_, j) => engine.run(['--name', `bench-${ids.length + j}`], ['sleep', '3600']));
        ids.push(...(await Promise.all(batch)));
      }
      const config = join(opts.dir, 'tocsin-containers.yml');
      writeFileSync(config, `exporter:\n  collectors:\n    containers: {enabled: true, docker_host: '${engine.host}'}\n`);
      const port = await freePort();
      const child = start(opts.tocsinBin, ['exporter', `--config.file=${config}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn']);
      try {
        opts.onPhase(`${count} containers: ${opts.rounds} scrapes`);
        const [row] = await scrapeSideBySide([{ key: 'tocsin', label: `tocsin, ${count} containers`, url: `http://127.0.0.1:${port}/metrics`, child }], opts.rounds, `${count} containers`);
        opts.onPhase(`${count} containers: docker stats --no-stream x 3`);
        const stats = await time(3, () => dockerStats(engine, ids));
        rows.push({ containers: count, tocsin: row!, dockerStatsMs: percentile(stats, 50) });
      } finally {
        await stop(child);
      }
    }
    return rows;
  } finally {
    for (const f of teardowns) await f();
  }
}
