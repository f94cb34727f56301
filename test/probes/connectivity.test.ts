// "Am I offline?": with a connectivity target that does not answer (a closed port), a failing
// target is not declared down and tocsin_probe_connectivity_ok is 0; with one that answers (an
// open port), the same target goes down. Real sockets on 127.0.0.1, the real exporter.
import t from 'tap';
import { tmpDir } from '../helpers/tmp.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseConfig } from '../../src/config/load.js';
import { startExporter } from '../../src/exporter/server.js';
import { Connectivity } from '../../src/probes/connectivity.js';
import { ProbeScheduler } from '../../src/probes/scheduler.js';
import { silentLogger } from '../helpers/collect.js';
import { captureLogger } from '../helpers/log-capture.js';
import { parseExposition, select, value, type Exposition } from '../helpers/exposition.js';
import { freePort } from '../helpers/net.js';
import { httpServer, tcpServer } from './servers.js';
import { target } from './target.js';
import { NO_HOST_COLLECTORS, scrapeUntil } from './scrape.js';

// The config's directory: the default data_dir (targets, status history) lands under it, not in the checkout.
const CONFIG_DIR = tmpDir(t, 'tocsin-probes-config-');


function config(port: number, probes: string) {
  return parseConfig(`exporter:\n  listen_address: 127.0.0.1:${port}\n  collectors: ${NO_HOST_COLLECTORS}\n  probes:\n${probes}`, 'tocsin.yml', CONFIG_DIR);
}

async function scrape(url: string): Promise<Exposition> {
  return parseExposition(await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })).text());
}


t.test('a closed port as the connectivity target holds failures; an open one lets them count', async (t) => {
  const closed = await freePort();
  const open = await tcpServer(t, 'silent');
  const http = await httpServer(t);
  const port = await freePort();
  const targets = `    targets:
      - {name: gone, type: tcp, address: "127.0.0.1:${await freePort()}", interval: 1s, timeout: 500ms}
      - {name: web, type: http, address: "http://127.0.0.1:${http}/healthy", interval: 1s, timeout: 500ms}
`;
  const exporter = await startExporter(config(port, `${targets}    connectivity:\n      interval: 1s\n      targets: [{name: gateway, type: tcp, address: "127.0.0.1:${closed}", timeout: 500ms}]\n`), silentLogger);
  t.teardown(() => exporter.close());
  const url = exporter.url.replace('0.0.0.0', '127.0.0.1');

  // Offline: three intervals of failed checks of `gone`, none recorded.
  await scrapeUntil(url, (e) => select(e, 'tocsin_probe_connectivity_ok').length === 1 && select(e, 'probe_success', { target: 'web' }).length === 1);
  await sleep(3000);
  const offline = await scrape(url);
  t.equal(value(offline, 'tocsin_probe_connectivity_ok'), 0, 'tocsin_probe_connectivity_ok 0 says why');
  t.equal(value(offline, 'tocsin_probe_state', { target: 'gone', state: 'down' }), 0, 'the failing target is not declared down');
  t.equal(value(offline, 'tocsin_probe_state', { target: 'gone', state: 'unknown' }), 1, 'its state is held');
  t.equal(value(offline, 'tocsin_probe_consecutive_failures', { target: 'gone' }), 0, 'no failure counted');
  t.same(select(offline, 'tocsin_probe_failure_info', { target: 'gone' }), [], 'no failure reason shown');
  t.equal(value(offline, 'probe_success', { target: 'web' }), 1, 'a target that answers is still up');
  t.equal(value(offline, 'tocsin_probe_state', { target: 'web', state: 'up' }), 1);
  const held = (await (await fetch(`${url}/api/v1/targets/gone/status`)).json()) as { held: { reason: string } | null; consecutive_failures: number };
  t.match(held, { held: { reason: 'connection_refused' }, consecutive_failures: 0 }, 'the status API says the failure was held, and why');
  const listed = (await (await fetch(`${url}/api/v1/status`)).json()) as { targets: { name: string; held: { reason_text: string } | null }[] };
  t.match(listed.targets.find((x) => x.name === 'gone')?.held, { reason_text: /refused/ }, 'so does the status page\'s JSON');

  // The connectivity target now answers: the failures count, the target goes down.
  await exporter.reconfigure!(config(port, `${targets}    connectivity:\n      interval: 1s\n      targets: [{name: gateway, type: tcp, address: "127.0.0.1:${open}", timeout: 500ms}]\n`));
  const online = await scrapeUntil(url, (e) => value(e, 'tocsin_probe_state', { target: 'gone', state: 'down' }) === 1);
  t.equal(value(online, 'tocsin_probe_connectivity_ok'), 1);
  t.equal(value(online, 'tocsin_probe_failure_info', { target: 'gone', reason: 'connection_refused' }), 1);
  t.equal(((await (await fetch(`${url}/api/v1/targets/gone/status`)).json()) as { held: unknown }).held, null, 'a counted check clears the hold');

  // Not configured: no connectivity series at all (a constant 1 would claim a check that is not made).
  await exporter.reconfigure!(config(port, targets));
  const none = await scrape(url);
  t.same(select(none, 'tocsin_probe_connectivity_ok'), [], 'absent when not configured');
});

t.test('connectivity answers for the time asked, checking again when its answer is older', async (t) => {
  const closed = await freePort();
  const log = captureLogger();
  const c = new Connectivity(
    { interval: 60, targets: [{ name: 'gw', type: 'tcp', address: `127.0.0.1:${closed}`, timeout: 0.5, tls: { insecure_skip_verify: false }, http: { method: 'GET', headers: {}, valid_status_codes: [], follow_redirects: true }, websocket: { ping: false }, tcp: { tls: false } }] },
    log.logger,
  );
  t.teardown(() => c.close());
  t.equal(await c.okSince(0), false, 'a closed port: offline');
  const lost = log.lines.filter((l) => l.msg.startsWith('connectivity lost'));
  t.equal(lost.length, 1, 'logged once');
  t.match(JSON.stringify(lost[0]!.failures), /"target":"gw","reason":"connection_refused"/, 'naming the target and why');
  const server = await tcpServer(t, 'silent');
  c.reconfigure({ interval: 60, targets: [{ name: 'gw', type: 'tcp', address: `127.0.0.1:${server}`, timeout: 0.5, tls: { insecure_skip_verify: false }, http: { method: 'GET', headers: {}, valid_status_codes: [], follow_redirects: true }, websocket: { ping: false }, tcp: { tls: false } }] });
  t.equal(await c.okSince(Date.now()), true, 'an open port: online (a fresh check, not the old answer)');
  t.equal(await new Connectivity({ interval: 10, targets: [] }, log.logger).okSince(Date.now()), true, 'nothing configured: always online');
});

t.test('a push target gone quiet is held too while offline (its heartbeats could not reach us)', async (t) => {
  const push = target({ name: 'cron', type: 'push', address: '', interval: '1s', push: { token_sha256: 'a'.repeat(64), grace: '0s' } });
  const offline = new ProbeScheduler({ logger: silentLogger, maxConcurrent: 10, connectivityOk: async () => false });
  const online = new ProbeScheduler({ logger: silentLogger, maxConcurrent: 10, connectivityOk: async () => true });
  t.teardown(() => {
    offline.close();
    online.close();
  });
  offline.setTargets([push]);
  online.setTargets([push]);
  // Online: down at the first missed interval (bounded: 5 s); offline: three missed intervals later, still nothing.
  for (let i = 0; i < 50 && online.status('cron')!.state !== 'down'; i++) await sleep(100);
  t.equal(online.status('cron')!.state, 'down', 'online: a missing heartbeat turns the push target down');
  await sleep(2000);
  t.equal(offline.status('cron')!.state, 'unknown', 'offline: the push target is not declared down');
  t.equal(offline.status('cron')!.consecutiveFailures, 0, 'no missed heartbeat counted');
});
