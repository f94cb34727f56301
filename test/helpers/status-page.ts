// What the status page's browser test and its picture script share: headless Chromium (the
// Debian package, driven by playwright-core), a real exporter config with probe targets, and
// an HTTP server on loopback that can be stopped in the middle of a test.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { requireBinary } from './bin.js';

export async function launchChromium(): Promise<Browser> {
  const executablePath = requireBinary('chromium', 'chromium');
  return chromium.launch({ executablePath, args: ['--no-sandbox'] });
}

const NO_HOST_COLLECTORS =
  '{cpu: {enabled: false}, meminfo: {enabled: false}, loadavg: {enabled: false}, stat: {enabled: false}, vmstat: {enabled: false}, pressure: {enabled: false}, filesystem: {enabled: false}, netdev: {enabled: false}, diskstats: {enabled: false}, process: {enabled: false}}';

/** An exporter on 127.0.0.1:`port` with only the probe collector; `targets` is the YAML list, indented by 6. */
export function probesConfig(port: number, dataDir: string, targets: string, extra = ''): Config {
  return parseConfig(
    `exporter:
  listen_address: 127.0.0.1:${port}
  collectors: ${NO_HOST_COLLECTORS}
  probes:
    data_dir: ${JSON.stringify(dataDir)}
${extra}    targets:
${targets}`,
    'tocsin.yml',
    dataDir,
  );
}

export interface StoppableServer {
  readonly port: number;
  /** Closes the listener and every open connection: the port refuses from now on. */
  stop(): Promise<void>;
}

export interface ServerBehaviour {
  /** How long to wait before answering (a latency to graph); none by default. */
  readonly delayMs?: () => number;
  /** The status to answer with; 200 by default. */
  readonly status?: () => number;
}

/** An HTTP server answering "ok" on 127.0.0.1, as `behaviour` says. */
export async function stoppableServer(behaviour: ServerBehaviour = {}): Promise<StoppableServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((_req, res) => {
    const timer = setTimeout(() => {
      res.statusCode = behaviour.status?.() ?? 200;
      res.end('ok');
    }, behaviour.delayMs?.() ?? 0);
    res.on('close', () => clearTimeout(timer));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  let stopped = false;
  return {
    port: (server.address() as { port: number }).port,
    async stop() {
      if (stopped) return;
      stopped = true;
      const closed = once(server, 'close');
      server.close();
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

/**
 * The status page's load time as a person sees it: from navigating to `${baseUrl}/status` until
 * the list shows `targets` rows (the HTML, its inline script, one GET /api/v1/status and the
 * rendering). In milliseconds; for the bench ("under 1 s with 1,000 targets") and the tests.
 */
export async function statusPageLoadMs(browser: Browser, baseUrl: string, targets: number): Promise<number> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  try {
    const started = performance.now();
    await page.goto(`${baseUrl}/status`);
    await page.waitForFunction((n) => (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll('#list [data-target]').length >= n, targets, { timeout: 30_000 });
    return performance.now() - started;
  } finally {
    await page.close();
  }
}
