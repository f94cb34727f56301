// Alerts' dashboard_url annotations (rules/*.yml; the relay shows them as a "Dashboard" button)
// land on the right dashboard with the right variables: each names the uid of a dashboard of
// grafana/*.json, sets only variables that dashboard has, each from the alert's label of the
// same name (URL-escaped), and every host, process, container, nginx, MySQL and probe alert has one. All share one base URL,
// so one sed points them at your Grafana. What they render to for given labels is pinned by
// the promtool tests (rules/tests/*.yml).
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { loadDashboards } from '../helpers/grafana.js';
import { ROOT } from '../helpers/served-metrics.js';

interface Rule {
  readonly alert?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}
const ALERTS = readdirSync(join(ROOT, 'rules'))
  .filter((f) => f.endsWith('.yml'))
  .flatMap((file) =>
    (load(readFileSync(join(ROOT, 'rules', file), 'utf8')) as { groups: { rules: Rule[] }[] }).groups
      .flatMap((g) => g.rules)
      .filter((r) => r.alert !== undefined)
      .map((r) => ({ ...r, file, where: `rules/${file}: ${r.alert}/${r.labels?.severity}` })),
  );
const DASHBOARDS = new Map(loadDashboards().map(({ dash }) => [dash.uid, dash]));

/** base, uid and the var-* parameters of a Grafana dashboard link, or undefined. */
function parseLink(url: string): { base: string; uid: string; vars: [string, string][] } | undefined {
  const m = /^(https?:\/\/[^/]+(?:\/[^?]*?)?)\/d\/([A-Za-z0-9_-]+)(?:\/[A-Za-z0-9_-]*)?\?(.*)$/.exec(url);
  if (!m) return undefined;
  const vars = m[3]!.split('&').map((p) => {
    const i = p.indexOf('=');
    return [p.slice(0, i), p.slice(i + 1)] as [string, string];
  });
  return { base: m[1]!, uid: m[2]!, vars };
}

t.test('every dashboard_url names an existing dashboard and variables it has, filled from the labels', async (t) => {
  const linked = ALERTS.filter((a) => a.annotations?.dashboard_url !== undefined);
  t.ok(linked.length >= 30, `${linked.length} alerts link a dashboard`);
  const bases = new Set<string>();
  for (const a of linked) {
    const link = parseLink(a.annotations!.dashboard_url!);
    if (!t.ok(link, `${a.where}: ${a.annotations!.dashboard_url} is a link to /d/<uid>?var-...`) || !link) continue;
    bases.add(link.base);
    const dash = DASHBOARDS.get(link.uid);
    if (!t.ok(dash, `${a.where}: dashboard ${link.uid} exists in grafana/`) || !dash) continue;
    const names = (dash.templating?.list ?? []).map((v) => v.name);
    for (const [param, value] of link.vars) {
      const name = param.replace(/^var-/, '');
      t.ok(param.startsWith('var-') && names.includes(name), `${a.where}: ${param} is a variable of ${link.uid} (${names.join(', ')})`);
      t.equal(value, `{{ $labels.${name} | urlquery }}`, `${a.where}: ${param} is the alert's ${name} label, URL-escaped`);
    }
    const required = (dash.templating?.list ?? []).filter((v) => v.type === 'query' && v.includeAll !== true).map((v) => v.name);
    t.same(
      required.filter((r) => !link.vars.some(([p]) => p === `var-${r}`)),
      [],
      `${a.where}: every single-value variable of ${link.uid} is set`,
    );
  }
  t.equal(bases.size, 1, `one base URL for every link (${[...bases].join(', ')}), so one sed changes them all`);
});

t.test('host, process, container, service and probe alerts link their dashboard', async (t) => {
  const expected = (alert: string) =>
    alert === 'HostDown'
      ? 'tocsin-overview'
      : alert.startsWith('Host')
        ? 'tocsin-host'
        : alert.startsWith('ProcessGroup')
          ? 'tocsin-processes'
          : alert.startsWith('Container')
            ? 'tocsin-containers'
            : /^(MySQL|Nginx)/.test(alert)
              ? 'tocsin-services'
              : alert.startsWith('Probe')
                ? 'tocsin-probes'
                : undefined;
  for (const a of ALERTS) {
    const uid = expected(a.alert!);
    if (uid === undefined) continue;
    t.equal(parseLink(a.annotations?.dashboard_url ?? '')?.uid, uid, `${a.where} links ${uid}`);
  }
});

t.test('the link parser', async (t) => {
  t.same(parseLink('http://localhost:3000/d/tocsin-host?var-job=a&var-instance=b'), {
    base: 'http://localhost:3000',
    uid: 'tocsin-host',
    vars: [
      ['var-job', 'a'],
      ['var-instance', 'b'],
    ],
  });
  t.equal(parseLink('https://grafana.example/sub/d/x/slug?var-a=1')?.base, 'https://grafana.example/sub');
  t.equal(parseLink('http://localhost:3000/dashboards'), undefined);
});
