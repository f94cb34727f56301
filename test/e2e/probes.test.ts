// End to end for probes, through the real chain (test/helpers/stack.ts): Tocsin's probe
// collector checks a real WebSocket server on loopback, Prometheus evaluates the shipped
// rules/probes.yml, Alertmanager (shipped alertmanager.yml) sends to the relay, and the fake
// Slack shows what the on-call person would see.
//  - The WebSocket server stops: "ProbeFailed" names the target, its environment and the
//    failure reason in words, and a RESOLVED notice follows when it is back.
//  - A target with `notify: false` (a closed port), failing all along in the same environment
//    (so the same alert name, severity and instance as the first): its series say it is down
//    and its alert fires in Prometheus, yet no Slack message names it.
//  - A target in a maintenance window (a closed port, same environment): its series say it is
//    down and in maintenance, the shipped rules do not fire for it, and no Slack message names it.
import t from 'tap';
import { once } from 'node:events';
import { WebSocketServer } from 'ws';
import { freePort } from '../helpers/net.js';
import { startStack, until } from '../helpers/stack.js';

async function startWebSocketServer(port: number): Promise<WebSocketServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port });
  await once(wss, 'listening');
  return wss;
}

/** Stops listening and drops every open connection, as a server that dies does. */
async function stopWebSocketServer(wss: WebSocketServer): Promise<void> {
  for (const c of wss.clients) c.terminate();
  await new Promise<void>((resolve) => wss.close(() => resolve()));
}

t.test('a WebSocket target that stops fires ProbeFailed with target, environment and reason, and resolves; notify:false and maintenance targets stay quiet', async (t) => {
  const [wsPort, closedPort, maintPort] = [await freePort(), await freePort(), await freePort()];
  // Open from an hour ago to an hour from now: the whole test.
  const hour = 3600_000;
  const window = `{start: '${new Date(Date.now() - hour).toISOString()}', end: '${new Date(Date.now() + hour).toISOString()}'}`;
  let wss = await startWebSocketServer(wsPort);
  t.teardown(() => stopWebSocketServer(wss));
  const stack = await startStack(t, '    process: {groups: []}', '2s', {
    // Checked every second with a half-second timeout: Prometheus scrapes every second here.
    probes: `    targets:
      - {name: e2e-chat, type: websocket, address: 'ws://127.0.0.1:${wsPort}/', environment: LIVE, interval: 1s, timeout: 500ms}
      - {name: e2e-quiet, type: tcp, address: '127.0.0.1:${closedPort}', environment: LIVE, interval: 1s, timeout: 500ms, notify: false}
      - {name: e2e-maint, type: tcp, address: '127.0.0.1:${maintPort}', environment: LIVE, interval: 1s, timeout: 500ms, maintenance: [${window}]}`,
  });
  const success = async (target: string) => (await stack.query(`probe_success{target="${target}"}`))[0];
  await until('Prometheus to see e2e-chat up', 30_000, async () => (await success('e2e-chat'))?.value[1] === '1');
  t.pass('Prometheus sees the WebSocket target up');

  // The quiet target: down in its metrics, labelled notify="false", and its alert fires.
  const quiet = await until('Prometheus to see e2e-quiet down', 30_000, async () => {
    const s = await success('e2e-quiet');
    return s?.value[1] === '0' ? s : undefined;
  });
  t.equal(quiet.metric.notify, 'false', 'its series carry notify="false"');
  const reason = await stack.query('tocsin_probe_failure_info{target="e2e-quiet"}');
  t.equal(reason[0]?.metric.reason, 'connection_refused', 'its failure reason is in the metrics');
  await until('ProbeFailed to fire for e2e-quiet in Prometheus', 30_000, async () => (await stack.query('ALERTS{alertname="ProbeFailed",alertstate="firing",target="e2e-quiet"}')).length > 0);
  // Alone in its group for now (e2e-chat is up), it reaches the relay, which drops it and counts it.
  await until('the relay to drop the notify:false alert', 30_000, async () => {
    const suppressed = await stack.query('tocsin_relay_notifications_suppressed_total{reason="label"}');
    return Number(suppressed[0]?.value[1] ?? 0) >= 1;
  });
  t.pass('the relay received the quiet alert and dropped it (notify="false")');

  // The target in maintenance: down and in maintenance in its metrics, and by now (its checks
  // failed as long as e2e-quiet's, whose alert fires) no alert of any state for it.
  t.equal((await success('e2e-maint'))?.value[1], '0', 'the target in maintenance is down in its metrics');
  t.equal((await stack.query('tocsin_probe_maintenance{target="e2e-maint"}'))[0]?.value[1], '1', 'and in maintenance');
  t.same(await stack.query('ALERTS{target="e2e-maint"}'), [], 'no alert for it, pending or firing');

  const failing = () => stack.messages('critical', 'ProbeFailed').filter((m) => m.includes('e2e-chat'));
  await stopWebSocketServer(wss);
  await until('the ProbeFailed notification for e2e-chat', 60_000, () => failing().length > 0);
  const firing = failing()[0]!;
  t.match(firing, /FIRING/, 'firing message');
  t.match(firing, /e2e-chat is not answering/, 'its summary names the target');
  t.match(firing, /e2e-chat \(LIVE\)/, 'names the environment');
  t.match(firing, /connection refused/, 'says why, in words');
  t.match(firing, /<!here>/, 'critical mention (LIVE is a critical environment)');
  t.match(firing, /localhost:3000\/d\/tocsin-probes\?var-job=tocsin&var-instance=127\.0\.0\.1%3A\d+&var-environment=LIVE&var-target=e2e-chat"/, 'its Dashboard button opens the probes dashboard on the target');
  t.same(stack.messages('warning', 'ProbeFailed'), [], 'not in the warning channel');

  wss = await startWebSocketServer(wsPort);
  await until('the ProbeFailed resolved notice for e2e-chat', 60_000, () => failing().some((m) => m.includes('RESOLVED')));
  t.equal(failing().filter((m) => m.includes('RESOLVED')).length, 1, 'one resolved notice');

  t.same(
    stack.slack.requests.map((r) => JSON.stringify(r.body)).filter((m) => m.includes('e2e-quiet')),
    [],
    'no Slack message names the notify:false target',
  );
  t.ok(Number((await success('e2e-quiet'))?.value[1]) === 0, 'while its metrics still show it down');
  t.same(await stack.query('ALERTS{target="e2e-maint"}'), [], 'the target in maintenance never alerted');
  t.same(
    stack.slack.requests.map((r) => JSON.stringify(r.body)).filter((m) => m.includes('e2e-maint')),
    [],
    'no Slack message names the target in maintenance',
  );
  t.equal((await success('e2e-maint'))?.value[1], '0', 'while its metrics still show it down');
});
