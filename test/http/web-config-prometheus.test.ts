// The real thing: `tocsin exporter --web.config.file` serving TLS with basic auth, curl and a
// real Prometheus (Debian's prometheus) scraping it with the CA and the password.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { startChild } from '../../src/stack/child.js';
import { requireBinary } from '../helpers/bin.js';
import { curl, makePki } from '../helpers/certs.js';
import { freePort } from '../helpers/net.js';
import { until } from '../helpers/stack.js';
import { startTocsin } from '../helpers/tocsin-process.js';

t.test('Prometheus scrapes the exporter over TLS with basic auth: up == 1', async (t) => {
  const prometheusBin = requireBinary('prometheus', 'prometheus');
  const pki = makePki();
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-webprom-'));
  t.teardown(() => {
    pki.remove();
    rmSync(dir, { recursive: true, force: true });
  });
  const password = 'a-long-scrape-password';
  const webConfig = join(dir, 'web.yml');
  writeFileSync(
    webConfig,
    `tls_server_config:
  cert_file: ${pki.serverCert}
  key_file: ${pki.serverKey}
basic_auth_users:
  prometheus: ${JSON.stringify(bcrypt.hashSync(password, 6))}
`,
  );
  const config = join(dir, 'tocsin.yml');
  writeFileSync(config, 'exporter:\n  listen_address: 127.0.0.1:0\n  collectors: {process: {enabled: false}, filesystem: {enabled: false}}\n');
  const tocsin = await startTocsin(['exporter', `--config.file=${config}`, `--web.config.file=${webConfig}`]);
  t.teardown(() => tocsin.stop());
  t.match(tocsin.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const metrics = `${tocsin.url}/metrics`;

  t.equal((await curl(['-u', `prometheus:${password}`, metrics])).exit, 60, 'without the CA curl does not trust the server');
  t.equal((await curl(['--cacert', pki.caCert, metrics])).status, 401, 'no credentials: 401');
  t.equal((await curl(['--cacert', pki.caCert, '-u', 'prometheus:wrong', metrics])).status, 401, 'wrong password: 401');
  t.equal((await curl(['--cacert', pki.caCert, '-u', `prometheus:${password}`, metrics])).status, 200, 'CA and password: 200');
  t.notMatch(tocsin.stderr(), password, 'the password is not logged');

  const promPort = await freePort();
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global: {scrape_interval: 1s, scrape_timeout: 1s}
scrape_configs:
  - job_name: tocsin
    scheme: https
    tls_config: {ca_file: ${pki.caCert}}
    basic_auth: {username: prometheus, password: ${password}}
    static_configs: [{targets: ['127.0.0.1:${new URL(tocsin.url).port}']}]
`,
  );
  const prometheus = await startChild(
    'prometheus',
    prometheusBin,
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${promPort}`],
    { logFile: join(dir, 'prometheus.log'), readyUrl: `http://127.0.0.1:${promPort}/-/ready` },
  );
  t.teardown(() => prometheus.stop());
  const query = async (expr: string) => {
    const res = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(expr)}`);
    return ((await res.json()) as { data: { result: { value: [number, string] }[] } }).data.result;
  };
  const up = await until('up{job="tocsin"} == 1', 30_000, async () => {
    const r = await query('up{job="tocsin"}');
    return r[0]?.value[1] === '1' ? r : undefined;
  });
  t.equal(up[0]!.value[1], '1');
  t.equal((await query('tocsin_build_info{job="tocsin"}')).length, 1, "the exporter's own series arrived");
});
