// /metrics gzipped when the scraper asks for it (Prometheus sends Accept-Encoding: gzip),
// plain otherwise; checked on the real exporter with curl, byte for byte as it is sent.
import t, { type Test } from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { metricsEncoding } from '../../src/http/accept-encoding.js';
import { requireBinary } from '../helpers/bin.js';
import { camelCaseFamilies, promtoolCheckMetrics } from '../helpers/promtool.js';
import { parseExposition, value } from '../helpers/exposition.js';
import { startTocsin } from '../helpers/tocsin-process.js';
import { stopChild } from '../helpers/child.js';
import { freePort } from '../helpers/net.js';

interface Fetched {
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/** GET with curl; `args` add request headers or --compressed. Response headers lower-cased. */
function curl(url: string, args: readonly string[]): Fetched {
  const bin = requireBinary('curl', 'curl');
  // -D - puts the headers first on stdout, then the body as received (or as decoded with --compressed).
  const res = spawnSync(bin, ['-sS', '--max-time', '20', '-D', '-', ...args, url], { timeout: 30_000 });
  if (res.status !== 0) throw new Error(`curl failed: ${res.stderr.toString()}`);
  const out = res.stdout;
  const end = out.indexOf('\r\n\r\n');
  const headers: Record<string, string> = {};
  for (const line of out.subarray(0, end).toString('latin1').split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body: out.subarray(end + 4) };
}

function assertValidExposition(t: Test, text: string, what: string): void {
  const exp = parseExposition(text);
  t.equal(value(exp, 'tocsin_collector_success', { collector: 'meminfo' }), 1, `${what}: meminfo collected`);
  const check = promtoolCheckMetrics(text);
  t.same(check.unexpected, [], `${what}: promtool check metrics clean`);
  t.same(check.camelCase, camelCaseFamilies(exp.types.keys()));
}

t.test('gzip only when asked for, and what is sent decompresses to a valid exposition', async (t) => {
  const tocsin = await startTocsin(['exporter', '--web.listen-address=127.0.0.1:0']);
  t.teardown(() => tocsin.stop());
  const url = `${tocsin.url}/metrics`;

  const asPrometheus = curl(url, ['-H', 'Accept-Encoding: gzip']);
  t.equal(asPrometheus.headers['content-encoding'], 'gzip');
  t.match(asPrometheus.headers['vary'] ?? '', /Accept-Encoding/i);
  t.same([...asPrometheus.body.subarray(0, 2)], [0x1f, 0x8b], 'the body on the wire is gzip');
  const unzipped = gunzipSync(asPrometheus.body).toString('utf8');
  assertValidExposition(t, unzipped, 'gunzipped');

  const compressed = curl(url, ['--compressed']);
  t.equal(compressed.headers['content-encoding'], 'gzip');
  assertValidExposition(t, compressed.body.toString('utf8'), 'curl --compressed');

  const plain = curl(url, []); // curl sends no Accept-Encoding by default
  t.equal(plain.headers['content-encoding'], undefined, 'no gzip when not asked');
  t.match(plain.body.toString('utf8'), /^# HELP /);
  assertValidExposition(t, plain.body.toString('utf8'), 'plain');
  t.ok(asPrometheus.body.length * 3 < plain.body.length, `gzip saves (${asPrometheus.body.length} vs ${plain.body.length} bytes)`);

  const refused = curl(url, ['-H', 'Accept-Encoding: gzip;q=0, identity']);
  t.equal(refused.headers['content-encoding'], undefined, 'gzip;q=0 is a refusal');
  t.match(refused.body.toString('utf8'), /^# HELP /);

  const openMetrics = curl(url, ['-H', 'Accept-Encoding: gzip', '-H', 'Accept: application/openmetrics-text;version=1.0.0']);
  t.equal(openMetrics.headers['content-encoding'], 'gzip');
  t.match(gunzipSync(openMetrics.body).toString('utf8'), /# EOF\n$/, 'OpenMetrics gzipped too');
});

/** One number from Prometheus's query API, or undefined while the query has no result. */
async function query(prometheus: string, expr: string): Promise<number | undefined> {
  const res = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { data?: { result?: Array<{ value: [number, string] }> } };
  const v = body.data?.result?.[0]?.value[1];
  return v === undefined ? undefined : Number(v);
}

t.test('a real Prometheus (OpenMetrics, gzip) ingests every collector', async (t) => {
  const prometheusBin = requireBinary('prometheus', 'prometheus');
  const tocsin = await startTocsin(['exporter', '--web.listen-address=127.0.0.1:0']);
  t.teardown(() => tocsin.stop());
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-prom-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global: { scrape_interval: 1s, scrape_timeout: 1s }\nscrape_configs:\n  - job_name: tocsin\n    static_configs: [{ targets: ['${new URL(tocsin.url).host}'] }]\n`,
  );
  const port = await freePort();
  const prom = spawn(
    prometheusBin,
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
    { stdio: 'ignore' },
  );
  t.teardown(() => stopChild(prom));
  const url = `http://127.0.0.1:${port}`;

  const plain = parseExposition(curl(`${tocsin.url}/metrics`, []).body.toString('utf8'));
  const collectors = plain.samples.filter((s) => s.name === 'tocsin_collector_success').length;
  let scraped: number | undefined;
  let collectorsUp: number | undefined;
  for (let i = 0; i < 60 && collectorsUp !== collectors; i++) {
    await sleep(500);
    try {
      scraped = await query(url, 'scrape_samples_scraped{job="tocsin"}');
      collectorsUp = await query(url, 'sum(tocsin_collector_success{job="tocsin"})');
    } catch {
      // Prometheus not listening yet
    }
  }
  t.equal(await query(url, 'up{job="tocsin"}'), 1, 'target up');
  t.equal(collectorsUp, collectors, `every collector's success 1 as Prometheus read it (${collectors})`);
  t.ok(scraped !== undefined && Math.abs(scraped - plain.samples.length) < 0.1 * plain.samples.length, `${scraped} samples scraped, ${plain.samples.length} in a plain scrape`);
  t.equal(await query(url, 'count(process_cpu_seconds_total{job="tocsin"})'), 1, 'the OpenMetrics counter stored under its _total name');
});

t.test('metricsEncoding reads Accept-Encoding as RFC 9110 says', async (t) => {
  t.equal(metricsEncoding('gzip'), 'gzip', 'what Prometheus sends');
  t.equal(metricsEncoding('gzip, deflate, br'), 'gzip');
  t.equal(metricsEncoding('br;q=1.0, GZIP;q=0.5'), 'gzip');
  t.equal(metricsEncoding('x-gzip'), 'gzip');
  t.equal(metricsEncoding('*'), 'gzip');
  t.equal(metricsEncoding(undefined), 'identity');
  t.equal(metricsEncoding(''), 'identity');
  t.equal(metricsEncoding('identity'), 'identity');
  t.equal(metricsEncoding('br, deflate'), 'identity');
  t.equal(metricsEncoding('gzip;q=0'), 'identity');
  t.equal(metricsEncoding('*, gzip;q=0'), 'identity', 'an explicit refusal wins over *');
  t.equal(metricsEncoding(['deflate', 'gzip']), 'gzip', 'repeated headers');
});
