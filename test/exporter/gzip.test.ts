// /metrics gzipped when the scraper asks for it (Prometheus sends Accept-Encoding: gzip),
// plain otherwise; checked on the real exporter with curl, byte for byte as it is sent.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { metricsEncoding } from '../../src/exporter/accept-encoding.js';
import { requireBinary } from '../helpers/bin.js';
import { camelCaseFamilies, promtoolCheckMetrics } from '../helpers/promtool.js';
import { parseExposition, value } from '../helpers/exposition.js';
import { startTocsin } from '../helpers/tocsin-process.js';

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
