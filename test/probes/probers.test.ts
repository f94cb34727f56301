// Every prober against real servers on 127.0.0.1, one per way a target can behave; each
// failure reason comes from a server doing that thing, not from a mock.
import t from 'tap';
import { createServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../helpers/tmp.js';
import { freePort } from '../helpers/net.js';
import { runProbe } from '../../src/probes/probers/index.js';
import { MAX_REDIRECTS } from '../../src/probes/probers/http.js';
import { httpServer, httpsServer, makeProbePki, tcpServer, webSocketServer, listen } from './servers.js';
import { target } from './target.js';

// The timeout of these checks is 1 s; a check that ignores it would take 3 s or forever.
const TIMEOUT_BOUND = 2.5;

t.test('HTTP', async (t) => {
  const port = await httpServer(t);
  const url = (path: string) => `http://127.0.0.1:${port}${path}`;
  const http = (path: string, extra: Record<string, unknown> = {}) => runProbe(target({ type: 'http', address: url(path), ...extra }));

  t.test('healthy: success, status, phases, content length, IPv4', async (t) => {
    const r = await http('/healthy');
    t.equal(r.success, true);
    t.equal(r.reason, undefined);
    t.equal(r.httpStatus, 200);
    t.equal(r.contentLength, 'all good'.length);
    t.equal(r.redirects, 0);
    t.equal(r.ipProtocol, 4);
    t.equal(r.httpSsl, false);
    t.equal(r.httpVersion, 1.1);
    for (const phase of ['resolve', 'connect', 'processing', 'transfer'] as const) t.ok((r.phases[phase] ?? -1) >= 0, `phase ${phase} timed`);
    t.equal(r.phases.tls, undefined, 'no TLS phase over plain HTTP');
    t.ok(r.durationSeconds > 0 && r.durationSeconds < 1);
  });

  t.test('a timeout whose milliseconds are not whole in floating point (1005ms) still runs', async (t) => {
    // 1.005 s * 1000 is 1004.9999…: AbortSignal.timeout() threw a RangeError before it was rounded.
    const r = await http('/healthy', { timeout: '1005ms' });
    t.equal(r.success, true);
  });

  t.test('500 fails with http_status; a listed 500 passes', async (t) => {
    const r = await http('/error');
    t.same([r.success, r.reason, r.httpStatus], [false, 'http_status', 500]);
    t.equal((await http('/error', { http: { valid_status_codes: [500] } })).success, true);
  });

  t.test('slow past the timeout, accepts-then-hangs, trickles bytes: timeout, within the bound', async (t) => {
    for (const path of ['/slow', '/hang', '/trickle']) {
      const r = await http(path);
      t.equal(r.reason, 'timeout', path);
      t.equal(r.success, false, path);
      t.ok(r.durationSeconds >= 0.9 && r.durationSeconds < TIMEOUT_BOUND, `${path} took ${r.durationSeconds}s`);
    }
    // The trickling server had answered: its status is known, the body never ended.
    t.equal((await http('/trickle')).httpStatus, 200);
  });

  t.test('redirects: followed and counted; a loop stops with too_many_redirects; not followed: 301 fails', async (t) => {
    const r = await http('/redirect');
    t.same([r.success, r.httpStatus, r.redirects], [true, 200, 1]);
    const loop = await http('/loop', { timeout: '5s' });
    t.same([loop.success, loop.reason, loop.redirects], [false, 'too_many_redirects', MAX_REDIRECTS + 1]);
    const kept = await http('/redirect', { http: { follow_redirects: false } });
    t.same([kept.success, kept.reason, kept.httpStatus, kept.redirects], [false, 'http_status', 301, 1], 'the redirect is counted, as by blackbox_exporter');
  });

  t.test('JSON condition and body regex', async (t) => {
    t.equal((await http('/health.json', { http: { json_condition: '$.status == "ok"' } })).success, true);
    t.equal((await http('/health.json', { http: { json_condition: '$.queue.depth < 100' } })).success, true);
    const deep = await http('/health.json', { http: { json_condition: '$.queue.depth < 10' } });
    t.same([deep.success, deep.reason], [false, 'json_condition']);
    t.match(deep.message, /found 42/);
    t.equal((await http('/healthy', { http: { json_condition: '$.status == "ok"' } })).reason, 'json_condition', 'not JSON');
    t.equal((await http('/healthy', { http: { body_regex: 'all go+d' } })).success, true);
    t.equal((await http('/healthy', { http: { body_regex: '^broken' } })).reason, 'body_mismatch');
  });

  t.test('method, headers and body are sent', async (t) => {
    const r = await http('/echo-method', { http: { method: 'POST', headers: { 'X-Probe': 'yes' }, body: 'ping', body_regex: '^POST yes ping$' } });
    t.equal(r.success, true, r.message ?? "");
  });

  t.test('basic and bearer auth from the environment and from a file', async (t) => {
    process.env.TOCSIN_TEST_PROBE_PASSWORD = 's3cret-password';
    t.teardown(() => delete process.env.TOCSIN_TEST_PROBE_PASSWORD);
    const dir = tmpDir(t, 'tocsin-probe-auth-');
    writeFileSync(join(dir, 'token'), 's3cret-token\n');
    t.equal((await http('/auth')).httpStatus, 401, 'no credentials: 401');
    const basic = await http('/auth', { http: { basic_auth: { username: 'probe', password: '${TOCSIN_TEST_PROBE_PASSWORD}' } } });
    t.equal(basic.success, true, 'basic auth from ${ENV}');
    const bearer = await http('/auth', { http: { bearer_token_file: join(dir, 'token') } });
    t.equal(bearer.success, true, 'bearer token from a file');
    const wrong = await http('/auth', { http: { basic_auth: { username: 'someone', password: '${TOCSIN_TEST_PROBE_PASSWORD}' } } });
    t.equal(wrong.reason, 'http_status');
    t.notMatch(JSON.stringify(wrong), /s3cret/, 'the result holds no secret');
  });

  t.test('a response-time ceiling: too_slow', async (t) => {
    const r = await http('/error', { http: { max_response_time: '1ms' } });
    t.equal(r.reason, 'http_status', 'a failed check keeps its own reason');
    const slow = await runProbe(target({ type: 'http', address: url('/slow'), timeout: '5s', http: { max_response_time: '1s' } }));
    t.same([slow.success, slow.reason], [false, 'too_slow']);
  });
});

t.test('HTTPS: valid with the CA, self-signed refused (tls), expired (tls_expired), verification skipped', async (t) => {
  const pki = makeProbePki(t);
  const good = await httpsServer(t, pki.serverCert, pki.serverKey);
  const expired = await httpsServer(t, pki.expiredCert, pki.expiredKey);
  const https = (port: number, tls: Record<string, unknown> = {}) => runProbe(target({ type: 'https', address: `https://127.0.0.1:${port}/healthy`, tls }));

  const ok = await https(good, { ca_file: pki.caCert });
  t.equal(ok.success, true, ok.message ?? "");
  t.equal(ok.httpSsl, true);
  t.ok((ok.phases.tls ?? -1) >= 0, 'TLS phase timed');
  t.equal(ok.tls?.earliestExpiry, pki.serverNotAfter, 'earliest expiry: the leaf (the CA lives longer)');
  t.match(ok.tls?.version, /^TLS 1\.[23]$/);
  t.equal(ok.tls?.subject, 'CN=server');
  t.equal(ok.tls?.issuer, 'CN=Tocsin Test CA');

  const unknownCa = await https(good);
  t.same([unknownCa.success, unknownCa.reason], [false, 'tls'], 'a CA the system does not trust');
  t.equal(unknownCa.httpStatus, undefined, 'no request was sent to an unverified server');
  t.equal(unknownCa.tls?.earliestExpiry, pki.serverNotAfter, 'the certificate is still reported');

  const old = await https(expired, { ca_file: pki.caCert });
  t.same([old.success, old.reason], [false, 'tls_expired']);
  t.equal(old.tls?.earliestExpiry, pki.expiredNotAfter);

  const skipped = await https(expired, { insecure_skip_verify: true });
  t.equal(skipped.success, true, 'insecure_skip_verify accepts it');
  t.equal(skipped.tls?.earliestExpiry, pki.expiredNotAfter);

  // Accepts TCP and never starts the TLS handshake: the TLS phase is bounded too.
  const mute = await tcpServer(t, 'silent');
  const hung = await https(mute);
  t.same([hung.success, hung.reason], [false, 'timeout'], 'no TLS handshake within the timeout');
  t.ok(hung.durationSeconds < TIMEOUT_BOUND);

  const wrongName = await https(good, { ca_file: pki.caCert, server_name: 'other.example' });
  t.same([wrongName.success, wrongName.reason], [false, 'tls'], 'the name is checked');
});

t.test('connection failures: refused, reset, DNS', async (t) => {
  const closed = await freePort();
  const refused = await runProbe(target({ type: 'http', address: `http://127.0.0.1:${closed}/` }));
  t.same([refused.success, refused.reason], [false, 'connection_refused']);
  const tcpRefused = await runProbe(target({ type: 'tcp', address: `127.0.0.1:${closed}` }));
  t.equal(tcpRefused.reason, 'connection_refused');

  // Accepts, reads the request, then resets the connection.
  const reset = await listen(
    t,
    createServer((s) => {
      s.on('error', () => undefined);
      s.once('data', () => s.resetAndDestroy());
    }),
  );
  const r = await runProbe(target({ type: 'http', address: `http://127.0.0.1:${reset}/` }));
  t.same([r.success, r.reason], [false, 'connection_reset']);

  const dns = await runProbe(target({ type: 'http', address: 'http://nonexistent.invalid/', timeout: '5s' }));
  t.same([dns.success, dns.reason], [false, 'dns']);
});

t.test('TCP', async (t) => {
  const reply = await tcpServer(t, 'reply');
  const silent = await tcpServer(t, 'silent');
  t.equal((await runProbe(target({ type: 'tcp', address: `127.0.0.1:${silent}` }))).success, true, 'connecting is enough without expect');
  const ok = await runProbe(target({ type: 'tcp', address: `127.0.0.1:${reply}`, tcp: { send: 'ping', expect: '^pong ping' } }));
  t.equal(ok.success, true, ok.message ?? "");
  const mute = await runProbe(target({ type: 'tcp', address: `127.0.0.1:${silent}`, tcp: { send: 'ping', expect: 'pong' } }));
  t.same([mute.success, mute.reason], [false, 'tcp_no_reply']);
  t.ok(mute.durationSeconds < TIMEOUT_BOUND);
  const wrong = await runProbe(target({ type: 'tcp', address: `127.0.0.1:${reply}`, tcp: { send: 'ping', expect: '^HELLO' } }));
  t.equal(wrong.reason, 'tcp_no_reply');

  const pki = makeProbePki(t);
  const tlsPort = await httpsServer(t, pki.serverCert, pki.serverKey);
  const secure = await runProbe(target({ type: 'tcp', address: `127.0.0.1:${tlsPort}`, tcp: { tls: true }, tls: { ca_file: pki.caCert } }));
  t.equal(secure.success, true, secure.message ?? "");
  t.equal(secure.tls?.earliestExpiry, pki.serverNotAfter);
});

t.test('WebSocket', async (t) => {
  const port = await webSocketServer(t);
  const ws = (path: string, websocket: Record<string, unknown> = {}) => runProbe(target({ type: 'ws', address: `ws://127.0.0.1:${port}${path}`, websocket }));
  t.equal((await ws('/echo')).success, true, 'handshake only');
  const echo = await ws('/echo', { send: 'hello', expect: '^echo: hello$' });
  t.equal(echo.success, true, echo.message ?? "");
  t.equal((await ws('/echo', { ping: true })).success, true, 'pong');
  const refused = await ws('/refuse');
  t.same([refused.success, refused.reason], [false, 'websocket_handshake']);
  t.match(refused.message, /403/);
  t.equal((await ws('/drop')).reason, 'websocket_handshake', 'the connection dropped during the upgrade');
  const silent = await ws('/silent', { send: 'hello', expect: 'echo' });
  t.same([silent.success, silent.reason], [false, 'websocket_no_reply']);
  t.ok(silent.durationSeconds < TIMEOUT_BOUND);
  t.equal((await ws('/silent', { ping: true })).reason, 'websocket_no_reply', 'no pong');
  const closing = await ws('/close', { send: 'hello', expect: 'echo' });
  t.same([closing.success, closing.reason], [false, 'websocket_no_reply']);
  t.match(closing.message, /1001/);
  // wss: the TLS phase, certificate and verification, as for HTTPS.
  const pki = makeProbePki(t);
  const wss = await webSocketServer(t, { cert: pki.serverCert, key: pki.serverKey });
  const secure = await runProbe(target({ type: 'wss', address: `wss://127.0.0.1:${wss}/echo`, tls: { ca_file: pki.caCert }, websocket: { send: 'x', expect: '^echo: x$' } }));
  t.equal(secure.success, true, secure.message ?? '');
  t.equal(secure.tls?.earliestExpiry, pki.serverNotAfter);
  t.ok((secure.phases.tls ?? -1) >= 0);
  t.equal((await runProbe(target({ type: 'wss', address: `wss://127.0.0.1:${wss}/echo` }))).reason, 'tls', 'an unknown CA is refused');
  // A server that accepts TCP and never answers the upgrade.
  const mute = await tcpServer(t, 'silent');
  const hung = await runProbe(target({ type: 'ws', address: `ws://127.0.0.1:${mute}/` }));
  t.same([hung.success, hung.reason], [false, 'timeout']);
  t.ok(hung.durationSeconds < TIMEOUT_BOUND);
});
