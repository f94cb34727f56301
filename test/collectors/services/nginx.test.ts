// The nginx collector against a real nginx (Debian's `nginx`) started by the test: values
// that move under a bounded load, several endpoints with the `endpoint` label, endpoints that
// fail in every way (refused, hung, 404, not a stub_status page, wrong password) giving
// nginx_up 0 and one log line per change of state but never a failed scrape, basic auth from a
// password file, TLS with a CA file, and the config refusing secrets in the file.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNginxCollector } from '../../../src/collectors/services/nginx.js';
import { configSchema } from '../../../src/config/schema.js';
import { select, value, type Exposition } from '../../helpers/exposition.js';
import { freePort } from '../../helpers/net.js';
import { loadNginx, startNginx } from '../../helpers/nginx-server.js';
import { serviceScraper } from '../../helpers/service-scraper.js';


/** A Scraper over one nginx collector built from `section` (exporter.collectors.nginx), keeping its log lines. */
function setup(t: { teardown(f: () => unknown): void }, section: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) {
  return serviceScraper(t, 'nginx', createNginxCollector, section, env);
}

/** A server that accepts connections and never answers (a hung nginx); its port. */
async function hungServer(t: { teardown(f: () => unknown): void }): Promise<number> {
  const sockets: Socket[] = [];
  const hung = createServer((s) => sockets.push(s));
  hung.listen(0, '127.0.0.1');
  await once(hung, 'listening');
  t.teardown(() => {
    sockets.forEach((s) => s.destroy());
    hung.close();
  });
  return (hung.address() as { port: number }).port;
}

const success = (exp: Exposition) => value(exp, 'tocsin_collector_success', { collector: 'nginx' });

t.test('one endpoint: the families nginx-prometheus-exporter serves, moving under load', async (t) => {
  const nginx = await startNginx(t);
  const { scrape } = setup(t, { endpoints: [{ url: nginx.statusUrl }] });
  const first = await scrape();
  t.equal(success(first), 1, 'collector succeeded');
  t.equal(value(first, 'nginx_up'), 1, 'nginx_up 1');
  t.same(select(first, 'nginx_up')[0]!.labels, {}, 'one endpoint: no endpoint label');

  const N = 200;
  await loadNginx(nginx.base, N);
  const second = await scrape();
  const grew = (name: string) => value(second, name) - value(first, name);
  // Each GET of / is one request on its own connection; the collector's read of the page is one more.
  t.ok(grew('nginx_http_requests_total') >= N + 1, `requests grew by ${grew('nginx_http_requests_total')} (>= ${N + 1})`);
  t.ok(grew('nginx_connections_accepted') >= N, `accepted grew by ${grew('nginx_connections_accepted')} (>= ${N})`);
  t.equal(value(second, 'nginx_connections_handled'), value(second, 'nginx_connections_accepted'), 'nothing dropped: handled = accepted');
  // The collector's own request is active and being written to when nginx renders the page.
  t.ok(value(second, 'nginx_connections_active') >= 1, 'active >= 1 (this read)');
  t.ok(value(second, 'nginx_connections_writing') >= 1, 'writing >= 1 (this read)');
  t.equal(
    value(second, 'nginx_connections_active'),
    value(second, 'nginx_connections_reading') + value(second, 'nginx_connections_writing') + value(second, 'nginx_connections_waiting'),
    'active = reading + writing + waiting',
  );
});

t.test('several endpoints: an endpoint label each, named or host:port; failures give nginx_up 0 and a served scrape', async (t) => {
  const nginx = await startNginx(t, { server: 'location = /missing { return 404; }' });
  const closed = await freePort();
  const hungPort = await hungServer(t);

  const { scrape, lines } = setup(t, {
    timeout: '1s',
    endpoints: [
      { url: nginx.statusUrl },
      { url: `http://127.0.0.1:${closed}/nginx_status` },
      { url: `http://127.0.0.1:${hungPort}/nginx_status`, name: 'hung' },
      { url: `${nginx.base}/missing`, name: 'missing' },
      { url: `${nginx.base}/`, name: 'not-stub-status' },
    ],
  });
  const started = Date.now();
  const exp = await scrape(10);
  const took = Date.now() - started;
  t.equal(success(exp), 1, 'the collector succeeds: failures are nginx_up 0, not a failed scrape');
  t.ok(took < 5_000, `the hung endpoint costs its timeout (1 s), not the scrape deadline: took ${took} ms`);
  const up = (endpoint: string) => value(exp, 'nginx_up', { endpoint });
  t.equal(up(`127.0.0.1:${nginx.port}`), 1, 'unnamed endpoint labelled host:port');
  t.equal(up(`127.0.0.1:${closed}`), 0, 'refused -> 0');
  t.equal(up('hung'), 0, 'hung -> 0');
  t.equal(up('missing'), 0, '404 -> 0');
  t.equal(up('not-stub-status'), 0, 'a 200 that is not a stub_status page -> 0');
  t.equal(select(exp, 'nginx_http_requests_total').length, 1, 'values only for the endpoint that answered');
  t.ok(value(exp, 'nginx_http_requests_total', { endpoint: `127.0.0.1:${nginx.port}` }) >= 1, 'with its label');

  const reasons = (target: string) => lines.filter((l) => l.target === target && l.msg === 'service not reachable').map((l) => l.err ?? '');
  t.match(reasons(`127.0.0.1:${closed}`), [/ECONNREFUSED/], 'refused: the reason is logged');
  t.match(reasons('hung'), [/no answer within 1 s/], 'hung: the reason is logged');
  t.match(reasons('missing'), [/HTTP 404/], '404: the reason is logged');
  t.match(reasons('not-stub-status'), [/not an nginx stub_status page/], 'wrong page: the reason is logged');

  await scrape(10);
  await scrape(10);
  t.equal(lines.filter((l) => l.msg === 'service not reachable').length, 4, 'three scrapes, one line per failing endpoint: logged on change only');

  // nginx stops: its endpoint goes down (logged once), then comes back on the same port (logged once).
  await nginx.stop();
  const down = await scrape(10);
  t.equal(down.samples.find((s) => s.name === 'nginx_up' && s.labels.endpoint === `127.0.0.1:${nginx.port}`)?.value, 0, 'stopped nginx -> 0');
  t.equal(success(down), 1, 'still a successful collector');
  await startNginx(t, { port: nginx.port }, nginx.dir);
  const back = await scrape(10);
  t.equal(value(back, 'nginx_up', { endpoint: `127.0.0.1:${nginx.port}` }), 1, 'restarted nginx -> 1');
  t.equal(reasons(`127.0.0.1:${nginx.port}`).length, 1, 'one line when it went down');
  t.equal(lines.filter((l) => l.target === `127.0.0.1:${nginx.port}` && l.msg === 'service reachable again').length, 1, 'one line when it came back');
});

t.test('a scrape deadline shorter than the timeout: nginx_up 0 before the deadline, not a cut-off collector', async (t) => {
  const hungPort = await hungServer(t);
  const { scrape, lines } = setup(t, { timeout: '5s', endpoints: [{ url: `http://127.0.0.1:${hungPort}/nginx_status` }] });
  const started = Date.now();
  const exp = await scrape(2);
  const took = Date.now() - started;
  t.equal(success(exp), 1, 'the collector succeeds');
  t.equal(value(exp, 'nginx_up'), 0, 'nginx_up 0 is served');
  t.ok(took < 2_000, `within the 2 s scrape deadline: ${took} ms`);
  t.match(lines.find((l) => l.msg === 'service not reachable')?.err, /no answer within 1\.8 s/, 'waited 90% of the time left');
});

t.test('basic auth from a password file or ${ENV}; a wrong password is nginx_up 0 and never logged', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-nginx-auth-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const password = 'correct-horse-battery-staple';
  const wrong = 'wrong-password-never-logged';
  // nginx reads {PLAIN} passwords from auth_basic_user_file (no crypt tool needed).
  writeFileSync(join(dir, 'htpasswd'), `tocsin:{PLAIN}${password}\n`);
  writeFileSync(join(dir, 'good'), `${password}\n`);
  const nginx = await startNginx(t, {
    server: `location = /secure_status { stub_status; auth_basic "status"; auth_basic_user_file ${join(dir, 'htpasswd')}; }`,
  });
  const url = `${nginx.base}/secure_status`;
  const { scrape, raw } = setup(
    t,
    {
      endpoints: [
        { url, name: 'file', basic_auth: { username: 'tocsin', password_file: join(dir, 'good') } },
        { url, name: 'env', basic_auth: { username: 'tocsin', password: '${NGINX_STATUS_PASSWORD}' } },
        { url, name: 'wrong', basic_auth: { username: 'tocsin', password: '${NGINX_WRONG_PASSWORD}' } },
        { url, name: 'none' },
      ],
    },
    { NGINX_STATUS_PASSWORD: password, NGINX_WRONG_PASSWORD: wrong },
  );
  const exp = await scrape();
  t.equal(value(exp, 'nginx_up', { endpoint: 'file' }), 1, 'password_file');
  t.equal(value(exp, 'nginx_up', { endpoint: 'env' }), 1, '${ENV}');
  t.equal(value(exp, 'nginx_up', { endpoint: 'wrong' }), 0, 'wrong password -> 0');
  t.equal(value(exp, 'nginx_up', { endpoint: 'none' }), 0, 'no credentials -> 0');
  t.match(raw.join('\n'), /HTTP 401/, 'the log says 401');
  t.notMatch(raw.join('\n'), new RegExp(`${password}|${wrong}|Basic `), 'no password (or header) in the log');
});

t.test('TLS: verified with ca_file, refused without it, accepted with insecure_skip_verify', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-nginx-tls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  } catch {
    t.fail('openssl not found: apt-get install -y openssl');
    return;
  }
  const nginx = await startNginx(t, { listen: 'ssl', server: `ssl_certificate ${cert}; ssl_certificate_key ${key};` });
  const { scrape, lines } = setup(t, {
    endpoints: [
      { url: nginx.statusUrl, name: 'ca', tls: { ca_file: cert } },
      { url: nginx.statusUrl, name: 'unverified' },
      { url: nginx.statusUrl, name: 'insecure', tls: { insecure_skip_verify: true } },
    ],
  });
  const exp = await scrape();
  t.equal(value(exp, 'nginx_up', { endpoint: 'ca' }), 1, 'verified against ca_file');
  t.equal(value(exp, 'nginx_up', { endpoint: 'unverified' }), 0, 'a self-signed certificate is refused by default');
  t.match(lines.find((l) => l.target === 'unverified')?.err, /SELF_SIGNED|self[- ]signed/i, 'and the reason says so');
  t.equal(value(exp, 'nginx_up', { endpoint: 'insecure' }), 1, 'insecure_skip_verify accepts it');
});

t.test('config: secrets never inline, endpoints required when enabled, distinct names', async (t) => {
  const parse = (nginx: unknown) => configSchema.safeParse({ exporter: { collectors: { nginx } } });
  const messages = (r: ReturnType<typeof parse>) => (r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  t.equal(parse({}).success, true, 'off by default, no endpoints needed');
  t.match(messages(parse({ enabled: true })), [/nginx.endpoints: .*no endpoints/], 'enabled needs endpoints');
  t.match(
    messages(parse({ enabled: true, endpoints: [{ url: 'http://127.0.0.1/s', basic_auth: { username: 'u', password: 'hunter2' } }] })),
    [/basic_auth.password: secrets must not be written into the config file/],
    'an inline password is refused',
  );
  const inUrl = messages(parse({ enabled: true, endpoints: [{ url: 'http://u:hunter2@127.0.0.1/s' }] }));
  t.match(inUrl, [/endpoints.0.url: credentials must not be written into the URL/], 'credentials in the URL are refused');
  t.notMatch(inUrl.join(), /hunter2/, 'without echoing them');
  t.match(messages(parse({ enabled: true, endpoints: [{ url: 'ftp://127.0.0.1/s' }] })), [/url: expected an http/], 'http(s) only');
  t.match(
    messages(parse({ enabled: true, endpoints: [{ url: 'http://127.0.0.1:8080/a' }, { url: 'http://127.0.0.1:8080/b' }] })),
    [/duplicate endpoint "127.0.0.1:8080"/],
    'two endpoints with the same label are refused',
  );
});
