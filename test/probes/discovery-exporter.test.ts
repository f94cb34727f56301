// Discovered targets in the exporter, next to config file and API targets: checked on their
// schedules, the config file's and the API's names win, a changed list applies without a
// restart (a removed target's series disappear), and a source gone bad keeps its list.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { startExporter } from '../../src/exporter/server.js';
import { captureLogger } from '../helpers/log-capture.js';
import { select, value } from '../helpers/exposition.js';
import { freePort } from '../helpers/net.js';
import { promtoolCheckMetrics } from '../helpers/promtool.js';
import { tmpDir } from '../helpers/tmp.js';
import { sdList, sdServer } from './sd-server.js';
import { httpServer, tcpServer } from './servers.js';
import { NO_HOST_COLLECTORS, scrapeUntil } from './scrape.js';

const TOKEN = 'discovery-exporter-test-token-91c2';


t.test('discovered targets merge under config and API targets and follow the list', async (t) => {
  const dir = tmpDir(t, 'tocsin-discovery-exporter-');
  writeFileSync(join(dir, 'token'), TOKEN);
  const http = await httpServer(t);
  const tcp = await tcpServer(t, 'silent');
  const sd = await sdServer(t);
  const healthy = `http://127.0.0.1:${http}/healthy`;
  const failing = `http://127.0.0.1:${http}/error`;
  sd.answer = sdList(
    { targets: [healthy, `127.0.0.1:${tcp}`], labels: { environment: 'STAGE', interval: '1s', timeout: '500ms', rack: 'r7' } },
    // Names the config file and the API already use, pointing at a failing page: ignored.
    { targets: [failing], labels: { name: 'shop', interval: '1s', timeout: '500ms' } },
    { targets: [failing], labels: { name: 'from-api', interval: '1s', timeout: '500ms' } },
  );
  const port = await freePort();
  const log = captureLogger('info');
  const exporter = await startExporter(
    parseConfig(
      `exporter:
  listen_address: 127.0.0.1:${port}
  collectors: ${NO_HOST_COLLECTORS}
  probes:
    data_dir: ${dir}/store
    api_auth: {bearer_token_file: ${dir}/token}
    targets:
      - {name: shop, type: http, address: "${healthy}", interval: 1s, timeout: 500ms}
    discovery:
      - {name: inv, url: "${sd.url}", refresh_interval: 1s, timeout: 500ms}
`,
      'tocsin.yml',
      dir,
    ),
    log.logger,
  );
  t.teardown(() => exporter.close());
  const url = exporter.url.replace('0.0.0.0', '127.0.0.1');
  const created = await fetch(`${url}/api/v1/targets`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ name: 'from-api', type: 'http', address: healthy, interval: '1s', timeout: '500ms' }),
  });
  t.equal(created.status, 201);

  const httpName = `inv/${healthy}`;
  const tcpName = `inv/127.0.0.1:${tcp}`;
  const first = await scrapeUntil(url, (e) => select(e, 'probe_success').length === 4);
  t.equal(value(first, 'probe_success', { target: httpName, type: 'http', environment: 'STAGE', rack: 'r7' }), 1, 'a discovered http target, labelled from the list');
  t.equal(value(first, 'probe_success', { target: tcpName, type: 'tcp', environment: 'STAGE' }), 1, 'a discovered tcp target');
  t.equal(value(first, 'probe_success', { target: 'shop' }), 1, 'the config file target wins over the discovered one of the same name');
  t.equal(value(first, 'probe_success', { target: 'from-api' }), 1, 'the API target wins too');
  t.equal(value(first, 'tocsin_probe_discovery_up', { source: 'inv' }), 1);
  t.equal(value(first, 'tocsin_probe_discovery_targets', { source: 'inv' }), 4, 'the list had four, two of them shadowed');
  const lint = promtoolCheckMetrics(await (await fetch(`${url}/metrics`)).text());
  t.same(lint.unexpected, [], 'promtool check metrics is clean with the discovery families');
  for (const name of ['shop', 'from-api']) {
    t.ok(log.lines.some((l) => l.target === name && l.source === 'inv' && /that one wins/.test(l.msg)), `the clash over ${name} is logged`);
  }

  // The targets API lists discovered targets, shows their status, pauses them, and refuses to
  // change them (their source owns them).
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}/api/v1/targets${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & { message?: string } };
  };
  const list = (await api('GET', '')).body as unknown as { name: string; source: string; discovery_source?: string }[];
  t.same(
    list.map((x) => [x.name, x.source, x.discovery_source]),
    [
      ['shop', 'config', undefined],
      ['from-api', 'api', undefined],
      [httpName, 'discovery', 'inv'],
      [tcpName, 'discovery', 'inv'],
    ],
    'GET /api/v1/targets lists the discovered targets and their source',
  );
  const status = await api('GET', `/${encodeURIComponent(tcpName)}/status`);
  t.equal(status.status, 200);
  t.equal(status.body.state, 'up', 'a discovered target has a status');
  const patch = await api('PATCH', `/${encodeURIComponent(tcpName)}`, { environment: 'LIVE' });
  t.equal(patch.status, 409);
  t.match(patch.body.message, /comes from discovery source "inv"/, 'a change is refused, naming the source');
  t.equal((await api('DELETE', `/${encodeURIComponent(tcpName)}`)).status, 409, 'and so is a delete');
  t.equal((await api('POST', `/${encodeURIComponent(tcpName)}/pause`)).status, 200);
  await scrapeUntil(url, (e) => select(e, 'probe_success', { target: tcpName }).length === 0);
  t.pass('a paused discovered target is not checked (its series are gone)');
  t.equal((await api('POST', `/${encodeURIComponent(tcpName)}/resume`)).status, 200);
  await scrapeUntil(url, (e) => select(e, 'probe_success', { target: tcpName }).length === 1);
  t.pass('and resumed, it is again');

  // The list changes: the http target goes, the tcp one stays. No restart.
  sd.answer = sdList({ targets: [`127.0.0.1:${tcp}`], labels: { environment: 'STAGE', interval: '1s', timeout: '500ms', rack: 'r7' } });
  const changed = await scrapeUntil(url, (e) => select(e, 'probe_success', { target: httpName }).length === 0);
  t.same(changed.samples.filter((s) => s.labels.target === httpName), [], 'the removed target has no series left');
  t.equal(value(changed, 'probe_success', { target: tcpName }), 1);
  t.equal(value(changed, 'probe_success', { target: 'shop' }), 1, 'config file targets untouched');

  // The source turns to garbage: its last list stays in effect, and it says so.
  sd.answer = { body: 'Service Unavailable' };
  const bad = await scrapeUntil(url, (e) => value(e, 'tocsin_probe_discovery_up', { source: 'inv' }) === 0);
  t.equal(value(bad, 'probe_success', { target: tcpName }), 1, 'the discovered target is still checked');
  t.ok(value(bad, 'tocsin_probe_discovery_failures_total', { source: 'inv', reason: 'invalid_response' }) >= 1);
  t.same(log.lines.filter((l) => JSON.stringify(l).includes(TOKEN)), [], 'the API token is in no log line');
});
