// Route matchers, every operator: each test below fails when its operator is broken (inverted,
// unanchored, or treating a missing label differently from Alertmanager, which reads it as "").
import t from 'tap';
import { parseMatcher } from '../../src/config/matchers.js';
import { parseConfig } from '../../src/config/load.js';
import { Router } from '../../src/relay/routing.js';
import type { AlertmanagerNotification } from '../../src/relay/types.js';

const notification = (commonLabels: Record<string, string>): AlertmanagerNotification => ({
  version: '4',
  groupKey: '{}:{}',
  status: 'firing',
  receiver: 'relay',
  groupLabels: {},
  commonLabels,
  commonAnnotations: {},
  externalURL: '',
  alerts: [],
});

/** A router built from a real config file text: one route with `matcher` to `hit`, default `miss`. */
function routerFor(matcher: string): (labels: Record<string, string>) => string {
  const config = parseConfig(
    `relay:
  destinations: [{name: hit, type: console}, {name: miss, type: console}]
  routes:
    - {matchers: [${JSON.stringify(matcher)}], destinations: [hit]}
  default_destinations: [miss]
`,
    'routing.yml',
  );
  const router = new Router(config.relay.routes, config.relay.default_destinations);
  return (labels) => router.route(notification(labels)).map((r) => r.destination).join(',');
}

t.test('= matches the exact value only', async (t) => {
  const to = routerFor('env="prod"');
  t.equal(to({ env: 'prod' }), 'hit');
  t.equal(to({ env: 'production' }), 'miss');
  t.equal(to({}), 'miss');
});

t.test('!= matches every other value, a missing label included', async (t) => {
  const to = routerFor('env!="dev"');
  t.equal(to({ env: 'dev' }), 'miss', 'the excluded value does not match');
  t.equal(to({ env: 'prod' }), 'hit', 'another value matches');
  t.equal(to({}), 'hit', 'a missing label is "" and "" != "dev"');
  t.equal(routerFor('env!=""')({}), 'miss', 'a missing label is "": env!="" needs the label');
});

t.test('=~ is an anchored regular expression', async (t) => {
  const to = routerFor('instance=~"web-[0-9]+:9100"');
  t.equal(to({ instance: 'web-12:9100' }), 'hit');
  t.equal(to({ instance: 'web-x:9100' }), 'miss');
  t.equal(to({ instance: 'oldweb-1:9100' }), 'miss', 'anchored at the start');
  t.equal(to({ instance: 'web-1:91000' }), 'miss', 'anchored at the end');
  t.equal(to({}), 'miss');
  t.equal(routerFor('team=~"a|b"')({ team: 'b' }), 'hit', 'alternation stays inside the anchors');
  t.equal(routerFor('team=~"a|b"')({ team: 'ab' }), 'miss');
  t.equal(routerFor('team=~".*"')({}), 'hit', 'a missing label is "" and matches .*');
});

t.test('!~ matches what the anchored regular expression does not', async (t) => {
  const to = routerFor('team!~"db|storage"');
  t.equal(to({ team: 'db' }), 'miss');
  t.equal(to({ team: 'storage' }), 'miss');
  t.equal(to({ team: 'dbx' }), 'hit', 'anchored: dbx is not db');
  t.equal(to({ team: 'web' }), 'hit');
  t.equal(to({}), 'hit', 'a missing label is "" and matches neither');
  t.equal(routerFor('team!~".+"')({}), 'hit');
  t.equal(routerFor('team!~".+"')({ team: 'x' }), 'miss');
});

t.test('all matchers of a route must match; the parsed parts are what was written', async (t) => {
  const config = parseConfig(
    `relay:
  destinations: [{name: hit, type: console}, {name: miss, type: console}]
  routes:
    - {matchers: ['severity="critical"', 'env!="dev"', 'instance=~"db-.*"', 'team!~"test.*"'], destinations: [hit]}
  default_destinations: [miss]
`,
    'routing.yml',
  );
  const router = new Router(config.relay.routes, config.relay.default_destinations);
  const to = (labels: Record<string, string>) => router.route(notification(labels))[0]!.destination;
  const all = { severity: 'critical', env: 'prod', instance: 'db-1', team: 'ops' };
  t.equal(to(all), 'hit');
  t.equal(to({ ...all, severity: 'warning' }), 'miss', '= fails');
  t.equal(to({ ...all, env: 'dev' }), 'miss', '!= fails');
  t.equal(to({ ...all, instance: 'web-1' }), 'miss', '=~ fails');
  t.equal(to({ ...all, team: 'testers' }), 'miss', '!~ fails');

  t.same(
    ['a="x"', 'a!="x"', 'a=~"x"', 'a!~"x"', 'a = "x y"', 'a=~"\\\\d+"'].map((m) => {
      const p = parseMatcher(m);
      return [p.name, p.op, p.value];
    }),
    [
      ['a', '=', 'x'],
      ['a', '!=', 'x'],
      ['a', '=~', 'x'],
      ['a', '!~', 'x'],
      ['a', '=', 'x y'],
      ['a', '=~', '\\d+'],
    ],
  );
  t.ok(parseMatcher('a=~"\\\\d+"').matches({ a: '42' }), 'an escaped backslash reaches the regex');
  t.throws(() => parseMatcher('a=~"("'), /invalid matcher/, 'a broken regex is refused when parsed');
});
