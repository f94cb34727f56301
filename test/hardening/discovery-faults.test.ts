// Fault: a discovery source returning garbage. A real Tocsin exporter process polls a source on
// 127.0.0.1 that serves a good list, then one kind of garbage after another (HTML, random bytes,
// a truncated list, a 500, an invalid entry, silence): through all of it the process keeps
// checking the last good list, reports the source down with the reason, logs the source and
// the problem, and takes a good list again at once. And the list parser, fed arbitrary input,
// only ever answers with targets or a DiscoveryError (never another exception).
import t from 'tap';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseConfig } from '../../src/config/load.js';
import { DiscoveryError, parseTargetList } from '../../src/probes/discovery.js';
import { parseExposition, select, value, type Exposition } from '../helpers/exposition.js';
import { tmpDir } from '../helpers/tmp.js';
import { startTocsin } from '../helpers/tocsin-process.js';
import { sdList, sdServer, type Answer } from '../probes/sd-server.js';
import { httpServer } from '../probes/servers.js';

const OFF = '{cpu: {enabled: false}, meminfo: {enabled: false}, loadavg: {enabled: false}, stat: {enabled: false}, vmstat: {enabled: false}, pressure: {enabled: false}, filesystem: {enabled: false}, netdev: {enabled: false}, diskstats: {enabled: false}, process: {enabled: false}}';

/** /metrics until `ready` holds (bounded: 80 tries, 20 s and more under load). */
async function scrapeUntil(url: string, ready: (e: Exposition) => boolean, what: string): Promise<Exposition> {
  let last: Exposition | undefined;
  for (let i = 0; i < 80; i++) {
    last = parseExposition(await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })).text());
    if (ready(last)) return last;
    await sleep(250);
  }
  throw new Error(`${what}: not within 20 s; last: ${JSON.stringify(last?.samples.filter((s) => s.name === 'probe_success' || s.name.startsWith('tocsin_probe_discovery')))}`);
}

t.test('a real exporter keeps the last good list while its discovery source serves garbage', async (t) => {
  const dir = tmpDir(t, 'tocsin-discovery-faults-');
  const http = await httpServer(t);
  const sd = await sdServer(t);
  const healthy = `http://127.0.0.1:${http}/healthy`;
  const good = (extra: string[] = []) => sdList({ targets: [healthy, ...extra], labels: { environment: 'LIVE', interval: '1s', timeout: '500ms' } });
  sd.answer = good();
  const file = join(dir, 'tocsin.yml');
  writeFileSync(
    file,
    `exporter:
  listen_address: 127.0.0.1:0
  collectors: ${OFF}
  probes:
    data_dir: ${dir}/store
    discovery:
      - {name: cmdb, url: "${sd.url}", refresh_interval: 1s, timeout: 500ms}
`,
  );
  const tocsin = await startTocsin(['exporter', `--config.file=${file}`]);
  t.teardown(() => tocsin.stop());
  const name = `cmdb/${healthy}`;
  await scrapeUntil(tocsin.url, (e) => select(e, 'probe_success', { target: name }).length === 1, 'the first list');

  const garbage: [string, Answer, string][] = [
    ['HTML', { body: '<html><body>502 Bad Gateway</body></html>' }, 'invalid_response'],
    ['random bytes', { body: randomBytes(512).toString('latin1') }, 'invalid_response'],
    ['a truncated list', { body: JSON.stringify([{ targets: [healthy] }]).slice(0, 20) }, 'invalid_response'],
    ['JSON of the wrong shape', { body: '{"targets": {"a": 1}}' }, 'invalid_response'],
    ['a 500', { status: 500, body: 'oops' }, 'http_status'],
    ['an invalid entry', sdList({ targets: [healthy] }, { targets: ['https://x/'], labels: { type: 'tcp' } }), 'invalid_entry'],
    ['silence', 'hang', 'timeout'],
  ];
  for (const [what, answer, reason] of garbage) {
    const before = parseExposition(await (await fetch(`${tocsin.url}/metrics`)).text());
    const count = value(before, 'tocsin_probe_discovery_failures_total', { source: 'cmdb', reason });
    sd.answer = answer;
    const after = await scrapeUntil(tocsin.url, (e) => value(e, 'tocsin_probe_discovery_failures_total', { source: 'cmdb', reason }) > count, what);
    t.equal(value(after, 'tocsin_probe_discovery_up', { source: 'cmdb' }), 0, `${what}: the source is down`);
    t.equal(value(after, 'probe_success', { target: name, environment: 'LIVE' }), 1, `${what}: the discovered target is still checked`);
    t.equal(value(after, 'tocsin_probe_discovery_targets', { source: 'cmdb' }), 1, `${what}: the last good list stays`);
    const logged = tocsin
      .stderr()
      .split('\n')
      .filter((l) => l.includes('"source":"cmdb"') && l.includes(`"reason":"${reason}"`));
    t.ok(logged.length > 0, `${what}: a log line names the source and the reason`);
  }
  t.equal(tocsin.child.exitCode, null, 'the process lives through it');

  // A good list again, with one more target: taken at once.
  sd.answer = good([`http://127.0.0.1:${http}/health.json`]);
  const back = await scrapeUntil(tocsin.url, (e) => select(e, 'probe_success').length === 2, 'the good list again');
  t.equal(value(back, 'tocsin_probe_discovery_up', { source: 'cmdb' }), 1);
});

t.test('the list parser answers any input with targets or a DiscoveryError', async (t) => {
  const source = parseConfig('exporter:\n  probes:\n    discovery:\n      - {name: fuzz, url: "http://127.0.0.1:1/"}\n', 'tocsin.yml', process.cwd()).exporter.probes.discovery[0]!;
  const group = fc.record({ targets: fc.array(fc.oneof(fc.string(), fc.constantFrom('a.example:1', 'https://a.example/', 'ws://a.example/'), fc.integer())), labels: fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('type', 'interval', 'timeout', 'notify', 'name', 'environment')), fc.oneof(fc.string(), fc.integer())) }, { requiredKeys: [] });
  const input = fc.oneof(fc.string(), fc.json(), fc.array(group).map((g) => JSON.stringify(g)), fc.array(fc.jsonValue()).map((v) => JSON.stringify(v)));
  fc.assert(
    fc.property(input, (text) => {
      try {
        parseTargetList(source, text);
      } catch (err) {
        if (!(err instanceof DiscoveryError)) throw err;
      }
    }),
    { numRuns: 500 },
  );
  t.pass('500 inputs, no other exception');
});
