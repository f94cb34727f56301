// --web.config.file: strict validation naming the path, and real TLS (certificates made by
// openssl, requests made by curl) with each client_auth_type, basic auth and headers.
import t, { type Test } from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import type { FastifyInstance } from 'fastify';
import { ConfigError } from '../../src/config/load.js';
import { BasicAuthVerifier } from '../../src/http/basic-auth.js';
import { opsRoutes } from '../../src/http/ops.js';
import { createServer } from '../../src/http/server.js';
import { loadWebConfig, WebSettings, type WebConfig } from '../../src/http/web-config.js';
import { runCli, type Io } from '../../src/cli/cli.js';
import { curl, makePki } from '../helpers/certs.js';
import { silentLogger } from '../helpers/collect.js';

const pki = makePki();
const dir = mkdtempSync(join(tmpdir(), 'tocsin-webcfg-'));
t.teardown(() => {
  pki.remove();
  rmSync(dir, { recursive: true, force: true });
});
const HASH = bcrypt.hashSync('hunter2-but-longer', 4);

function webFile(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

async function problems(text: string): Promise<string> {
  try {
    await loadWebConfig(webFile('bad.yml', text));
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const tlsBlock = (extra = '') => `tls_server_config:\n  cert_file: ${pki.serverCert}\n  key_file: ${pki.serverKey}\n${extra}`;

t.test('validation: every mistake names its path', async (t) => {
  t.match(await problems('tls_server_confg: {}\n'), 'unknown key "tls_server_confg"');
  t.match(await problems(tlsBlock('  client_auth_type: RequireClientCertificate\n')), 'tls_server_config.client_auth_type');
  t.match(await problems(`tls_server_config:\n  cert_file: ${pki.serverCert}\n`), 'tls_server_config.key_file: missing key_file');
  t.match(await problems(tlsBlock('  min_version: TLS14\n')), 'tls_server_config.min_version');
  t.match(await problems(tlsBlock('  min_version: TLS13\n  max_version: TLS12\n')), 'tls_server_config.max_version: max_version TLS12 is below min_version TLS13');
  t.match(await problems(tlsBlock('  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_FANCY]\n')), 'tls_server_config.cipher_suites[1]: unknown cipher suite');
  t.match(await problems(tlsBlock(`  client_ca_file: ${pki.caCert}\n`)), 'tls_server_config.client_ca_file: client_ca_file is set but client_auth_type is NoClientCert');
  t.match(await problems(`tls_server_config:\n  cert_file: nowhere.crt\n  key_file: ${pki.serverKey}\n`), `tls_server_config.cert_file: cannot read ${join(dir, 'nowhere.crt')}: ENOENT`);
  t.match(await problems(`tls_server_config:\n  cert_file: ${pki.caCert}\n  key_file: ${pki.serverKey}\n`), /tls_server_config: cannot use cert_file\/key_file/);
  t.match(await problems('http_server_config:\n  headers:\n    X-Powered-By: tocsin\n'), 'http_server_config.headers.X-Powered-By: header not allowed');
  t.match(await problems('http_server_config:\n  headers:\n    X-Frame-Options: allow\n'), 'http_server_config.headers.X-Frame-Options: expected one of deny, sameorigin');
  const bad = await problems('basic_auth_users:\n  alice: plain-text-password\n');
  t.match(bad, 'basic_auth_users.alice: expected a bcrypt hash');
  t.notMatch(bad, 'plain-text-password', 'the value is not echoed');
});

t.test('paths are relative to the web config file, not the working directory', async (t) => {
  const sub = join(dir, 'conf');
  mkdirSync(sub, { recursive: true });
  writeFileSync(join(sub, 'server.crt'), '');
  const file = join(sub, 'web.yml');
  writeFileSync(file, `tls_server_config:\n  cert_file: ../../${pki.dir.split('/').pop()}/server.crt\n  key_file: ${pki.serverKey}\n`);
  // ../../<pki dir> from <tmp>/<dir>/conf is <tmp>/<pki dir>: found only when resolved from the file's directory.
  const loaded = await loadWebConfig(file);
  t.ok(loaded.tls, 'certificate found relative to the file');
});

t.test('the CLI exits 1 naming the web config file and the field', async (t) => {
  const file = webFile('cli-bad.yml', 'basic_auth_users:\n  bob: nope\n');
  const err: string[] = [];
  const io: Io = { out: () => undefined, err: (s) => err.push(s), env: {} };
  t.equal(await runCli(['exporter', `--web.config.file=${file}`, '--web.listen-address=127.0.0.1:0'], io), 1);
  t.match(err.join(''), file);
  t.match(err.join(''), 'basic_auth_users.bob');

  const out: string[] = [];
  const both: Io = { out: (s) => out.push(s), err: (s) => err.push(s), env: {} };
  const config = webFile('tocsin.yml', '');
  t.equal(await runCli(['check-config', config, `--web.config.file=${file}`], both), 1, 'check-config checks the web config file too');
  const good = webFile('cli-good.yml', `basic_auth_users:\n  bob: ${JSON.stringify(HASH)}\n`);
  t.equal(await runCli(['check-config', config, `--web.config.file=${good}`], both), 0);
  t.match(out.join(''), `${good}: OK`);
});

async function serve(t: Test, web: WebConfig): Promise<{ url: string; app: FastifyInstance; settings: WebSettings }> {
  const settings = new WebSettings(web);
  const app = createServer({ logger: silentLogger, web: settings });
  app.register(opsRoutes, { title: 'test', version: '0', links: [] });
  t.teardown(() => app.close());
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url, app, settings };
}

t.test('TLS: curl succeeds with the CA, fails without it; headers are sent', async (t) => {
  const web = await loadWebConfig(webFile('tls.yml', `${tlsBlock()}http_server_config:\n  headers:\n    X-Frame-Options: deny\n    Strict-Transport-Security: max-age=31536000\n`));
  const { url } = await serve(t, web);
  t.match(url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const ok = await curl(['--cacert', pki.caCert, `${url}/-/healthy`]);
  t.equal(ok.exit, 0, ok.stderr);
  t.equal(ok.status, 200);
  const without = await curl([`${url}/-/healthy`]);
  t.equal(without.exit, 60, 'curl: the server certificate is not trusted without the CA');
  t.equal(without.status, 0);
  const headers = await fetchHeaders(url);
  t.equal(headers['x-frame-options'], 'deny');
  t.equal(headers['strict-transport-security'], 'max-age=31536000');
  t.equal((await curl([`${url.replace('https:', 'http:')}/-/healthy`])).status === 200, false, 'no plain HTTP on a TLS listener');
});

async function fetchHeaders(url: string): Promise<Record<string, string>> {
  const { execFile } = await import('node:child_process');
  const out = await new Promise<string>((resolve, reject) =>
    execFile('curl', ['-sS', '-o', '/dev/null', '-D', '-', '--max-time', '10', '--cacert', pki.caCert, `${url}/-/healthy`], { encoding: 'utf8' }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    ),
  );
  const headers: Record<string, string> = {};
  for (const line of out.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

t.test('RequireAndVerifyClientCert: no certificate or one from another CA is refused; ours is accepted', async (t) => {
  const web = await loadWebConfig(webFile('mtls.yml', tlsBlock(`  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ${pki.caCert}\n`)));
  const { url } = await serve(t, web);
  const none = await curl(['--cacert', pki.caCert, `${url}/-/healthy`]);
  t.not(none.exit, 0, 'refused without a client certificate');
  t.equal(none.status, 0);
  const stranger = await curl(['--cacert', pki.caCert, '--cert', pki.strangerCert, '--key', pki.strangerKey, `${url}/-/healthy`]);
  t.equal(stranger.status, 0, 'refused with a certificate from another CA');
  const ok = await curl(['--cacert', pki.caCert, '--cert', pki.clientCert, '--key', pki.clientKey, `${url}/-/healthy`]);
  t.equal(ok.exit, 0, ok.stderr);
  t.equal(ok.status, 200);
});

t.test('VerifyClientCertIfGiven and RequireAnyClientCert', async (t) => {
  const ifGiven = await serve(t, await loadWebConfig(webFile('ifgiven.yml', tlsBlock(`  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: ${pki.caCert}\n`))));
  t.equal((await curl(['--cacert', pki.caCert, `${ifGiven.url}/-/healthy`])).status, 200, 'none given: fine');
  t.equal((await curl(['--cacert', pki.caCert, '--cert', pki.clientCert, '--key', pki.clientKey, `${ifGiven.url}/-/healthy`])).status, 200);
  t.equal((await curl(['--cacert', pki.caCert, '--cert', pki.strangerCert, '--key', pki.strangerKey, `${ifGiven.url}/-/healthy`])).status, 0, 'an unverifiable one is refused');
  const any = await serve(t, await loadWebConfig(webFile('any.yml', tlsBlock('  client_auth_type: RequireAnyClientCert\n'))));
  t.equal((await curl(['--cacert', pki.caCert, `${any.url}/-/healthy`])).status, 0, 'none given: refused');
  t.equal((await curl(['--cacert', pki.caCert, '--cert', pki.strangerCert, '--key', pki.strangerKey, `${any.url}/-/healthy`])).status, 200, 'any certificate will do');
});

t.test('min_version TLS13 refuses a TLS 1.2 client; cipher_suites limit TLS 1.2', async (t) => {
  const v13 = await serve(t, await loadWebConfig(webFile('v13.yml', tlsBlock('  min_version: TLS13\n'))));
  t.equal((await curl(['--cacert', pki.caCert, '--tls-max', '1.2', `${v13.url}/-/healthy`])).status, 0);
  t.equal((await curl(['--cacert', pki.caCert, `${v13.url}/-/healthy`])).status, 200);
  const ciphers = await serve(
    t,
    await loadWebConfig(webFile('ciphers.yml', tlsBlock('  max_version: TLS12\n  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]\n'))),
  );
  t.equal((await curl(['--cacert', pki.caCert, '--ciphers', 'ECDHE-ECDSA-AES128-GCM-SHA256', `${ciphers.url}/-/healthy`])).status, 0, 'another suite is refused');
  t.equal((await curl(['--cacert', pki.caCert, '--ciphers', 'ECDHE-ECDSA-AES256-GCM-SHA384', `${ciphers.url}/-/healthy`])).status, 200, 'the listed suite works');
});

t.test('basic auth: 401 with WWW-Authenticate without or with wrong credentials, 200 with them', async (t) => {
  const web = await loadWebConfig(webFile('users.yml', `${tlsBlock()}basic_auth_users:\n  prometheus: ${JSON.stringify(HASH)}\n`));
  const { url, app } = await serve(t, web);
  t.equal((await curl(['--cacert', pki.caCert, `${url}/-/healthy`])).status, 401);
  t.equal((await curl(['--cacert', pki.caCert, '-u', 'prometheus:wrong', `${url}/-/healthy`])).status, 401);
  t.equal((await curl(['--cacert', pki.caCert, '-u', 'nobody:hunter2-but-longer', `${url}/-/healthy`])).status, 401);
  t.equal((await curl(['--cacert', pki.caCert, '-u', 'prometheus:hunter2-but-longer', `${url}/-/healthy`])).status, 200);
  const res = await app.inject('/-/healthy');
  t.equal(res.statusCode, 401);
  t.equal(res.headers['www-authenticate'], 'Basic');
  t.match(res.json(), { statusCode: 401, error: 'Unauthorized' });
  t.equal((await app.inject('/no-such-page')).statusCode, 401, 'every path, not only known routes');
});

t.test('a successful bcrypt check is cached; failures are not', async (t) => {
  const verifier = new BasicAuthVerifier();
  const users = new Map([['prometheus', HASH]]);
  const header = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
  for (let i = 0; i < 5; i++) t.equal(await verifier.verify(users, header('prometheus', 'hunter2-but-longer')), true);
  t.equal(verifier.comparisons, 1, 'five scrapes, one bcrypt comparison');
  for (let i = 0; i < 3; i++) t.equal(await verifier.verify(users, header('prometheus', 'guess')), false);
  t.equal(verifier.comparisons, 4, 'every wrong guess pays bcrypt');
  const changed = new Map([['prometheus', bcrypt.hashSync('new-password', 4)]]);
  t.equal(await verifier.verify(changed, header('prometheus', 'hunter2-but-longer')), false, 'a changed hash is not served from the cache');
});

t.test('the shipped examples/web-config.yml is valid (with its certificate files beside it)', async (t) => {
  const { copyFileSync, readFileSync } = await import('node:fs');
  const { fileURLToPath } = await import('node:url');
  const example = fileURLToPath(new URL('../../examples/web-config.yml', import.meta.url));
  const copy = join(dir, 'example');
  mkdirSync(copy, { recursive: true });
  copyFileSync(example, join(copy, 'web-config.yml'));
  copyFileSync(pki.serverCert, join(copy, 'tocsin.crt'));
  copyFileSync(pki.serverKey, join(copy, 'tocsin.key'));
  const web = await loadWebConfig(join(copy, 'web-config.yml'));
  t.equal(web.tls?.clientAuth, 'NoClientCert');
  t.equal(web.headers['X-Frame-Options'], 'deny');
  t.equal(await bcrypt.compare('changeme', web.users.get('prometheus')!), true, 'the documented password matches the hash');
  t.match(readFileSync(example, 'utf8'), /htpasswd -nBC/);
});
