// A third-party exporter (Debian's prometheus-node-exporter, prometheus-process-exporter) run
// next to Tocsin by the compatibility tests (test/compat): found in /usr/bin or on PATH, started
// on a free loopback port, scraped and parsed.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type tap from 'tap';
import { findBinary } from '../../src/stack/binaries.js';
import { stopChild } from './child.js';
import { labelKey, parseExposition, type Exposition, type Sample } from './exposition.js';
import { freePort } from './net.js';

const STARTUP_MS = 15_000;
const FETCH_MS = 10_000;

/** The exporter's binary (named like its Debian package), from /usr/bin or PATH. */
export function findExporter(name: string): string | undefined {
  return findBinary([name], `/usr/bin:${process.env.PATH ?? ''}`);
}

/** GET `url` (the exporter's /metrics), parsed; throws on an answer other than 200. */
export async function scrape(url: string): Promise<Exposition> {
  const res = await fetch(url, { signal: AbortSignal.timeout(FETCH_MS) });
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  return parseExposition(await res.text());
}

export interface RunningExporter {
  /** http://127.0.0.1:PORT/metrics */
  readonly url: string;
  readonly stderr: () => string;
}

/**
 * Starts `bin` with `args(port)` on a free port and waits until it serves /metrics; retries if
 * the port was taken meanwhile. Stopped at the test's teardown. `name` is for error messages.
 */
export async function startExporter(
  t: Pick<typeof tap, 'teardown'>,
  name: string,
  bin: string,
  args: (port: number) => string[],
): Promise<RunningExporter> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child = spawn(bin, args(port), { stdio: ['ignore', 'ignore', 'pipe'] });
    t.teardown(() => stopChild(child));
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const url = `http://127.0.0.1:${port}/metrics`;
    const deadline = Date.now() + STARTUP_MS;
    while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
      try {
        await scrape(url);
        return { url, stderr: () => stderr };
      } catch {
        await sleep(100);
      }
    }
    await stopChild(child);
    if (attempt >= 3 || !/address already in use/.test(stderr)) {
      throw new Error(`${name} did not serve ${url} within ${STARTUP_MS} ms:\n${stderr}`);
    }
  }
}

/** The distinct label-name lists of some samples (each sorted, as JSON), sorted. */
export const labelNamesOf = (samples: readonly Sample[]) =>
  [...new Set(samples.map((s) => JSON.stringify(Object.keys(s.labels).sort())))].sort();

/** Sample values by label set (labelKey). */
export const byLabels = (samples: readonly Sample[]) => new Map(samples.map((s) => [labelKey(s.labels), s.value]));
