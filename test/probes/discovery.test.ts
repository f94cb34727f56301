// Discovery sources (src/probes/discovery.ts) against a real HTTP server on 127.0.0.1 that
// serves changing lists, garbage, errors and silence: the targets each list gives, and a
// source that fails in any way keeps its last good list and says why (metric and log).
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { parseConfig } from '../../src/config/load.js';
import type { DiscoverySourceConfig } from '../../src/config/probes.js';
import { Discovery, DiscoveryError, discoveredName, parseTargetList } from '../../src/probes/discovery.js';
import { captureLogger } from '../helpers/log-capture.js';
import { parseExposition, value, type Exposition } from '../helpers/exposition.js';
import { freePort } from '../helpers/net.js';
import { tmpDir } from '../helpers/tmp.js';
import { sdList, sdServer, type Answer } from './sd-server.js';
import { makeProbePki } from './servers.js';

/** One discovery source as tocsin.yml gives it (the real schema, defaults applied). */
function source(fields: string): DiscoverySourceConfig {
  return parseConfig(`exporter:\n  probes:\n    discovery:\n      - {name: inv, ${fields}}\n`, 'tocsin.yml', process.cwd()).exporter.probes.discovery[0]!;
}

const SOURCE = source('url: "http://127.0.0.1:1/sd", target_defaults: {interval: 20s, timeout: 2s, retries: 1, labels: {team: web}}');

async function metrics(d: Discovery): Promise<Exposition> {
  const registry = new Registry();
  d.collect(registry);
  return parseExposition(await registry.metrics());
}

t.test('a list becomes targets: names, types, labels over target_defaults', async (t) => {
  const targets = parseTargetList(
    SOURCE,
    JSON.stringify([
      { targets: ['https://shop.example.com/health', 'ws://chat.example.com/socket', 'db.example.com:5432'], labels: { environment: 'LIVE', interval: '10s', rack: 'r1', __meta_dc: 'x' } },
      { targets: ['http://api.example.com/health?full=1'], labels: { type: 'https', notify: 'false', timeout: '1s' } },
      { targets: ['http://api.example.com/health?full=2'], labels: { name: 'api-full-2' } },
    ]).replace('"type":"https"', '"type":"http"'),
  );
  t.same(
    targets.map((x) => [x.name, x.type, x.environment, x.interval, x.timeout, x.notify, x.retries, x.labels]),
    [
      ['inv/https://shop.example.com/health', 'http', 'LIVE', 10, 2, true, 1, { team: 'web', rack: 'r1' }],
      ['inv/ws://chat.example.com/socket', 'websocket', 'LIVE', 10, 2, true, 1, { team: 'web', rack: 'r1' }],
      ['inv/db.example.com:5432', 'tcp', 'LIVE', 10, 2, true, 1, { team: 'web', rack: 'r1' }],
      [discoveredName('inv', 'http://api.example.com/health?full=1'), 'http', '', 20, 1, false, 1, { team: 'web' }],
      ['api-full-2', 'http', '', 20, 2, true, 1, { team: 'web' }],
    ],
  );
  // Characters a name cannot hold: replaced, and a hash of the address keeps names apart.
  const a = discoveredName('inv', 'http://x/?a=1');
  const b = discoveredName('inv', 'http://x/?a=2');
  t.match(a, /^inv\/http:\/\/x\/_a_1-[0-9a-f]{8}$/);
  t.not(a, b, 'two addresses that differ only in replaced characters get two names');
  t.equal(discoveredName('inv', 'http://x/?a=1'), a, 'and the same address always the same name');
  t.ok(discoveredName('inv', `http://x/${'p'.repeat(300)}`).length <= 128, 'long addresses are cut to 128 characters');
});

t.test('a bad list is refused whole, naming the entry', async (t) => {
  const bad: [string, string, 'invalid_response' | 'invalid_entry', RegExp][] = [
    ['not JSON', '<html>oops</html>', 'invalid_response', /not JSON/],
    ['not an array', '{"targets": []}', 'invalid_response', /expected a JSON array/],
    ['targets not strings', '[{"targets": [1]}]', 'invalid_entry', /^\[0\]\.targets: expected an array of addresses/],
    ['a label not a string', '[{"targets": ["a:1"], "labels": {"x": 1}}]', 'invalid_entry', /^\[0\]\.labels: expected an object of string values/],
    ['an unknown type', '[{"targets": ["a:1"], "labels": {"type": "ftp"}}]', 'invalid_entry', /^\[0\]\.labels\.type: expected one of/],
    ['a bad interval', '[{"targets": ["a:1"]}, {"targets": ["b:1"], "labels": {"interval": "10"}}]', 'invalid_entry', /^\[1\]\.labels\.interval \("b:1"\): expected a duration/],
    ['a timeout over the interval', '[{"targets": ["a:1"], "labels": {"interval": "1s"}}]', 'invalid_entry', /^\[0\]\.targets\[0\] timeout \("a:1"\): the timeout \(2s\) must be shorter than the interval \(1s\)/],
    ['an address unfit for its type', '[{"targets": ["https://x/"], "labels": {"type": "tcp"}}]', 'invalid_entry', /^\[0\]\.targets\[0\] address \("https:\/\/x\/"\): a tcp target needs host:port/],
    ['a reserved label', '[{"targets": ["a:1"], "labels": {"job": "x"}}]', 'invalid_entry', /^\[0\]\.labels\.job .*reserved/],
    ['a notify that is not a boolean', '[{"targets": ["a:1"], "labels": {"notify": "no"}}]', 'invalid_entry', /^\[0\]\.labels\.notify: expected "true" or "false"/],
    ['a name label on two targets', '[{"targets": ["a:1", "b:1"], "labels": {"name": "x"}}]', 'invalid_entry', /exactly one target/],
    ['the same address twice', '[{"targets": ["a:1"]}, {"targets": ["a:1"]}]', 'invalid_entry', /^\[1\]\.targets\[0\]: the name "inv\/a:1" is listed twice/],
  ];
  for (const [what, text, reason, message] of bad) {
    const err = (() => {
      try {
        parseTargetList(SOURCE, text);
        return undefined;
      } catch (e) {
        return e;
      }
    })();
    t.ok(err instanceof DiscoveryError, `${what}: refused`);
    t.equal((err as DiscoveryError).reason, reason, `${what}: reason ${reason}`);
    t.match((err as DiscoveryError).message, message, `${what}: ${(err as Error).message}`);
  }
});

t.test('changing lists, then every kind of failure: the last good list is kept and each failure reported', async (t) => {
  const dir = tmpDir(t, 'tocsin-discovery-');
  writeFileSync(join(dir, 'token'), 's3cret-sd-token\n');
  const server = await sdServer(t);
  const log = captureLogger();
  let changes = 0;
  const config = source(`url: "${server.url}", timeout: 500ms, bearer_token_file: ${join(dir, 'token')}`);
  const discovery = new Discovery([config], { logger: log.logger, onChange: () => (changes += 1) });
  t.teardown(() => discovery.close());
  const names = () => discovery.targets(new Set()).map((x) => x.name);

  // The first poll starts at once; the server answers "[]" until told otherwise.
  server.answer = sdList({ targets: ['a.example:1', 'b.example:1'] });
  await discovery.poll('inv');
  t.same(names(), ['inv/a.example:1', 'inv/b.example:1']);
  t.equal(server.lastHeaders?.authorization, 'Bearer s3cret-sd-token', 'the bearer token from the file is sent');
  t.equal(server.lastHeaders?.['x-prometheus-refresh-interval-seconds'], '60');

  server.answer = sdList({ targets: ['b.example:1', 'c.example:1'], labels: { environment: 'STAGE' } });
  const before = changes;
  await discovery.poll('inv');
  t.same(names(), ['inv/b.example:1', 'inv/c.example:1'], 'a target removed, one added');
  t.equal(discovery.targets(new Set()).find((x) => x.name === 'inv/c.example:1')?.environment, 'STAGE');
  t.equal(changes, before + 1, 'a change is announced once');
  await discovery.poll('inv');
  t.equal(changes, before + 1, 'the same list again is no change');
  let m = await metrics(discovery);
  t.equal(value(m, 'tocsin_probe_discovery_up', { source: 'inv' }), 1);
  t.equal(value(m, 'tocsin_probe_discovery_targets', { source: 'inv' }), 2);
  const lastSuccess = value(m, 'tocsin_probe_discovery_last_success_timestamp_seconds', { source: 'inv' });
  t.ok(Math.abs(lastSuccess - Date.now() / 1000) < 30, 'the last success is now');
  t.equal(value(m, 'tocsin_probe_discovery_failures_total', { source: 'inv', reason: 'invalid_response' }), 0, 'failure counters start at 0');

  const faults: [string, Answer, string][] = [
    ['garbage', { body: '<html>502 Bad Gateway</html>' }, 'invalid_response'],
    ['a truncated list', { body: '[{"targets": ["a.example:1"' }, 'invalid_response'],
    ['an empty body', { body: '' }, 'invalid_response'],
    ['a 500', { status: 500, body: '[]' }, 'http_status'],
    ['a 404 with a valid list', { status: 404, body: '[]' }, 'http_status'],
    ['an invalid entry', sdList({ targets: ['x.example:1'] }, { targets: ['not an address'] }), 'invalid_entry'],
    ['silence past the timeout', 'hang', 'timeout'],
  ];
  for (const [what, answer, reason] of faults) {
    server.answer = answer;
    const started = Date.now();
    await discovery.poll('inv');
    t.ok(Date.now() - started < 5000, `${what}: the poll ended`);
    t.same(names(), ['inv/b.example:1', 'inv/c.example:1'], `${what}: the last good list is kept`);
    m = await metrics(discovery);
    t.equal(value(m, 'tocsin_probe_discovery_up', { source: 'inv' }), 0, `${what}: the source is down`);
    t.equal(value(m, 'tocsin_probe_discovery_targets', { source: 'inv' }), 2, `${what}: its list still counts`);
    t.equal(value(m, 'tocsin_probe_discovery_last_success_timestamp_seconds', { source: 'inv' }), lastSuccess, `${what}: the last success stays`);
    const line = log.lines.at(-1)!;
    t.equal(line.source, 'inv', `${what}: the log names the source`);
    t.equal(line.reason, reason, `${what}: and the reason`);
    t.ok(typeof line.problem === 'string' && line.problem !== '', `${what}: and the problem (${line.problem as string})`);
  }
  m = await metrics(discovery);
  for (const reason of ['invalid_response', 'http_status', 'invalid_entry', 'timeout']) {
    t.equal(value(m, 'tocsin_probe_discovery_failures_total', { source: 'inv', reason }), faults.filter((f) => f[2] === reason).length, `failures_total{reason="${reason}"}`);
  }
  t.equal(changes, before + 1, 'no failure changed the targets');

  // Back to a good list: it applies.
  server.answer = sdList({ targets: ['d.example:1'] });
  await discovery.poll('inv');
  t.same(names(), ['inv/d.example:1']);
  t.equal(value(await metrics(discovery), 'tocsin_probe_discovery_up', { source: 'inv' }), 1);
  t.same(
    log.lines.filter((l) => JSON.stringify(l).includes('s3cret-sd-token')),
    [],
    'the token is in no log line',
  );
  const registry = new Registry();
  discovery.collect(registry);
  t.notMatch(await registry.metrics(), /s3cret/, 'nor in the metrics');
});

t.test('a source that cannot be reached, and one over TLS', async (t) => {
  const log = captureLogger();
  const closed = await freePort();
  const discovery = new Discovery([source(`url: "http://127.0.0.1:${closed}/sd"`)], { logger: log.logger, onChange: () => undefined });
  t.teardown(() => discovery.close());
  await discovery.poll('inv');
  const m = await metrics(discovery);
  t.equal(value(m, 'tocsin_probe_discovery_up', { source: 'inv' }), 0);
  t.equal(value(m, 'tocsin_probe_discovery_failures_total', { source: 'inv', reason: 'connection' }), 1, 'a closed port: connection');
  t.same(discovery.targets(new Set()), [], 'no list yet: no targets (and nothing is invented)');

  const pki = makeProbePki(t);
  const tls = await sdServer(t, { cert: pki.serverCert, key: pki.serverKey });
  tls.answer = sdList({ targets: ['a.example:1'] });
  const untrusted = new Discovery([source(`url: "${tls.url}"`)], { logger: log.logger, onChange: () => undefined });
  t.teardown(() => untrusted.close());
  await untrusted.poll('inv');
  t.equal(value(await metrics(untrusted), 'tocsin_probe_discovery_failures_total', { source: 'inv', reason: 'tls' }), 1, 'a certificate from an unknown CA: tls');
  const trusted = new Discovery([source(`url: "${tls.url}", tls: {ca_file: ${pki.caCert}}`)], { logger: log.logger, onChange: () => undefined });
  t.teardown(() => trusted.close());
  await trusted.poll('inv');
  t.same(trusted.targets(new Set()).map((x) => x.name), ['inv/a.example:1'], 'with its CA: the list is read');
});

t.test('names taken by the config file or the API win, and the clash is logged once', async (t) => {
  const server = await sdServer(t);
  server.answer = sdList({ targets: ['a.example:1'] }, { targets: ['b.example:1'], labels: { name: 'shop' } });
  const log = captureLogger();
  const discovery = new Discovery([source(`url: "${server.url}"`)], { logger: log.logger, onChange: () => undefined });
  t.teardown(() => discovery.close());
  await discovery.poll('inv');
  t.same(discovery.targets(new Set(['shop'])).map((x) => x.name), ['inv/a.example:1']);
  discovery.targets(new Set(['shop']));
  const clashes = log.lines.filter((l) => l.target === 'shop' && l.level === 40);
  t.equal(clashes.length, 1, 'logged once, not on every apply');
  t.match(clashes[0]!.msg, /the config file, the API/);
  t.same(discovery.targets(new Set()).map((x) => x.name), ['inv/a.example:1', 'shop'], 'once the name is free, the discovered target is used');
});

t.test('a source is polled on its refresh_interval', async (t) => {
  const server = await sdServer(t);
  const discovery = new Discovery([source(`url: "${server.url}", refresh_interval: 1s, timeout: 500ms`)], { logger: captureLogger().logger, onChange: () => undefined });
  t.teardown(() => discovery.close());
  for (let i = 0; i < 50 && server.requests < 3; i++) await sleep(100);
  t.ok(server.requests >= 3, `three polls within 5 s (${server.requests})`);
  discovery.close();
  const after = server.requests;
  await sleep(1500);
  t.equal(server.requests, after, 'no poll after close');
});

t.test('a reload: a changed source keeps its list under its new target_defaults; a removed one takes its targets along', async (t) => {
  const server = await sdServer(t);
  server.answer = sdList({ targets: ['a.example:1'] });
  const discovery = new Discovery([source(`url: "${server.url}"`)], { logger: captureLogger().logger, onChange: () => undefined });
  t.teardown(() => discovery.close());
  await discovery.poll('inv');
  t.equal(discovery.targets(new Set())[0]?.interval, 30);
  // The source now fails, and the reload gives it other defaults: the last list, re-read with them.
  server.answer = { status: 503, body: '' };
  discovery.reconfigure([source(`url: "${server.url}", target_defaults: {interval: 45s, environment: LIVE}`)]);
  t.match(discovery.targets(new Set()), [{ name: 'inv/a.example:1', interval: 45, environment: 'LIVE' }]);
  await discovery.poll('inv');
  t.equal(discovery.targets(new Set()).length, 1, 'still kept after the failed poll');
  discovery.reconfigure([]);
  t.same(discovery.targets(new Set()), [], 'a source removed from the config takes its targets along');
  t.same((await metrics(discovery)).samples, [], 'and its series');
});
