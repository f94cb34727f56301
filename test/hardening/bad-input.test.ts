// Property-based bad input (fast-check) against a real relay and a real exporter app, through
// app.inject(): mutated Alertmanager payloads (wrong types, missing fields, huge strings, deep
// nesting, unicode, extra fields), the channels API (bodies and paths), the queue and dead-letter
// API, and /metrics' scrape-timeout, Accept and Accept-Encoding headers. Every input must get a
// 2xx or a 4xx whose message names what was wrong (a 503 only when storage fails, which it does
// not here), never a 500, never a throw; and every notification the relay accepted must still be
// in the outbox at the end, also after a restart on the same data dir.
//
// Runs are bounded and the seed is fixed and printed: TOCSIN_FUZZ_SEED=<seed> reproduces a run,
// and a failure prints fast-check's counterexample with its path.
import t, { type Test } from 'tap';
import fc from 'fast-check';
import { gunzipSync } from 'node:zlib';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InjectOptions, Response as InjectResponse } from 'light-my-request';
import { parseConfig } from '../../src/config/load.js';
import { createRelay, type Relay } from '../../src/relay/server.js';
import { buildExporterApp } from '../../src/exporter/app.js';
import { Scraper } from '../../src/exporter/scrape.js';
import { gauge, type Collector } from '../../src/collectors/collector.js';
import { createSelfRegistry } from '../../src/telemetry/self-metrics.js';
import { silentLogger } from '../helpers/collect.js';
import { amFixtureJson } from '../helpers/am-fixtures.js';
import { parseExposition } from '../helpers/exposition.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import { tmpDir } from '../helpers/tmp.js';
import { anyJson, count, figures, materialize, mutation, mutate, report, SEED, toJsonText, verdict } from './mutations.js';

const RUNS = Number(process.env.TOCSIN_FUZZ_RUNS ?? 300);
const FIXTURES = ['firing-grouped-critical', 'firing-truncated', 'firing-warning', 'resolved-warning'];
const HOOK_TOKEN = 'fuzz-hook-token';
const API_TOKEN = 'fuzz-api-token';
// The only destination: its fake Slack accepts the connection and never answers (the delivery
// timeout is long), so every accepted notification stays pending and can be counted.
const HELD = 'held';

async function startRelay(t: Test, dir: string, slack: FakeSlack): Promise<Relay> {
  writeFileSync(join(dir, 'hook-token'), HOOK_TOKEN);
  writeFileSync(join(dir, 'api-token'), API_TOKEN);
  writeFileSync(join(dir, 'held-url'), slack.url('/held'));
  const config = parseConfig(
    `relay:
  data_dir: ${dir}/data
  auth: {bearer_token_file: ${dir}/hook-token}
  api_auth: {bearer_token_file: ${dir}/api-token}
  # Off, so that a mutation that leaves a payload unchanged is still accepted and counted.
  dedupe_window: 0s
  delivery: {timeout: 300s}
  destinations:
    - {name: ${HELD}, webhook_url_file: ${dir}/held-url}
  default_destinations: [${HELD}]
`,
    'fuzz.yml',
  );
  const relay = await createRelay(config, silentLogger, { consoleWrite: () => undefined });
  return relay;
}

/** Sends one request; undefined when inject itself threw (a crash of the request pipeline). */
async function send(app: Relay['app'], opts: InjectOptions): Promise<InjectResponse | undefined> {
  try {
    return await app.inject(opts);
  } catch {
    return undefined;
  }
}

t.test('relay: mutated Alertmanager payloads and API requests: 2xx or a 4xx naming the field, nothing accepted lost', async (t) => {
  const slack = await FakeSlack.start({ defaultMode: { kind: 'hang' } });
  t.teardown(() => slack.close());
  const dir = tmpDir(t, 'tocsin-fuzz-relay-');
  let relay = await startRelay(t, dir, slack);
  t.teardown(() => relay.close());
  const hookAuth = { authorization: `Bearer ${HOOK_TOKEN}` };
  const apiAuth = { authorization: `Bearer ${API_TOKEN}` };
  let accepted = 0;

  // 1. The webhook payload.
  const hook = figures();
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...FIXTURES), fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean(), async (name, ms, pretty) => {
      const body = mutate(amFixtureJson(name), ms);
      // Compact or indented, as different clients send it.
      const payload = toJsonText(body, pretty ? 2 : undefined);
      const res = await send(relay.app, { method: 'POST', url: '/hooks/alertmanager', payload, headers: { ...hookAuth, 'content-type': 'application/json' } });
      count(hook, res);
      if (!res) return false;
      if (res.statusCode === 200 && (res.json() as { outcome: string }).outcome === 'accepted') accepted += (res.json() as { destinations: string[] }).destinations.length;
      const problem = verdict(res);
      if (problem) throw new Error(problem);
      return true;
    }),
    { seed: SEED, numRuns: RUNS, endOnFailure: true },
  );
  report(t, 'Alertmanager payload', hook);

  // Not JSON at all, wrong content types, an empty body.
  const raw = figures();
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.constant(''), fc.constant('{"alerts": ['), fc.constant('[]'), fc.constant('null')),
      fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', ''),
      async (payload, contentType) => {
        const res = await send(relay.app, { method: 'POST', url: '/hooks/alertmanager', payload, headers: { ...hookAuth, ...(contentType && { 'content-type': contentType }) } });
        count(raw, res);
        if (!res) return false;
        if (res.statusCode === 200) accepted += (res.json() as { destinations?: string[] }).destinations?.length ?? 0;
        const problem = verdict(res);
        if (problem) throw new Error(problem);
        return true;
      },
    ),
    { seed: SEED, numRuns: Math.ceil(RUNS / 3), endOnFailure: true },
  );
  report(t, 'raw webhook bodies and content types', raw);

  // 2. The channels API: any method, path and body. The held channel is left alone (disabling it
  // would suppress new notifications).
  const channelName = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 80 }),
    fc.stringMatching(/^[a-z0-9][a-z0-9_.-]{0,70}$/),
    fc.constantFrom('..', '%2e%2e', 'a/b', '%00', ' ', 'ALERTS'),
  ).filter((n) => n.toLowerCase() !== HELD && decodeURIComponentSafe(n).toLowerCase() !== HELD);
  const channelBody = fc.oneof(
    fc.record(
      {
        name: fc.oneof(channelName, anyJson.map(materialize)),
        webhook_url: fc.oneof(
          fc.constant(slack.url('/new')),
          fc.webUrl(),
          fc.constant('https://user:pw@hooks.slack.com/services/T1/B1/x'),
          fc.constantFrom('ftp://x', 'not a url', 'http://', ''),
          anyJson.map(materialize),
        ),
        enabled: fc.oneof(fc.boolean(), anyJson.map(materialize)),
        extra: anyJson.map(materialize),
      },
      { requiredKeys: [] },
    ),
    anyJson.map(materialize),
  );
  const api = figures();
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE' as const),
      fc.option(channelName, { nil: undefined }),
      fc.boolean(),
      channelBody,
      async (method, name, encode, body) => {
        const url = name === undefined ? '/api/v1/channels' : `/api/v1/channels/${encode ? encodeURIComponent(name) : name}`;
        const withBody = method !== 'GET' && method !== 'DELETE';
        const res = await send(relay.app, {
          method,
          url,
          headers: { ...apiAuth, ...(withBody && { 'content-type': 'application/json' }) },
          ...(withBody && { payload: toJsonText(body) }),
        });
        count(api, res);
        if (!res) return false;
        const problem = verdict(res);
        if (problem) throw new Error(`${method} ${url}: ${problem}`);
        return true;
      },
    ),
    { seed: SEED, numRuns: RUNS, endOnFailure: true },
  );
  report(t, 'channels API', api);

  // 3. Queues and dead letters.
  const queue = figures();
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('queues', 'purge', 'dead-letters', 'retry-one', 'retry-all'),
      channelName,
      fc.oneof(fc.constantFrom('true', 'false', '', 'TRUE', '1'), fc.string({ maxLength: 10 })),
      async (kind, name, q) => {
        const enc = encodeURIComponent(name);
        const req =
          kind === 'queues'
            ? { method: 'GET' as const, url: `/api/v1/queues?x=${encodeURIComponent(q)}` }
            : kind === 'purge'
              ? { method: 'POST' as const, url: `/api/v1/queues/${enc}/purge?forget_oldest=${encodeURIComponent(q)}` }
              : kind === 'dead-letters'
                ? { method: 'GET' as const, url: '/api/v1/dead-letters' }
                : kind === 'retry-one'
                  ? { method: 'POST' as const, url: `/api/v1/dead-letters/${enc}/retry` }
                  : { method: 'POST' as const, url: `/api/v1/dead-letters/retry?destination=${enc}` };
        const res = await send(relay.app, { ...req, headers: apiAuth });
        count(queue, res);
        if (!res) return false;
        const problem = verdict(res);
        if (problem) throw new Error(`${req.method} ${req.url}: ${problem}`);
        return true;
      },
    ),
    { seed: SEED, numRuns: RUNS, endOnFailure: true },
  );
  report(t, 'queues and dead-letters API', queue);

  t.ok(accepted > 0, `some mutated payloads were still valid and accepted (${accepted})`);
  t.equal(relay.outbox.pendingCount(HELD), accepted, 'every accepted notification is pending in the outbox');
  await relay.close();
  relay = await startRelay(t, dir, slack);
  t.equal(relay.outbox.pendingCount(HELD), accepted, 'and still there after a restart on the same data dir');
  t.ok(slack.requests.every((r) => r.status === 'hung'), 'the fake Slack answered nothing (nothing could be marked done)');
  t.comment(`relay: accepted ${accepted}, pending after restart ${relay.outbox.pendingCount(HELD)}, lost ${accepted - relay.outbox.pendingCount(HELD)}`);
  const total = [hook, raw, api, queue].reduce((s, f) => s + f.server + f.crashes, 0);
  t.equal(total, 0, 'no 5xx, no crash');
});

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

t.test('exporter: any scrape-timeout, Accept and Accept-Encoding header gets a parseable 200', async (t) => {
  const collector: Collector = {
    name: 'fuzz',
    async collect({ registry }) {
      gauge(registry, 'tocsin_fuzz_value', 'A test value.').set(1);
    },
  };
  const scraper = new Scraper({ collectors: [collector], logger: silentLogger, selfRegistry: createSelfRegistry() });
  const app = buildExporterApp({ scraper, logger: silentLogger, telemetryPath: '/metrics', defaultTimeout: 2 });
  t.teardown(() => app.close());
  const header = fc.oneof(
    fc.string({ unit: 'binary-ascii', maxLength: 60 }),
    fc.double().map(String),
    fc.integer().map(String),
    fc.constantFrom('', 'NaN', 'Infinity', '-1', '0', '1e309', '0.000001', '10abc', ' 3 ', '1,2'),
    fc.integer({ min: 1000, max: 20_000 }).map((n) => 'q'.repeat(n)),
  );
  const accept = fc.oneof(
    header,
    fc.constantFrom(
      'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5',
      'application/openmetrics-text;q=abc',
      'application/openmetrics-text;q=',
      'application/openmetrics-text;;;q=0',
      '*/*',
    ),
  );
  const encoding = fc.oneof(header, fc.constantFrom('gzip', 'gzip;q=0', '*;q=0.5', 'x-gzip;q=NaN', 'identity, gzip;q=1e400', 'br', 'gzip, gzip;q=0'));
  const f = figures();
  await fc.assert(
    fc.asyncProperty(fc.option(header), fc.option(accept), fc.option(encoding), async (timeout, acc, enc) => {
      const headers: Record<string, string> = {};
      if (timeout !== null) headers['x-prometheus-scrape-timeout-seconds'] = timeout;
      if (acc !== null) headers.accept = acc;
      if (enc !== null) headers['accept-encoding'] = enc;
      let res: InjectResponse | undefined;
      try {
        res = await app.inject({ url: '/metrics', headers });
      } catch (err) {
        // A header value Node refuses to send (a control character) never reaches a server.
        if ((err as { code?: string }).code === 'ERR_INVALID_CHAR') return true;
        res = undefined;
      }
      count(f, res);
      if (!res) return false;
      if (res.statusCode !== 200) throw new Error(`answered ${res.statusCode}: ${res.body.slice(0, 200)}`);
      const body = res.headers['content-encoding'] === 'gzip' ? gunzipSync(res.rawPayload).toString() : res.body;
      const exp = parseExposition(body);
      if (!exp.samples.some((s) => s.name === 'tocsin_fuzz_value')) throw new Error('the scrape lost the collector value');
      return true;
    }),
    { seed: SEED, numRuns: RUNS, endOnFailure: true },
  );
  report(t, 'exporter /metrics headers', f);
  t.equal(f.server + f.crashes, 0, 'no 5xx, no crash');
});
