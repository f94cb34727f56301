// Side by side with Debian's prometheus-blackbox-exporter: the same servers probed through
// both /probe routes with equivalent modules; the families both serve must have the same
// names, label sets and values (durations within timing drift).
import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildExporterApp } from '../../src/exporter/app.js';
import { Scraper } from '../../src/exporter/scrape.js';
import { probesSchema } from '../../src/config/probes.js';
import { silentLogger } from '../helpers/collect.js';
import { findExporter, startExporter } from '../helpers/exporter-binary.js';
import { labelKey, parseExposition, type Exposition } from '../helpers/exposition.js';
import { freePort } from '../helpers/net.js';
import { tmpDir } from '../helpers/tmp.js';
import { httpServer, httpsServer, makeProbePki, tcpServer } from './servers.js';

// Timings differ between two clients; everything else must be equal.
const TIMINGS = new Set(['probe_duration_seconds', 'probe_http_duration_seconds', 'probe_dns_lookup_time_seconds']);
const DRIFT_SECONDS = 0.5;

function compare(t: Test, what: string, ours: Exposition, theirs: Exposition, expected: readonly string[]): void {
  const names = (e: Exposition) => new Set(e.samples.map((s) => s.name));
  const mine = names(ours);
  const shared = [...names(theirs)].filter((n) => mine.has(n)).sort();
  for (const name of expected) t.ok(shared.includes(name), `${what}: both serve ${name}`);
  for (const name of shared) {
    const series = (e: Exposition) => new Map(e.samples.filter((s) => s.name === name).map((s) => [labelKey(s.labels), s.value]));
    const a = series(ours);
    const b = series(theirs);
    t.same([...a.keys()].sort(), [...b.keys()].sort(), `${what}: ${name} has the same label sets`);
    for (const [key, value] of b) {
      const mineValue = a.get(key);
      if (mineValue === undefined) continue;
      if (TIMINGS.has(name)) t.ok(Math.abs(mineValue - value) < DRIFT_SECONDS, `${what}: ${name}{${key}} ${mineValue} ≈ ${value}`);
      else t.equal(mineValue, value, `${what}: ${name}{${key}}`);
    }
  }
}

t.test('Tocsin /probe and blackbox_exporter /probe agree', async (t) => {
  const bin = findExporter('prometheus-blackbox-exporter');
  if (!bin) throw new Error('prometheus-blackbox-exporter not found: install it with `apt-get install -y prometheus-blackbox-exporter`');
  const pki = makeProbePki(t);
  const http = await httpServer(t);
  const https = await httpsServer(t, pki.serverCert, pki.serverKey);
  const expired = await httpsServer(t, pki.expiredCert, pki.expiredKey);
  const tcpReply = await tcpServer(t, 'reply');
  const closed = await freePort();

  const dir = tmpDir(t, 'tocsin-blackbox-');
  const config = join(dir, 'blackbox.yml');
  writeFileSync(
    config,
    `modules:
  http_2xx: {prober: http, timeout: 2s}
  http_ca: {prober: http, timeout: 2s, http: {tls_config: {ca_file: ${JSON.stringify(pki.caCert)}}}}
  http_insecure: {prober: http, timeout: 2s, http: {tls_config: {insecure_skip_verify: true}}}
  http_no_redirects: {prober: http, timeout: 2s, http: {follow_redirects: false}}
  http_regex: {prober: http, timeout: 2s, http: {fail_if_body_not_matches_regexp: ["^nothing like this$"]}}
  tcp_connect: {prober: tcp, timeout: 2s}
  tcp_tls: {prober: tcp, timeout: 2s, tcp: {tls: true, tls_config: {ca_file: ${JSON.stringify(pki.caCert)}}}}
`,
  );
  const blackbox = await startExporter(t, 'prometheus-blackbox-exporter', bin, (port) => [`--config.file=${config}`, `--web.listen-address=127.0.0.1:${port}`]);
  const base = blackbox.url.replace(/\/metrics$/, '');

  const modules = probesSchema.parse({
    modules: {
      http_2xx: { type: 'http', timeout: '2s' },
      http_ca: { type: 'http', timeout: '2s', tls: { ca_file: pki.caCert } },
      http_insecure: { type: 'http', timeout: '2s', tls: { insecure_skip_verify: true } },
      http_no_redirects: { type: 'http', timeout: '2s', http: { follow_redirects: false } },
      http_regex: { type: 'http', timeout: '2s', http: { body_regex: '^nothing like this$' } },
      tcp_connect: { type: 'tcp', timeout: '2s' },
      tcp_tls: { type: 'tcp', timeout: '2s', tcp: { tls: true }, tls: { ca_file: pki.caCert } },
    },
  }).modules;
  const app = buildExporterApp({ logger: silentLogger, scraper: new Scraper({ collectors: [], logger: silentLogger }), telemetryPath: '/metrics', defaultTimeout: 10, probeModules: () => modules });
  t.teardown(() => app.close());

  const HTTP_FAMILIES = ['probe_failed_due_to_regex', 'probe_http_uncompressed_body_length', 'probe_success', 'probe_duration_seconds', 'probe_http_status_code', 'probe_http_content_length', 'probe_http_redirects', 'probe_http_ssl', 'probe_http_duration_seconds', 'probe_ip_protocol', 'probe_dns_lookup_time_seconds'];
  const cases: [string, string, string, readonly string[]][] = [
    ['healthy', `http://127.0.0.1:${http}/healthy`, 'http_2xx', [...HTTP_FAMILIES, 'probe_http_version']],
    ['500', `http://127.0.0.1:${http}/error`, 'http_2xx', [...HTTP_FAMILIES, 'probe_http_version']],
    ['redirect', `http://127.0.0.1:${http}/redirect`, 'http_2xx', HTTP_FAMILIES],
    ['redirect loop', `http://127.0.0.1:${http}/loop`, 'http_2xx', ['probe_success', 'probe_http_redirects']],
    ['redirect not followed', `http://127.0.0.1:${http}/redirect`, 'http_no_redirects', HTTP_FAMILIES],
    ['body not matching', `http://127.0.0.1:${http}/healthy`, 'http_regex', HTTP_FAMILIES],
    ['JSON', `http://127.0.0.1:${http}/health.json`, 'http_2xx', HTTP_FAMILIES],
    ['HTTPS', `https://127.0.0.1:${https}/healthy`, 'http_ca', [...HTTP_FAMILIES, 'probe_ssl_earliest_cert_expiry', 'probe_tls_version_info']],
    ['HTTPS expired, not verified', `https://127.0.0.1:${expired}/healthy`, 'http_insecure', [...HTTP_FAMILIES, 'probe_ssl_earliest_cert_expiry', 'probe_tls_version_info']],
    ['unknown CA', `https://127.0.0.1:${https}/healthy`, 'http_2xx', ['probe_success', 'probe_http_status_code']],
    ['closed port', `http://127.0.0.1:${closed}/`, 'http_2xx', ['probe_success', 'probe_http_status_code']],
    ['TCP', `127.0.0.1:${tcpReply}`, 'tcp_connect', ['probe_success', 'probe_ip_protocol', 'probe_dns_lookup_time_seconds']],
    ['TCP closed', `127.0.0.1:${closed}`, 'tcp_connect', ['probe_success']],
    ['TCP with TLS', `127.0.0.1:${https}`, 'tcp_tls', ['probe_success', 'probe_ssl_earliest_cert_expiry', 'probe_tls_version_info']],
  ];
  for (const [what, target, module, expected] of cases) {
    const query = `target=${encodeURIComponent(target)}&module=${module}`;
    const res = await fetch(`${base}/probe?${query}`, { signal: AbortSignal.timeout(10_000) });
    t.equal(res.status, 200, `${what}: blackbox_exporter answered`);
    const theirs = parseExposition(await res.text());
    const ours = await app.inject({ url: `/probe?${query}` });
    t.equal(ours.statusCode, 200, `${what}: Tocsin answered`);
    compare(t, what, parseExposition(ours.body), theirs, expected);
  }
});

t.test('/probe refuses bad requests naming the parameter', async (t) => {
  const modules = probesSchema.parse({}).modules;
  const app = buildExporterApp({ logger: silentLogger, scraper: new Scraper({ collectors: [], logger: silentLogger }), telemetryPath: '/metrics', defaultTimeout: 10, probeModules: () => modules });
  t.teardown(() => app.close());
  const cases: [string, RegExp][] = [
    ['/probe', /^target: a target parameter is required/],
    ['/probe?target=http://x/&module=nope', /^module: unknown module "nope" \(known: http_2xx, tcp_connect, websocket\)/],
    ['/probe?target=not%20a%20url&module=http_2xx', /^target: expected a URL/],
    ['/probe?target=example.com&module=tcp_connect', /^target: a tcp target needs host:port/],
  ];
  for (const [url, message] of cases) {
    const res = await app.inject({ url });
    t.equal(res.statusCode, 400, url);
    t.match(res.json<{ message: string }>().message, message, url);
  }
});
