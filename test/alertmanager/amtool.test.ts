// alertmanager/alertmanager.yml, checked with Alertmanager's own tool:
// - `amtool check-config` accepts it (credentials_file is only read when sending, so the
//   shipped path /etc/tocsin/relay-token need not exist here);
// - `amtool config routes test --tree` sends each case of alertmanager/tests/routes.yml, and
//   every shipped alert of rules/*.yml, through the route of its severity to the relay, and
//   the route's timings are those of the table;
// - the webhook receiver is the relay's (path, default port, send_resolved, bearer token from
//   a file), grouped by alertname and instance;
// - the relay routes documented in docs/alerts.md are valid relay configuration and send each
//   severity to its own channel, with the same token file.
// Inhibition needs a running Alertmanager: test/alertmanager/alertmanager.test.ts.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { relaySchema } from '../../src/config/schema.js';
import { Router } from '../../src/relay/routing.js';
import type { AlertmanagerNotification } from '../../src/relay/types.js';
import { requireBinary } from '../helpers/bin.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CONFIG = 'alertmanager/alertmanager.yml';
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const TIMEOUT_MS = 20_000;

interface Route {
  readonly receiver?: string;
  readonly matchers?: readonly string[];
  readonly group_by?: readonly string[];
  readonly group_wait?: string;
  readonly group_interval?: string;
  readonly repeat_interval?: string;
  readonly routes?: readonly Route[];
}
interface AlertmanagerConfig {
  readonly route: Route;
  readonly receivers: readonly {
    readonly name: string;
    readonly webhook_configs?: readonly {
      readonly url: string;
      readonly send_resolved?: boolean;
      readonly http_config?: { readonly authorization?: { readonly type?: string; readonly credentials_file?: string } };
    }[];
  }[];
  readonly inhibit_rules: readonly unknown[];
}
interface RouteCase {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly route: string;
  readonly group_wait: string;
  readonly group_interval: string;
  readonly repeat_interval: string;
}

const config = load(read(CONFIG)) as AlertmanagerConfig;
const table = load(read('alertmanager/tests/routes.yml')) as { receiver: string; cases: RouteCase[] };

function amtool(args: readonly string[]): { status: number | null; stdout: string; output: string } {
  const bin = requireBinary('amtool', 'prometheus-alertmanager');
  const run = spawnSync(bin, args, { cwd: ROOT, encoding: 'utf8', timeout: TIMEOUT_MS });
  if (run.error) throw run.error;
  return { status: run.status, stdout: run.stdout, output: `${run.stdout}${run.stderr}` };
}

/** Receiver and the deepest matching route (as amtool prints it) for a label set. */
function routeOf(labels: Readonly<Record<string, string>>, receiver: string): { status: number | null; receiver: string; route: string; output: string } {
  const args = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  const { status, stdout, output } = amtool(['config', 'routes', 'test', `--config.file=${CONFIG}`, '--tree', `--verify.receivers=${receiver}`, ...args]);
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  const tree = lines.filter((l) => /[└├]── /.test(l));
  const deepest = (tree.at(-1) ?? '').replace(/^.*?[└├]── /, '').replace(/\s+receiver: \S+$/, '').trim();
  return { status, receiver: lines.at(-1)?.trim() ?? '', route: deepest, output };
}

/** The route amtool calls `name`, and its timings (inheriting the top-level route's). */
function timings(name: string): { group_wait?: string; group_interval?: string; repeat_interval?: string } {
  const root = config.route;
  const child = name === 'default-route' ? root : root.routes?.find((r) => `{${(r.matchers ?? []).join(', ')}}` === name);
  if (!child) throw new Error(`no route ${name} in ${CONFIG}`);
  return {
    group_wait: child.group_wait ?? root.group_wait,
    group_interval: child.group_interval ?? root.group_interval,
    repeat_interval: child.repeat_interval ?? root.repeat_interval,
  };
}

t.test('amtool check-config alertmanager/alertmanager.yml', async (t) => {
  const { status, output } = amtool(['check-config', CONFIG]);
  t.equal(status, 0, 'amtool accepts the configuration', { output });
  t.match(output, `Checking '${CONFIG}'  SUCCESS`);
  t.match(output, ' - 2 inhibit rules');
  t.match(output, ' - 1 receivers');
});

t.test('the receiver is the relay: its webhook path and port, resolved notices, a bearer token from a file', async (t) => {
  t.equal(config.route.receiver, table.receiver, 'the top-level route sends to the relay');
  t.same(config.route.group_by, ['alertname', 'instance'], 'grouped by alert name and instance (severity stays a common label)');
  t.same(
    config.receivers.map((r) => r.name),
    [table.receiver],
    'one receiver: the relay picks the channel',
  );
  const hooks = config.receivers[0]?.webhook_configs ?? [];
  t.equal(hooks.length, 1);
  const hook = hooks[0]!;
  const url = new URL(hook.url);
  t.equal(url.pathname, '/hooks/alertmanager', "the relay's webhook path");
  t.equal(url.port, relaySchema.parse({}).listen_address.replace(/^.*:/, ''), "the relay's default port");
  t.equal(hook.send_resolved, true, 'send_resolved: the relay posts "resolved" messages');
  t.same(hook.http_config?.authorization, { type: 'Bearer', credentials_file: '/etc/tocsin/relay-token' }, 'bearer token read from a file');
  for (const r of config.route.routes ?? []) t.equal(r.receiver, undefined, `${r.matchers}: inherits the receiver`);
});

t.test('amtool config routes test: the cases of alertmanager/tests/routes.yml', async (t) => {
  t.ok(table.cases.length >= 6, `${table.cases.length} cases`);
  for (const c of table.cases) {
    const got = routeOf(c.labels, table.receiver);
    t.equal(got.status, 0, `${c.name}: amtool --verify.receivers=${table.receiver} succeeds`, { output: got.output });
    t.equal(got.receiver, table.receiver, `${c.name}: receiver`);
    t.equal(got.route, c.route, `${c.name}: route`, { output: got.output });
    t.same(timings(got.route), { group_wait: c.group_wait, group_interval: c.group_interval, repeat_interval: c.repeat_interval }, `${c.name}: timings`);
  }
  // Every severity route of the configuration is exercised by a case, and a route for an
  // unknown severity too.
  const routes = new Set(table.cases.map((c) => c.route));
  for (const r of config.route.routes ?? []) t.ok(routes.has(`{${(r.matchers ?? []).join(', ')}}`), `a case takes ${r.matchers}`);
  t.ok(routes.has('default-route'), 'a case takes the top-level route');
});

t.test('the repeat interval per severity: critical every 15 minutes, warning every hour, info once a day', async (t) => {
  t.equal(timings('{severity="critical"}').repeat_interval, '15m');
  t.equal(timings('{severity="warning"}').repeat_interval, '1h');
  t.equal(timings('{severity="info"}').repeat_interval, '24h');
  // The relay drops a notification it saw within its dedupe window as a retry; the shortest
  // repeat must be longer, or reminders are dropped.
  const dedupe = relaySchema.parse({}).dedupe_window;
  t.ok(dedupe < 15 * 60, `the relay's default dedupe_window (${dedupe} s) is shorter than 15 minutes`);
});

t.test('every shipped alert takes the route of its severity', async (t) => {
  const seen = new Set<string>();
  for (const f of readdirSync(join(ROOT, 'rules')).filter((f) => f.endsWith('.yml'))) {
    const doc = load(read(`rules/${f}`)) as { groups: { rules: { alert?: string; labels?: Record<string, string> }[] }[] };
    for (const r of doc.groups.flatMap((g) => g.rules)) {
      if (r.alert === undefined) continue;
      const severity = r.labels?.severity ?? '';
      const key = `${r.alert}/${severity}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const got = routeOf({ alertname: r.alert, instance: 'web-1:9469', severity }, table.receiver);
      t.equal(got.route, `{severity="${severity}"}`, `${key}`, { output: got.output });
    }
  }
  t.ok(seen.size >= 30, `${seen.size} alert/severity pairs`);
});

t.test('the relay routes of docs/alerts.md: one Slack channel per severity, the token Alertmanager sends', async (t) => {
  const doc = read('docs/alerts.md');
  const m = /<!-- relay-routes[^>]*-->\n```yaml\n([\s\S]*?)\n```/.exec(doc);
  if (!t.ok(m, 'docs/alerts.md has the relay-routes snippet') || !m) return;
  const snippet = load(m[1]!) as { relay: Record<string, unknown> & { auth?: { bearer_token_file?: string } } };
  t.equal(
    snippet.relay.auth?.bearer_token_file,
    config.receivers[0]?.webhook_configs?.[0]?.http_config?.authorization?.credentials_file,
    "the relay reads the token file Alertmanager's credentials_file names",
  );

  // Parse it as Tocsin's configuration does: the token file and the webhook variables must exist.
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-routes-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const token = join(dir, 'relay-token');
  writeFileSync(token, 'not-a-real-token\n');
  const env = { SLACK_WEBHOOK_CRITICAL: 'critical', SLACK_WEBHOOK_WARNING: 'warning', SLACK_WEBHOOK_INFO: 'info' };
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(env)) process.env[k] = `https://hooks.slack.com/services/T000/B000/${v}`;
  t.teardown(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  const relay = relaySchema.parse({ ...snippet.relay, auth: { bearer_token_file: token } });

  const router = new Router(relay.routes, relay.default_destinations);
  const notification = (labels: Record<string, string>): AlertmanagerNotification => ({
    version: '4',
    groupKey: '{}:{}',
    status: 'firing',
    receiver: table.receiver,
    // What Alertmanager sends with group_by [alertname, instance]: severity among the common labels.
    groupLabels: { alertname: labels.alertname ?? '', instance: labels.instance ?? '' },
    commonLabels: labels,
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts: [],
  });
  const to = (labels: Record<string, string>) => router.route(notification(labels)).map((r) => r.destination);
  t.same(to({ alertname: 'HostDown', instance: 'web-1:9469', severity: 'critical' }), ['alerts-critical']);
  t.same(router.route(notification({ alertname: 'HostDown', instance: 'web-1:9469', severity: 'critical' }))[0]?.presentation.mention, '<!here>', 'critical mentions the channel');
  t.same(to({ alertname: 'HostCpuHigh', instance: 'web-1:9469', severity: 'warning' }), ['alerts-warning']);
  t.same(to({ alertname: 'HostRebooted', instance: 'web-1:9469', severity: 'info' }), ['alerts-info']);
  t.same(to({ alertname: 'SomethingElse', instance: 'app-1:8080', severity: 'page' }), ['alerts-warning'], 'an unknown severity still reaches a channel');
  t.same(to({ alertname: 'Watchdog' }), ['alerts-warning'], 'no severity still reaches a channel');
});
