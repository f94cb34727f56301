// Every panel of every dashboard in grafana/*.json shows data on a healthy system: `tocsin stack`
// (real Prometheus scraping the real exporter and relay) runs with process groups, a real
// nginx, a real MariaDB, a private Docker engine with one container and probe targets (HTTP,
// HTTPS and WebSocket servers on loopback); each dashboard's variables are resolved the way Grafana does
// (label_values() against that Prometheus, "All" for multi-value ones), and each panel's
// queries, variables filled in, are run as range queries over the last half minute. A panel
// whose queries all come back empty shows "No data" in Grafana: that fails, unless the panel is
// listed below with the reason it is empty on a healthy machine.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { allPanels, interpolate, loadDashboards, prometheusLabelValues, resolveVariables, type GrafanaVariable } from '../helpers/grafana.js';
import { startDockerEngine } from '../helpers/docker-engine.js';
import { createMonitoringUser, startMariaDb } from '../helpers/mariadb-server.js';
import { startNginx } from '../helpers/nginx-server.js';
import { probeTargets } from '../helpers/probe-targets.js';
import { startStack, until } from '../helpers/stack.js';

/** Panels that are empty on a healthy machine, by "dashboard uid / panel title", with the reason. */
export const EMPTY_WHEN_HEALTHY: Readonly<Record<string, string>> = {
  'tocsin-containers / Network traffic':
    "the test's private Docker engine runs with --bridge=none (no iptables here): its container has loopback only, which is not counted",
  'tocsin-containers / Block I/O': "the container only sleeps: the cgroup's io.stat lists a device once the container has read or written it",
  'tocsin-relay / Dead-lettered': 'a healthy relay dead-letters nothing: the series (by destination and reason) appears with the first dead letter',
  'tocsin-overview / Firing alerts': 'no alert fires on a healthy machine (test/e2e/healthy.test.ts); the count beside it shows 0',
  'tocsin-relay / Firing alerts': 'no alert fires on a healthy machine (test/e2e/healthy.test.ts); the count above it shows 0',
  'tocsin-probes / Failing targets and why': 'every probe target answers on a healthy system: tocsin_probe_failure_info exists only while a target fails',
  'tocsin-probes / Failing targets by reason': 'every probe target answers on a healthy system: tocsin_probe_failure_info exists only while a target fails',
  'tocsin-services / Replication threads': 'the MariaDB is not a replica: SHOW REPLICA STATUS is empty, so there is no mysql_slave_status_* (as in mysqld_exporter)',
};

/** Grafana's built-ins, as they come out for a half-hour view of a 1 s scrape interval. */
const BUILTINS = { __rate_interval: '30s', __interval: '5s', __range: '1m', __range_s: '60', __interval_ms: '5000' };
const WINDOW_S = 30;

t.test('every dashboard panel has data on a healthy system, or is listed with the reason it is empty', async (t) => {
  const [db, engine] = await Promise.all([
    // performance_schema (off by default in MariaDB) feeds the statement panels.
    startMariaDb(t, { args: ['--performance-schema=ON'] }),
    startDockerEngine(t),
  ]);
  // A running container with limits and a health check, for the limit and health panels.
  await engine.run(
    ['--name', 'e2e-dash', '--memory', '64m', '--cpus', '0.5', '--health-cmd', 'true', '--health-interval', '1s', '--health-start-period', '0s'],
    ['sleep', '3600'],
  );
  await createMonitoringUser(db, 'tocsin', 'e2e-dash-password');
  // A statement in an application schema, for the statement digests (system schemas are left out).
  await db.sql('CREATE DATABASE app', 'USE app', 'CREATE TABLE t (id INT PRIMARY KEY)', 'INSERT INTO t VALUES (1)', 'SELECT * FROM t WHERE id = 1');
  writeFileSync(join(db.dir, 'tocsin-password'), 'e2e-dash-password\n');
  const nginx = await startNginx(t);
  const probes = await probeTargets(t);
  const stack = await startStack(
    t,
    `    process:
      groups:
        - name: tocsin
          cmdline: ['tocsin-e2e-[^/ ]*/tocsin\\.yml']
        - name: nginx
          comm: ['nginx']
    nginx:
      enabled: true
      timeout: 500ms
      endpoints: [{url: '${nginx.statusUrl}'}]
    containers:
      enabled: true
      docker_host: ${engine.host}
    mysql:
      enabled: true
      port: ${db.port}
      user: tocsin
      password_file: ${join(db.dir, 'tocsin-password')}
      timeout: 500ms`,
    // Every `for:` at 10 minutes: no alert can fire during the test (the event alerts included),
    // so the alert tables are empty for certain, as on a healthy machine (test/e2e/healthy.test.ts).
    '10m',
    { probes },
  );
  const api = async (path: string, params: Record<string, string>): Promise<any> => {
    const res = await fetch(`${stack.prometheus}/api/v1/${path}?${new URLSearchParams(params)}`);
    const body = (await res.json()) as { status: string; data: unknown; error?: string };
    if (body.status !== 'success') throw new Error(`${path} ${JSON.stringify(params)}: ${body.error}`);
    return body.data;
  };
  await until('Prometheus to scrape the exporter, the relay, Alertmanager, nginx, MySQL and the probe targets', 60_000, async () => {
    const ups = await Promise.all(
      ['up{job="tocsin"}', 'up{job="tocsin-relay"}', 'up{job="alertmanager"}', 'mysql_up', 'nginx_up', 'probe_success{target="web"}', 'probe_success{target="shop"}', 'probe_success{target="chat"}'].map((q) =>
        stack.query(`${q} == 1`),
      ),
    );
    return ups.every((r) => r.length > 0);
  });
  // One notification through Alertmanager, the relay and the fake Slack, for the relay's traffic
  // panels (straight to Alertmanager: it is no Prometheus alert, so ALERTS stays empty).
  const alertmanager = (await stack.query('up{job="alertmanager"} == 1'))[0]?.metric.instance;
  const posted = await fetch(`http://${alertmanager}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([{ labels: { alertname: 'DashboardLiveTest', severity: 'info', instance: 'e2e' }, annotations: { summary: 'traffic for the relay panels' } }]),
  });
  t.equal(posted.status, 200, 'Alertmanager took the test alert');
  await until('the test alert in the info channel', 30_000, () => stack.messages('info', 'DashboardLiveTest').length > 0);
  // Enough samples for every rate over $__rate_interval and the 5-minute recording rules.
  await sleep(WINDOW_S * 1000);

  const now = Date.now() / 1000;
  const labelValues = prometheusLabelValues(stack.prometheus, now);

  const empty: string[] = [];
  let panelsChecked = 0;
  for (const { file, dash } of loadDashboards()) {
    const variables: readonly GrafanaVariable[] = dash.templating?.list ?? [];
    const { values, found } = await resolveVariables(dash, labelValues, BUILTINS);
    for (const v of variables) {
      const got = found.get(v.name);
      if (got === undefined) continue;
      // A variable with an "All" of its own (e.g. ".*") may have no values: nginx's endpoint label
      // exists only with several endpoints, and "All" still matches the one.
      t.ok(got.length > 0 || (v.includeAll === true && !!v.allValue), `${dash.uid}: $${v.name} has values (${got.join(', ')})`);
    }
    for (const panel of allPanels(dash.panels)) {
      const targets = (panel.targets ?? []).filter((q) => q.hide !== true && q.expr !== undefined && q.expr.trim() !== '');
      if (targets.length === 0) continue;
      panelsChecked++;
      let series = 0;
      for (const q of targets) {
        const expr = interpolate(q.expr!, values, variables, BUILTINS);
        const data = (await api('query_range', { query: expr, start: String(now - WINDOW_S), end: String(now), step: '2' })) as { result: unknown[] };
        series += data.result.length;
      }
      if (series === 0) empty.push(`${dash.uid} / ${panel.title}`);
    }
  }
  t.ok(panelsChecked > 50, `${panelsChecked} panels with queries checked`);
  const unexplained = empty.filter((p) => EMPTY_WHEN_HEALTHY[p] === undefined);
  t.same(unexplained, [], 'no panel shows "No data" without a listed reason');
  for (const p of empty.filter((p) => EMPTY_WHEN_HEALTHY[p] !== undefined)) t.comment(`empty, as listed: ${p}: ${EMPTY_WHEN_HEALTHY[p]}`);
  const names = new Set(loadDashboards().flatMap(({ dash }) => allPanels(dash.panels).map((p) => `${dash.uid} / ${p.title}`)));
  t.same(Object.keys(EMPTY_WHEN_HEALTHY).filter((k) => !names.has(k)), [], 'every listed panel exists');
});
