// exporter.probes.discovery and exporter.probes.connectivity in tocsin.yml: defaults, and
// every mistake refused with the path of the field (tocsin check-config exits 1 with it).
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

const probes = (body: string) => `exporter:\n  probes:\n${body}`;

t.test('defaults', async (t) => {
  const config = parseConfig(probes('    discovery:\n      - {name: cmdb, url: "https://cmdb.example.com/tocsin"}\n'), 'tocsin.yml', process.cwd());
  const [source] = config.exporter.probes.discovery;
  t.match(source, { name: 'cmdb', refresh_interval: 60, timeout: 10, tls: { insecure_skip_verify: false }, target_defaults: { type: undefined, target: { interval: 30, timeout: 5, notify: true } } });
  t.same(config.exporter.probes.connectivity, { interval: 10, targets: [] }, 'no connectivity check unless configured');
});

const invalid: [string, string, string][] = [
  ['a URL that is not one', '    discovery:\n      - {name: a, url: "cmdb"}\n', 'exporter.probes.discovery[0].url: expected a URL'],
  ['not http', '    discovery:\n      - {name: a, url: "ftp://cmdb/"}\n', 'exporter.probes.discovery[0].url: a discovery source needs a http:// or https:// URL'],
  ['credentials in the URL', '    discovery:\n      - {name: a, url: "http://u:hunter2@cmdb/"}\n', 'exporter.probes.discovery[0].url: credentials must not be written into the URL'],
  ['a timeout not under the refresh interval', '    discovery:\n      - {name: a, url: "http://cmdb/", refresh_interval: 5s, timeout: 5s}\n', 'exporter.probes.discovery[0].timeout: the timeout (5s) must be shorter than the refresh_interval (5s)'],
  ['a refresh interval under the floor', '    discovery:\n      - {name: a, url: "http://cmdb/", refresh_interval: 100ms}\n', 'exporter.probes.discovery[0].refresh_interval: must be at least 1s'],
  ['a token in the file', '    discovery:\n      - {name: a, url: "http://cmdb/", bearer_token: hunter2-token}\n', 'exporter.probes.discovery[0].bearer_token: secrets must not be written into the config file'],
  ['duplicate source names', '    discovery:\n      - {name: a, url: "http://cmdb/"}\n      - {name: a, url: "http://cmdb2/"}\n', 'exporter.probes.discovery[1].name: duplicate discovery source name "a"'],
  ['a bad source name', '    discovery:\n      - {name: "a b", url: "http://cmdb/"}\n', 'exporter.probes.discovery[0].name: expected a source name'],
  ['an unknown key in target_defaults', '    discovery:\n      - {name: a, url: "http://cmdb/", target_defaults: {interva: 10s}}\n', 'exporter.probes.discovery[0].target_defaults: unknown key "interva"'],
  ['an address in target_defaults', '    discovery:\n      - {name: a, url: "http://cmdb/", target_defaults: {address: "x:1"}}\n', 'exporter.probes.discovery[0].target_defaults.address: the address of a discovered target comes from the source'],
  ['a bad value in target_defaults', '    discovery:\n      - {name: a, url: "http://cmdb/", target_defaults: {http: {body_regex: "("}}}\n', 'exporter.probes.discovery[0].target_defaults.http.body_regex: invalid regular expression'],
  ['a timeout over the interval in target_defaults', '    discovery:\n      - {name: a, url: "http://cmdb/", target_defaults: {interval: 5s, timeout: 6s}}\n', 'exporter.probes.discovery[0].target_defaults.timeout: the timeout (6s) must be shorter than the interval (5s)'],
  ['a connectivity address unfit for its type', '    connectivity:\n      targets: [{name: gw, type: tcp, address: "192.168.1.1"}]\n', 'exporter.probes.connectivity.targets[0].address: a tcp target needs host:port'],
  ['a connectivity timeout over its interval', '    connectivity:\n      interval: 2s\n      targets: [{name: gw, type: tcp, address: "192.168.1.1:53"}]\n', 'exporter.probes.connectivity.targets[0].timeout: the timeout (5s) must be shorter than connectivity.interval (2s)'],
  ['a connectivity target without a name', '    connectivity:\n      targets: [{type: tcp, address: "192.168.1.1:53"}]\n', 'exporter.probes.connectivity.targets[0].name'],
];

for (const [name, yaml, want] of invalid) {
  t.test(`refused: ${name}`, async (t) => {
    const found = problems(probes(yaml));
    t.ok(found.some((p) => p.includes(want)), `says ${JSON.stringify(want)}`, { found });
    t.notMatch(found.join('\n'), /hunter2/, 'no secret in the errors');
  });
}
