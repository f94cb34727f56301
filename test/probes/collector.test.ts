// The probe collector through the real scrape engine, after real checks of real servers:
// blackbox_exporter's families and Tocsin's own, with the target's labels.
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { createProbes } from '../../src/probes/index.js';
import { probesSchema } from '../../src/config/probes.js';
import { collect, silentLogger } from '../helpers/collect.js';
import { select, value } from '../helpers/exposition.js';
import { freePort } from '../helpers/net.js';
import { httpServer, httpsServer, makeProbePki } from './servers.js';

/** Waits (bounded) until every target has been checked once. */
async function checked(probes: ReturnType<typeof createProbes>, names: readonly string[]): Promise<void> {
  for (let i = 0; i < 40; i++) {
    if (names.every((n) => probes.scheduler.status(n)?.last)) return;
    await sleep(100);
  }
  throw new Error('targets were not checked within 4 s');
}

t.test('series of healthy, failing and TLS targets', async (t) => {
  const port = await httpServer(t);
  const pki = makeProbePki(t);
  const tlsPort = await httpsServer(t, pki.expiredCert, pki.expiredKey);
  const closed = await freePort();
  const config = probesSchema.parse({
    targets: [
      { name: 'shop', type: 'http', address: `http://127.0.0.1:${port}/healthy`, environment: 'LIVE', interval: '1s', timeout: '500ms', labels: { team: 'web' } },
      { name: 'broken', type: 'http', address: `http://127.0.0.1:${port}/error`, environment: 'STAGE', interval: '1s', timeout: '500ms', notify: false },
      { name: 'old-cert', type: 'https', address: `https://127.0.0.1:${tlsPort}/healthy`, interval: '1s', timeout: '500ms', tls: { ca_file: pki.caCert } },
      { name: 'db', type: 'tcp', address: `127.0.0.1:${closed}`, interval: '1s', timeout: '500ms' },
    ],
  });
  const probes = createProbes(config, silentLogger);
  t.teardown(() => probes.close());
  await checked(probes, ['shop', 'broken', 'old-cert', 'db']);
  const exp = await collect([probes.collector]);

  const shop = { target: 'shop', type: 'http', environment: 'LIVE', team: 'web' };
  t.same(select(exp, 'probe_success', { target: 'shop' }).map((s) => s.labels), [shop], 'labels: target, type, environment, configured ones; no notify label');
  t.equal(value(exp, 'probe_success', shop), 1);
  t.equal(value(exp, 'probe_http_status_code', shop), 200);
  t.equal(value(exp, 'probe_http_content_length', shop), 8);
  t.equal(value(exp, 'probe_http_redirects', shop), 0);
  t.equal(value(exp, 'probe_http_uncompressed_body_length', shop), 8);
  t.equal(value(exp, 'probe_failed_due_to_regex', shop), 0);
  t.equal(value(exp, 'probe_http_ssl', shop), 0);
  t.equal(value(exp, 'probe_ip_protocol', shop), 4);
  t.same(select(exp, 'probe_http_duration_seconds', shop).map((s) => s.labels.phase).sort(), ['connect', 'processing', 'resolve', 'tls', 'transfer']);
  t.equal(value(exp, 'probe_http_duration_seconds', { ...shop, phase: 'tls' }), 0, 'no TLS over http');
  t.ok(value(exp, 'probe_duration_seconds', shop) < 0.5);
  t.same(select(exp, 'tocsin_probe_failure_info', { target: 'shop' }), [], 'no failure series while it succeeds');
  t.equal(value(exp, 'tocsin_probe_state', { ...shop, state: 'up' }), 1);
  t.equal(value(exp, 'tocsin_probe_state', { ...shop, state: 'down' }), 0);
  t.equal(value(exp, 'tocsin_probe_consecutive_failures', shop), 0);
  const last = value(exp, 'tocsin_probe_last_check_timestamp_seconds', shop);
  t.ok(Math.abs(last - Date.now() / 1000) < 5, 'last check: now, in Unix seconds');
  t.ok(value(exp, 'tocsin_probe_last_state_change_timestamp_seconds', shop) <= last);

  const broken = { target: 'broken', type: 'http', environment: 'STAGE', notify: 'false' };
  t.equal(value(exp, 'probe_success', broken), 0);
  t.equal(value(exp, 'probe_http_status_code', broken), 500);
  t.equal(value(exp, 'tocsin_probe_failure_info', { ...broken, reason: 'http_status' }), 1, 'notify="false" and the reason');
  t.equal(value(exp, 'tocsin_probe_state', { ...broken, state: 'down' }), 1);
  t.ok(value(exp, 'tocsin_probe_consecutive_failures', broken) >= 1);

  const old = { target: 'old-cert', type: 'https' };
  t.equal(value(exp, 'probe_success', old), 0);
  t.equal(value(exp, 'tocsin_probe_failure_info', { ...old, reason: 'tls_expired' }), 1);
  t.equal(value(exp, 'probe_ssl_earliest_cert_expiry', old), pki.expiredNotAfter, 'the expired certificate is still reported');
  t.equal(select(exp, 'probe_tls_version_info', old).length, 1);
  t.equal(value(exp, 'tocsin_probe_tls_certificate_info', { ...old, subject: 'CN=expired', issuer: 'CN=Tocsin Test CA' }), 1);
  t.equal(value(exp, 'probe_http_status_code', old), 0, 'no request went to it');

  const db = { target: 'db', type: 'tcp' };
  t.equal(value(exp, 'tocsin_probe_failure_info', { ...db, reason: 'connection_refused' }), 1);
  t.same(select(exp, 'probe_http_status_code', db), [], 'no HTTP series for a TCP target');

  t.equal(value(exp, 'tocsin_probe_checks_waiting'), 0, 'fewer targets than max_concurrent: nothing ever waits');
  t.ok(value(exp, 'tocsin_probe_checks_running') >= 0);

  // Reload without `broken`: its series are gone at the next scrape.
  probes.reconfigure({ ...config, targets: config.targets.filter((x) => x.name !== 'broken') });
  const after = await collect([probes.collector]);
  t.same(after.samples.filter((s) => s.labels.target === 'broken'), [], 'a removed target leaves no series');
  t.equal(value(after, 'probe_success', shop), 1, 'the others stay');
});
