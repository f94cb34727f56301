// exporter.probes in tocsin.yml: defaults, and every mistake refused with the path of the field.
import t from 'tap';
import { ConfigError, parseConfig } from '../../src/config/load.js';

function problems(yaml: string): string[] {
  try {
    parseConfig(yaml, 'tocsin.yml', process.cwd());
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
}

const probes = (targets: string) => `exporter:\n  probes:\n    targets:\n${targets}`;

t.test('a minimal target gets the documented defaults', async (t) => {
  const config = parseConfig(probes('      - {name: shop, type: https, address: "https://shop.example.com/health"}\n'), 'tocsin.yml', process.cwd());
  const [shop] = config.exporter.probes.targets;
  t.match(shop, {
    name: 'shop',
    environment: '',
    interval: 30,
    timeout: 5,
    retries: 0,
    retry_delay: 1,
    failure_threshold: 1,
    success_threshold: 1,
    notify: true,
    labels: {},
    tls: { insecure_skip_verify: false },
    http: { method: 'GET', valid_status_codes: [], follow_redirects: true },
  });
  t.equal(config.exporter.probes.max_concurrent, 4096);
  t.same(parseConfig('', 'tocsin.yml', process.cwd()).exporter.probes.targets, [], 'no targets by default');
});

t.test('the JSON condition is parsed at load time', async (t) => {
  const config = parseConfig(probes('      - {name: api, type: http, address: "http://api/health", http: {json_condition: "$.queue.items[0].depth <= 100"}}\n'), 'tocsin.yml', process.cwd());
  t.same(config.exporter.probes.targets[0]!.http.json_condition, { path: ['queue', 'items', 0, 'depth'], operator: '<=', value: 100, text: '$.queue.items[0].depth <= 100' });
});

const invalid: [string, string, string][] = [
  ['unknown type', '      - {name: a, type: ftp, address: "ftp://x"}\n', 'exporter.probes.targets[0].type'],
  ['not a URL', '      - {name: a, type: http, address: "not a url"}\n', 'exporter.probes.targets[0].address: expected a URL'],
  ['https needs https', '      - {name: a, type: https, address: "http://x/"}\n', 'exporter.probes.targets[0].address: a https target needs a https:// URL'],
  ['ws needs ws', '      - {name: a, type: websocket, address: "http://x/"}\n', 'exporter.probes.targets[0].address: a websocket target needs a ws:// or wss:// URL'],
  ['tcp needs host:port', '      - {name: a, type: tcp, address: "db.example.com"}\n', 'exporter.probes.targets[0].address: a tcp target needs host:port'],
  ['credentials in the URL', '      - {name: a, type: http, address: "http://u:p@x/"}\n', 'exporter.probes.targets[0].address: credentials must not be written into the URL'],
  ['timeout not under the interval', '      - {name: a, type: http, address: "http://x/", interval: 10s, timeout: 10s}\n', 'exporter.probes.targets[0].timeout: the timeout (10s) must be shorter than the interval (10s)'],
  ['interval under the floor', '      - {name: a, type: http, address: "http://x/", interval: 500ms, timeout: 100ms}\n', 'exporter.probes.targets[0].interval: must be at least 1s'],
  ['bad regex', '      - {name: a, type: http, address: "http://x/", http: {body_regex: "(unclosed"}}\n', 'exporter.probes.targets[0].http.body_regex: invalid regular expression'],
  ['bad tcp regex', '      - {name: a, type: tcp, address: "x:1", tcp: {expect: "[z-a]"}}\n', 'exporter.probes.targets[0].tcp.expect: invalid regular expression'],
  ['bad JSON condition', '      - {name: a, type: http, address: "http://x/", http: {json_condition: "status = ok"}}\n', 'exporter.probes.targets[0].http.json_condition: expected a condition'],
  ['< on a string', '      - {name: a, type: http, address: "http://x/", http: {json_condition: \'$.a < "x"\'}}\n', 'exporter.probes.targets[0].http.json_condition: < compares numbers'],
  ['duplicate name', '      - {name: a, type: tcp, address: "x:1"}\n      - {name: a, type: tcp, address: "x:2"}\n', 'exporter.probes.targets[1].name: duplicate target name "a"'],
  ['reserved label', '      - {name: a, type: tcp, address: "x:1", labels: {target: x}}\n', 'exporter.probes.targets[0].labels.target'],
  ['unknown key', '      - {name: a, type: tcp, address: "x:1", interva: 10s}\n', 'exporter.probes.targets[0]: unknown key "interva"'],
  ['a password in the file', '      - {name: a, type: http, address: "http://x/", http: {basic_auth: {username: u, password: hunter2-password}}}\n', 'exporter.probes.targets[0].http.basic_auth.password: secrets must not be written into the config file'],
  ['a password missing', '      - {name: a, type: http, address: "http://x/", http: {basic_auth: {username: u}}}\n', 'exporter.probes.targets[0].http.basic_auth.password: password or password_file is required'],
  ['an unset variable', '      - {name: a, type: http, address: "http://x/", http: {bearer_token: "${TOCSIN_TEST_UNSET_TOKEN}"}}\n', 'exporter.probes.targets[0].http.bearer_token: environment variable TOCSIN_TEST_UNSET_TOKEN is not set'],
  ['an Authorization header', '      - {name: a, type: http, address: "http://x/", http: {headers: {Authorization: "Bearer abc"}}}\n', 'exporter.probes.targets[0].http.headers: credentials must not be written into the config file'],
  ['status code out of range', '      - {name: a, type: http, address: "http://x/", http: {valid_status_codes: [700]}}\n', 'exporter.probes.targets[0].http.valid_status_codes[0]'],
];

for (const [name, yaml, want] of invalid) {
  t.test(`refused: ${name}`, async (t) => {
    const found = problems(probes(yaml));
    t.ok(found.some((p) => p.includes(want)), `says ${JSON.stringify(want)}`, { found });
    t.notMatch(found.join('\n'), /hunter2|abc"/, 'no secret in the errors');
  });
}
