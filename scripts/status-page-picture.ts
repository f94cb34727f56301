// The README's picture of the status page, from a real run: a real exporter probing real
// servers on loopback every 2 s (HTTP with some latency, a WebSocket server, a TCP listener),
// one of which is stopped part way (down at the end) and one that answers 500 for a while and
// recovers (failures in its graph, up at the end). After `seconds` of checks, headless Chromium
// saves /status as docs/img/status-page.png. Nothing is drawn by hand: it is the page itself.
//
//   node --import tsx scripts/status-page-picture.ts [seconds of checks, default 240]
//
// Also run by `npm run pictures` (scripts/dashboard-pictures.ts). Needs chromium
// (apt-get install -y chromium) and the dev dependency playwright-core.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Test } from 'tap';
import { startExporter } from '../src/exporter/server.js';
import { silentLogger } from '../test/helpers/collect.js';
import { freePort } from '../test/helpers/net.js';
import { launchChromium, probesConfig, stoppableServer } from '../test/helpers/status-page.js';
import { tmpDir } from '../test/helpers/tmp.js';
import { tcpServer, webSocketServer } from '../test/probes/servers.js';

const ROOT = new URL('../', import.meta.url).pathname;

/** A latency that wanders between `low` and `high` ms. */
const jitter = (low: number, high: number) => () => low + Math.random() * (high - low);

export async function statusPagePicture(seconds: number, out = join(ROOT, 'docs', 'img', 'status-page.png')): Promise<void> {
  const cleanups: (() => unknown)[] = [];
  const t = { teardown: (fn: () => unknown) => cleanups.unshift(fn) } as unknown as Test;
  try {
    const started = Date.now();
    const phase = () => (Date.now() - started) / 1000 / seconds;
    const servers = {
      shop: await stoppableServer({ delayMs: jitter(20, 60) }),
      api: await stoppableServer({ delayMs: jitter(5, 25) }),
      stageShop: await stoppableServer({ delayMs: jitter(30, 90) }),
      search: await stoppableServer({ delayMs: jitter(10, 30) }),
      // Answers 500 for a stretch in the middle of the run, then recovers.
      devApi: await stoppableServer({ delayMs: jitter(2, 8), status: () => (phase() > 0.4 && phase() < 0.55 ? 500 : 200) }),
    };
    for (const s of Object.values(servers)) t.teardown(() => s.stop());
    const ws = await webSocketServer(t);
    const tcp = await tcpServer(t, 'silent');
    const port = await freePort();
    const target = (name: string, type: string, address: string, environment: string, labels = '{}') =>
      `      - {name: ${name}, type: ${type}, address: "${address}", environment: ${environment}, interval: 2s, timeout: 1s, labels: ${labels}}\n`;
    const exporter = await startExporter(
      probesConfig(
        port,
        tmpDir(t, 'tocsin-status-picture-'),
        target('shop-web', 'http', `http://127.0.0.1:${servers.shop.port}/`, 'LIVE', '{team: shop}') +
          target('public-api', 'http', `http://127.0.0.1:${servers.api.port}/v1/health`, 'LIVE', '{team: platform}') +
          target('chat-gateway', 'websocket', `ws://127.0.0.1:${ws}/`, 'LIVE', '{team: chat}') +
          target('orders-db', 'tcp', `127.0.0.1:${tcp}`, 'LIVE', '{team: shop}') +
          target('shop-web-stage', 'http', `http://127.0.0.1:${servers.stageShop.port}/`, 'STAGE', '{team: shop}') +
          target('search-stage', 'http', `http://127.0.0.1:${servers.search.port}/search?q=ping`, 'STAGE', '{team: search}') +
          target('api-dev', 'http', `http://127.0.0.1:${servers.devApi.port}/v1/health`, 'DEV', '{team: platform}'),
      ),
      silentLogger,
    );
    t.teardown(() => exporter.close());
    process.stderr.write(`probing for ${seconds} s...\n`);
    await sleep(seconds * 0.8 * 1000);
    // The search server goes away: down at the end, its last failure in words.
    await servers.search.stop();
    await sleep(seconds * 0.2 * 1000);
    const browser = await launchChromium();
    t.teardown(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1100, height: 700 }, deviceScaleFactor: 1, colorScheme: 'light' });
    await page.goto(`http://127.0.0.1:${port}/status`);
    await page.waitForSelector('[data-target="search-stage"][data-state="down"]', { timeout: 15_000 });
    mkdirSync(join(out, '..'), { recursive: true });
    await page.screenshot({ path: out, fullPage: true });
    process.stderr.write(`wrote ${out.replace(ROOT, '')}\n`);
  } finally {
    for (const fn of cleanups) await fn();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  statusPagePicture(Number(process.argv[2] ?? 240)).catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
