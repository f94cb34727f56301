// The web config beyond a single listener: basic auth users change on reload, TLS mode changes
// are reported as needing a restart, and on the relay a web-config user is accepted by the
// webhook route in place of relay.auth's token (Alertmanager can send only one credential).
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { parseConfig } from '../../src/config/load.js';
import { opsRoutes } from '../../src/http/ops.js';
import { createServer } from '../../src/http/server.js';
import { loadWebConfig, NO_WEB_CONFIG, WebSettings } from '../../src/http/web-config.js';
import { createRelay } from '../../src/relay/server.js';
import { amFixtureJson as fixture } from '../helpers/am-fixtures.js';
import { curl, makePki } from '../helpers/certs.js';
import { silentLogger } from '../helpers/collect.js';

const dir = mkdtempSync(join(tmpdir(), 'tocsin-webreload-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

async function web(name: string, text: string) {
  const file = join(dir, name);
  writeFileSync(file, text);
  return loadWebConfig(file);
}

t.test('basic auth users and headers change on update; TLS mode changes need a restart', async (t) => {
  const settings = new WebSettings(await web('a.yml', `basic_auth_users:\n  alice: ${JSON.stringify(bcrypt.hashSync('first-password', 4))}\n`));
  const app = createServer({ logger: silentLogger, web: settings });
  app.register(opsRoutes, { title: 't', version: '0', links: [] });
  t.teardown(() => app.close());
  t.equal((await app.inject({ url: '/-/healthy', headers: basic('alice', 'first-password') })).statusCode, 200);

  const next = await web('b.yml', `basic_auth_users:\n  bob: ${JSON.stringify(bcrypt.hashSync('second-password', 4))}\nhttp_server_config:\n  headers: {X-Content-Type-Options: nosniff}\n`);
  t.same(settings.update(next), [], 'users and headers apply at once');
  t.equal((await app.inject({ url: '/-/healthy', headers: basic('alice', 'first-password') })).statusCode, 401, 'the removed user is refused, cache or not');
  const ok = await app.inject({ url: '/-/healthy', headers: basic('bob', 'second-password') });
  t.equal(ok.statusCode, 200);
  t.equal(ok.headers['x-content-type-options'], 'nosniff');

  const pki = makePki();
  t.teardown(() => pki.remove());
  t.same(settings.update(await web('tls.yml', `tls_server_config: {cert_file: ${pki.serverCert}, key_file: ${pki.serverKey}}\n`)), ['tls_server_config (turning TLS on or off)']);
  const tls = new WebSettings(await web('tls2.yml', `tls_server_config: {cert_file: ${pki.serverCert}, key_file: ${pki.serverKey}}\n`));
  t.same(
    tls.update(await web('tls3.yml', `tls_server_config: {cert_file: ${pki.serverCert}, key_file: ${pki.serverKey}, client_auth_type: RequireAnyClientCert}\n`)),
    ['tls_server_config.client_auth_type'],
  );
  t.same(tls.update(NO_WEB_CONFIG), ['tls_server_config (turning TLS on or off)']);
});

t.test('a reloaded certificate is served to new connections without a restart', async (t) => {
  const pki = makePki();
  t.teardown(() => pki.remove());
  const settings = new WebSettings(await web('cert1.yml', `tls_server_config: {cert_file: ${pki.serverCert}, key_file: ${pki.serverKey}}\n`));
  const app = createServer({ logger: silentLogger, web: settings });
  app.register(opsRoutes, { title: 't', version: '0', links: [] });
  t.teardown(() => app.close());
  const url = `${await app.listen({ host: '127.0.0.1', port: 0 })}/-/healthy`;
  t.equal((await curl(['--cacert', pki.caCert, url])).status, 200);
  t.equal((await curl(['--cacert', pki.strangerCaCert, url])).exit, 60, 'the new CA does not know the old certificate');
  t.same(settings.update(await web('cert2.yml', `tls_server_config: {cert_file: ${pki.rotatedCert}, key_file: ${pki.rotatedKey}}\n`)), []);
  t.equal((await curl(['--cacert', pki.strangerCaCert, url])).status, 200, 'the rotated certificate is served');
  t.equal((await curl(['--cacert', pki.caCert, url])).exit, 60, 'the old one is not');
});

t.test("relay: a web config user passes the webhook's own check; without one the token still works only when no users are set", async (t) => {
  writeFileSync(join(dir, 'token'), 'relay-token\n');
  const config = parseConfig(
    `relay:\n  data_dir: ${dir}/relay\n  auth: {bearer_token_file: ${dir}/token}\n  destinations: [{name: console, type: console}]\n`,
    'relay.yml',
  );
  const settings = new WebSettings(await web('users.yml', `basic_auth_users:\n  alertmanager: ${JSON.stringify(bcrypt.hashSync('am-password', 4))}\n`));
  const relay = await createRelay(config, silentLogger, { consoleWrite: () => undefined, web: settings });
  t.teardown(() => relay.close());
  const post = (headers: Record<string, string>) => relay.app.inject({ method: 'POST', url: '/hooks/alertmanager', payload: fixture('firing-warning.json'), headers });
  t.equal((await post(basic('alertmanager', 'am-password'))).statusCode, 200, 'a web config user is enough');
  t.equal((await post({ authorization: 'Bearer relay-token' })).statusCode, 401, 'with users set, every request needs one');
  t.equal((await post(basic('alertmanager', 'wrong'))).statusCode, 401);
  t.equal((await relay.app.inject({ url: '/metrics', headers: basic('alertmanager', 'am-password') })).statusCode, 200);
  t.equal((await relay.app.inject('/metrics')).statusCode, 401, "the relay's /metrics is behind it too");
  settings.update(NO_WEB_CONFIG);
  t.equal((await post({ authorization: 'Bearer relay-token' })).statusCode, 200, 'without users, relay.auth applies alone');
});
