// The status page in real headless Chromium against a real exporter probing real servers on
// loopback at a 1 s interval: a target turning down shows without a reload, within its
// interval (plus timeout and the page's poll); the filters work; names, labels and failure
// messages with markup show as text and run nothing; at a phone's 360 px nothing overflows.
import t from 'tap';
import type { Page } from 'playwright-core';
import { startExporter } from '../../src/exporter/server.js';
import { silentLogger } from '../helpers/collect.js';
import { freePort } from '../helpers/net.js';
import { launchChromium, probesConfig, stoppableServer } from '../helpers/status-page.js';
import { tmpDir } from '../helpers/tmp.js';

// Functions passed to page.evaluate run in the browser; the project compiles without the DOM library.
declare const document: any;
declare const window: any;

// Markup in every user-controlled field the page shows: environment, a label, and a failure
// message (the body_regex is quoted in the body_mismatch message).
const XSS_ENV = '<img src=x onerror="window.__xss=1">';
const XSS_LABEL = '<script>window.__xss=2</script>';
const XSS_REGEX = '<img src=y onerror="window.__xss=3">';
// The longest name there can be, without a place to break: it must wrap at 360 px, not overflow.
const LONG = `x${'-0123456789abcdef'.repeat(7)}.internal/health`.slice(0, 128);

/** The targets the page lists now, by name: their state. */
async function rows(page: Page): Promise<Record<string, string>> {
  return page.$$eval('#list [data-target]', (els) => Object.fromEntries(els.map((e: any) => [e.getAttribute('data-target'), e.getAttribute('data-state')])));
}

/** How far the page reaches past the viewport's right edge (0: no horizontal overflow). */
async function overflow(page: Page): Promise<number> {
  return page.evaluate(() => {
    let right = document.documentElement.scrollWidth;
    for (const e of document.querySelectorAll('body *')) right = Math.max(right, e.getBoundingClientRect().right);
    return Math.ceil(right - window.innerWidth);
  });
}

t.test('status page in Chromium: goes down without a reload, filters, escapes, fits 360 px', async (t) => {
  const web = await stoppableServer();
  const other = await stoppableServer();
  t.teardown(() => Promise.all([web.stop(), other.stop()]));
  const port = await freePort();
  const dir = tmpDir(t, 'tocsin-status-page-');
  const exporter = await startExporter(
    probesConfig(
      port,
      dir,
      `      - {name: web, type: http, address: "http://127.0.0.1:${web.port}/", environment: LIVE, interval: 1s, timeout: 500ms, labels: {team: payments}}
      - {name: queue, type: tcp, address: "127.0.0.1:${other.port}", environment: STAGE, interval: 1s, timeout: 500ms}
      - {name: "${LONG}", type: http, address: "http://127.0.0.1:${other.port}/${LONG}", environment: STAGE, interval: 1s, timeout: 500ms}
      - name: odd
        type: http
        address: "http://127.0.0.1:${other.port}/"
        environment: ${JSON.stringify(XSS_ENV)}
        interval: 1s
        timeout: 500ms
        labels: {team: ${JSON.stringify(XSS_LABEL)}}
        http: {body_regex: ${JSON.stringify(XSS_REGEX)}}
`,
    ),
    silentLogger,
  );
  let closed = false;
  t.teardown(() => closed || exporter.close());
  const base = `http://127.0.0.1:${port}`;
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  // Chromium logs every 4xx/5xx response as an error; the 404 asked for below is expected.
  page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource: the server responded with a status of 404') && errors.push(m.text()));

  await page.goto(`${base}/status`);
  await page.waitForFunction(() => document.querySelectorAll('#list [data-state="up"]').length === 3 && document.querySelector('[data-target="odd"][data-state="down"]'), undefined, { timeout: 20_000 });
  t.same(await rows(page), { web: 'up', queue: 'up', [LONG]: 'up', odd: 'down' });

  await t.test('grouped by environment, with words for the failure', async (t) => {
    const groups = await page.$$eval('#list section', (els) => els.map((e: any) => [e.getAttribute('data-environment'), [...e.querySelectorAll('[data-target]')].map((r: any) => r.getAttribute('data-target'))]));
    t.same(groups, [[XSS_ENV, ['odd']], ['LIVE', ['web']], ['STAGE', ['queue', LONG]]], 'one section per environment, sorted');
    const odd = await page.textContent('[data-target="odd"]');
    t.match(odd, 'The body does not match', 'the reason in words');
    t.match(await page.textContent('[data-target="web"]'), /Up for \d+ s/);
    t.match(await page.textContent('[data-target="web"] .u24'), '100%');
    t.equal(await page.locator('[data-target="web"] svg.spark polyline, [data-target="web"] svg.spark circle').count(), 1, 'a latency graph');
  });

  await t.test('markup in an environment, a label and a message shows as text and runs nothing', async (t) => {
    t.equal(await page.evaluate(() => window.__xss), undefined, 'no script ran');
    t.equal(await page.locator('#list img, #list script').count(), 0, 'no element was made from the text');
    t.equal(await page.$eval('#list section h2', (h: any) => h.firstChild.textContent), XSS_ENV, 'the environment as text');
    const odd = (await page.textContent('[data-target="odd"]'))!;
    t.ok(odd.includes(`team=${XSS_LABEL}`), 'the label as text');
    t.ok(odd.includes(`/${XSS_REGEX}/`), 'the failure message as text');
    await page.goto(`${base}/status/odd`);
    await page.waitForSelector('table.recent tbody tr');
    t.ok((await page.textContent('main'))!.includes(XSS_REGEX));
    t.equal(await page.evaluate(() => window.__xss), undefined);
    await page.goto(`${base}/status`);
    await page.waitForSelector('[data-target="odd"]');
  });

  await t.test('filters: text, state, environment; kept in the URL', async (t) => {
    await page.fill('#q', 'payments');
    t.same(await rows(page), { web: 'up' }, 'a label value matches');
    await page.fill('#q', 'que');
    t.same(await rows(page), { queue: 'up' }, 'part of a name matches');
    await page.fill('#q', 'nothing-like-this');
    t.match(await page.textContent('#list'), 'No target matches the filter.');
    await page.fill('#q', '');
    await page.selectOption('#state', 'down');
    t.same(await rows(page), { odd: 'down' });
    t.match(page.url(), /\?state=down$/);
    await page.selectOption('#state', '');
    await page.selectOption('#env', 'STAGE');
    t.same(await rows(page), { queue: 'up', [LONG]: 'up' });
    // A poll later the filter still holds (the list is rebuilt on every poll).
    const before = await page.getAttribute('body', 'data-updated');
    await page.waitForFunction((b) => document.body.getAttribute('data-updated') !== b, before, { timeout: 10_000 });
    t.same(await rows(page), { queue: 'up', [LONG]: 'up' });
    // Opened from its URL, the page applies the filter.
    await page.goto(`${base}/status?env=LIVE`);
    await page.waitForSelector('[data-target]');
    t.same(await rows(page), { web: 'up' });
    t.equal(await page.inputValue('#env'), 'LIVE');
    await page.goto(`${base}/status`);
    await page.waitForSelector('[data-target="web"]');
  });

  await t.test('a target turning down shows within its interval, without a reload', async (t) => {
    await page.evaluate(() => (window.__same = true));
    const stopped = Date.now();
    await web.stop();
    // 1 s interval + 0.5 s timeout + 1 s poll (failure_threshold 1); 10 s is generous for a loaded CI.
    await page.waitForSelector('[data-target="web"][data-state="down"]', { timeout: 10_000 });
    const seconds = (Date.now() - stopped) / 1000;
    t.ok(seconds < 10, `down on the page after ${seconds.toFixed(1)} s`);
    t.equal(await page.evaluate(() => window.__same), true, 'the same page: no reload');
    t.match(await page.textContent('[data-target="web"]'), /Down for \d+ s.*Last failure \d+ s ago: Connection refused/);
    t.match(await page.title(), /^\(2 down\) /);
  });

  await t.test('the page of one target lists its recent checks', async (t) => {
    await page.goto(`${base}/status/web`);
    await page.waitForSelector('table.recent tbody tr.failed');
    const results = await page.$$eval('table.recent tbody tr td:nth-child(2)', (tds) => tds.map((td) => td.textContent));
    t.ok(results.includes('OK') && results.includes('Failed'), 'successes before the stop, failures after');
    t.match(await page.textContent('dl'), 'Down after1 failed checks in a row');
    await page.goto(`${base}/status/no-such-target`);
    await page.waitForSelector('#list .empty');
    t.equal(await page.textContent('#list'), 'There is no target named no-such-target.');
    t.equal(await page.isVisible('#stale'), false, 'not reported as an outage');
    await page.goto(`${base}/status/web`);
    await page.waitForSelector('table.recent');
    await page.click('text=← All targets');
    await page.waitForSelector('[data-target="web"]');
    t.equal(new URL(page.url()).pathname, '/status');
  });

  await t.test('at 360 px (a phone) nothing overflows', async (t) => {
    const phone = await browser.newPage({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
    await phone.goto(`${base}/status`);
    await phone.waitForSelector('[data-target="odd"]');
    t.equal(await overflow(phone), 0, 'list: no horizontal overflow');
    await phone.goto(`${base}/status/odd`);
    await phone.waitForSelector('table.recent tbody tr');
    t.equal(await overflow(phone), 0, 'target page: no horizontal overflow');
    await phone.goto(`${base}/status/${encodeURIComponent(LONG)}`);
    await phone.waitForSelector('table.recent tbody tr');
    t.equal(await overflow(phone), 0, 'the longest name: no horizontal overflow');
    await phone.close();
  });

  t.same(errors, [], 'no script errors, no CSP violations');

  await t.test('when the exporter stops answering, the page says so instead of showing old figures as new', async (t) => {
    await page.goto(`${base}/status`);
    await page.waitForSelector('[data-target="web"]');
    t.equal(await page.isVisible('#stale'), false);
    closed = true;
    await exporter.close();
    await page.waitForSelector('#stale', { state: 'visible', timeout: 10_000 });
    t.match(await page.textContent('#stale'), /^Cannot reach the exporter \(.+\); the figures below are from .+\. Retrying every 1 s\.$/);
  });
});

t.test('status page in Chromium: a failure held while offline is shown as such, not as down', async (t) => {
  const port = await freePort();
  const dir = tmpDir(t, 'tocsin-status-held-');
  // The only connectivity target is a closed port: this exporter believes it is offline.
  const exporter = await startExporter(
    probesConfig(
      port,
      dir,
      `      - {name: gone, type: tcp, address: "127.0.0.1:${await freePort()}", environment: LIVE, interval: 1s, timeout: 500ms}\n`,
      `    connectivity:\n      interval: 1s\n      targets: [{name: gateway, type: tcp, address: "127.0.0.1:${await freePort()}", timeout: 500ms}]\n`,
    ),
    silentLogger,
  );
  t.teardown(() => exporter.close());
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 360, height: 800 } });
  await page.goto(`http://127.0.0.1:${port}/status`);
  await page.waitForSelector('[data-target="gone"] .held', { timeout: 20_000 });
  const text = await page.$eval('[data-target="gone"] .held', (e: any) => e.textContent as string);
  t.match(text, /Offline at .*connection refused.*not counted/i, `the row says so: ${text}`);
  t.equal((await rows(page)).gone, 'unknown', 'and the target is not declared down');
  await page.goto(`http://127.0.0.1:${port}/status/gone`);
  await page.waitForSelector('.held', { timeout: 20_000 });
  t.match(await page.$eval('.held', (e: any) => e.textContent as string), /not counted/, 'so does its own page');
});
