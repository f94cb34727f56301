// Maintenance windows: when each form is open, at fixed instants (never the wall clock), in
// IANA time zones across DST changes; config mistakes refused with the path of the field; and
// on a real exporter, tocsin_probe_maintenance and the status API, from the config file (for
// some targets or all), through the API, and after a reload.
import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { maintenanceWindowSchema, sharedMaintenanceWindowSchema, type MaintenanceWindow } from '../../src/config/maintenance.js';
import { startExporter } from '../../src/exporter/server.js';
import { MaintenanceCalendar, openAt } from '../../src/probes/maintenance.js';
import { silentLogger } from '../helpers/collect.js';
import { select, value } from '../helpers/exposition.js';
import { freePort } from '../helpers/net.js';
import { tmpDir } from '../helpers/tmp.js';
import { httpServer } from './servers.js';
import { NO_HOST_COLLECTORS, scrapeUntil } from './scrape.js';

const window = (w: unknown): MaintenanceWindow => maintenanceWindowSchema.parse(w) as MaintenanceWindow;
const at = (iso: string) => Date.parse(iso);
const open = (w: MaintenanceWindow, iso: string) => openAt(w, at(iso));

t.test('a weekly window keeps its local time across both DST changes (Europe/Berlin, 2026)', async (t) => {
  // Sundays 10:00-12:00 in Berlin: 09:00-11:00Z in winter (CET), 08:00-10:00Z in summer (CEST).
  // The clocks go forward on Sunday 29 March and back on Sunday 25 October 2026.
  const w = window({ weekdays: ['sun'], at: '10:00', duration: '2h', time_zone: 'Europe/Berlin' });
  t.notOk(open(w, '2026-03-22T08:59:59Z'), 'before: 09:59:59 CET');
  t.same(open(w, '2026-03-22T09:00:00Z'), { name: undefined, untilMs: at('2026-03-22T11:00:00Z') }, 'opens at 10:00 CET');
  t.ok(open(w, '2026-03-22T10:59:59Z'));
  t.notOk(open(w, '2026-03-22T11:00:00Z'), 'closes at 12:00 CET (the end is not in)');
  // The Sunday of the change: 10:00 is now 08:00Z. A fixed UTC offset would say 09:00Z.
  t.ok(open(w, '2026-03-29T08:00:00Z'), 'opens at 10:00 CEST');
  t.same(open(w, '2026-03-29T08:30:00Z')?.untilMs, at('2026-03-29T10:00:00Z'), 'until 12:00 CEST');
  t.notOk(open(w, '2026-03-29T10:30:00Z'), '12:30 CEST: closed (a fixed offset would still say open)');
  t.notOk(open(w, '2026-03-29T07:59:00Z'));
  // Back to winter time on 25 October.
  t.notOk(open(w, '2026-10-25T08:30:00Z'), '09:30 CET: not yet (a summer offset would say open)');
  t.ok(open(w, '2026-10-25T09:00:00Z'), 'opens at 10:00 CET');
  t.ok(open(w, '2026-10-25T10:59:00Z'));
  t.notOk(open(w, '2026-03-25T09:30:00Z'), 'a Wednesday');
});

t.test('a window across midnight, a cron window, a one-off window; the DST gap', async (t) => {
  // Saturdays 23:00 for 3 h in New York: open on Sunday at 01:00 local as well.
  const night = window({ name: 'db upgrade', weekdays: ['sat'], at: '23:00', duration: '3h', time_zone: 'America/New_York' });
  t.same(open(night, '2026-07-12T05:00:00Z'), { name: 'db upgrade', untilMs: at('2026-07-12T06:00:00Z') }, 'Sunday 01:00 EDT');
  t.notOk(open(night, '2026-07-12T06:00:00Z'));
  // The first of each month, 03:00-04:00 in Tokyo (no DST): 18:00-19:00Z the day before.
  const monthly = window({ cron: '0 3 1 * *', duration: '1h', time_zone: 'Asia/Tokyo' });
  t.ok(open(monthly, '2026-05-31T18:30:00Z'));
  t.notOk(open(monthly, '2026-05-31T19:00:00Z'));
  t.notOk(open(monthly, '2026-05-15T18:30:00Z'));
  // A window longer than the gap between starts: the latest start decides.
  const hourly = window({ cron: '*/30 * * * *', duration: '45m' });
  t.same(open(hourly, '2026-01-01T00:40:00Z')?.untilMs, at('2026-01-01T01:15:00Z'));
  const once = window({ start: '2026-12-01T22:00:00+01:00', end: '2026-12-02T02:00:00+01:00' });
  t.ok(open(once, '2026-12-01T21:00:00Z'));
  t.notOk(open(once, '2026-12-02T01:00:00Z'));
  t.notOk(open(once, '2026-12-01T20:59:59Z'));
  // 02:30 does not exist in Berlin on 29 March 2026: that day's window is skipped (documented
  // in src/config/maintenance.ts); the week before and after it opens as usual.
  const gap = window({ weekdays: ['sun'], at: '02:30', duration: '1h', time_zone: 'Europe/Berlin' });
  t.ok(open(gap, '2026-03-22T01:45:00Z'), '02:45 CET the week before');
  t.notOk(open(gap, '2026-03-29T01:45:00Z'), 'skipped on the day the clocks go forward');
  t.ok(open(gap, '2026-04-05T00:45:00Z'), '02:45 CEST the week after');
});

t.test('shared windows apply to the targets named, or to all', async (t) => {
  const calendar = new MaintenanceCalendar();
  calendar.set([
    sharedMaintenanceWindowSchema.parse({ targets: ['a'], start: '2026-06-01T00:00:00Z', end: '2026-06-01T02:00:00Z' }) as never,
    sharedMaintenanceWindowSchema.parse({ name: 'all', start: '2026-06-02T00:00:00Z', end: '2026-06-02T01:00:00Z' }) as never,
  ]);
  const target = (name: string, maintenance: unknown[] = []) => ({ name, maintenance: maintenance.map(window) }) as never;
  const own = [{ start: '2026-06-01T00:30:00Z', end: '2026-06-01T03:00:00Z' }];
  calendar.setTargets([target('a', own), target('b', own)]);
  let june1 = calendar.at(at('2026-06-01T01:00:00Z'));
  t.equal(june1(target('a'))?.untilMs, at('2026-06-01T03:00:00Z'), 'the one open longest');
  t.ok(june1(target('b')), "b's own window");
  calendar.setTargets([]);
  june1 = calendar.at(at('2026-06-01T01:00:00Z'));
  t.ok(june1(target('a')), 'a is named');
  t.notOk(june1(target('b')), 'b is not');
  const june2 = calendar.at(at('2026-06-02T00:30:00Z'));
  t.equal(june2(target('a'))?.name, 'all');
  t.equal(june2(target('z'))?.name, 'all');
});

t.test('config: every mistake refused with the path of the field', async (t) => {
  const problems = (shared: string, own = '[]') => {
    try {
      parseConfig(`exporter:\n  probes:\n    maintenance: ${shared}\n    targets:\n      - {name: a, type: tcp, address: "127.0.0.1:1", maintenance: ${own}}\n`, 'tocsin.yml', process.cwd());
      return [];
    } catch (err) {
      if (err instanceof ConfigError) return [...err.problems];
      throw err;
    }
  };
  const m = 'exporter\\.probes\\.maintenance\\[0\\]';
  const cases: [string, string, RegExp][] = [
    ['unknown time zone', '[{weekdays: [sun], at: "03:00", duration: 1h, time_zone: Mars/Olympus}]', new RegExp(`${m}\\.time_zone: unknown time zone "Mars/Olympus"`)],
    ['bad cron', '[{cron: "61 * * * *", duration: 1h}]', new RegExp(`${m}\\.cron: invalid cron expression`)],
    ['six cron fields', '[{cron: "0 0 3 * * *", duration: 1h}]', new RegExp(`${m}\\.cron: expected five fields`)],
    ['time of day', '[{weekdays: [sun], at: "3am", duration: 1h}]', new RegExp(`${m}\\.at: expected a time of day as HH:MM`)],
    ['weekday', '[{weekdays: [sunday], at: "03:00", duration: 1h}]', new RegExp(`${m}\\.weekdays\\[0\\]`)],
    ['no duration', '[{weekdays: [sun], at: "03:00"}]', new RegExp(`${m}\\.duration`)],
    ['duration over a week', '[{cron: "0 3 * * *", duration: 8d}]', new RegExp(`${m}\\.duration: must be at most`)],
    ['end before start', '[{start: "2026-12-02T00:00:00Z", end: "2026-12-01T00:00:00Z"}]', new RegExp(`${m}\\.end: must be after start`)],
    ['no offset', '[{start: "2026-12-01T22:00:00", end: "2026-12-02T02:00:00Z"}]', new RegExp(`${m}\\.start: expected an ISO 8601 time with its offset`)],
    ['unknown field', '[{cron: "0 3 * * *", duration: 1h, timezone: UTC}]', new RegExp(`${m}`)],
    ['no form', '[{duration: 1h}]', new RegExp(`${m}: expected a window`)],
    ['targets not a list', '[{targets: a, cron: "0 3 * * *", duration: 1h}]', new RegExp(`${m}\\.targets: expected a list of target names`)],
  ];
  for (const [what, yaml, expected] of cases) t.match(problems(yaml), [expected], what);
  t.match(problems('[]', '[{cron: "0 3 * * *", duration: 1s}]'), [/exporter\.probes\.targets\[0\]\.maintenance\[0\]\.duration: must be at least/], "a target's own window");
  t.same(problems('[{targets: [a], weekdays: [sun, sat], at: "03:00", duration: 90m, time_zone: Europe/Berlin}, {start: 2026-12-01T22:00:00+01:00, end: 2026-12-02T02:00:00+01:00}]'), [], 'good windows, an unquoted YAML timestamp too');
});

const TOKEN = 'maintenance-test-api-token-3b9e';


async function call(url: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as Record<string, any>) };
}

t.test('on a real exporter: the maintenance series, checks going on, the status API, the API and reload', async (t: Test) => {
  const server = await httpServer(t);
  const dir = tmpDir(t, 'tocsin-maintenance-');
  writeFileSync(join(dir, 'token'), TOKEN);
  const port = await freePort();
  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  // A window open now (an hour either side) for `web`; a past one for all.
  const yaml = (shared: string) => `exporter:
  listen_address: 127.0.0.1:${port}
  collectors: ${NO_HOST_COLLECTORS}
  probes:
    data_dir: ${dir}/store
    api_auth: {bearer_token_file: ${dir}/token}
    maintenance: ${shared}
    targets:
      - {name: web, type: http, address: "http://127.0.0.1:${server}/error", interval: 1s, timeout: 500ms}
      - {name: db, type: tcp, address: "127.0.0.1:${server}", interval: 1s, timeout: 500ms}
`;
  const shared = `[{targets: [web], name: deploy, start: "${iso(now - 3600_000)}", end: "${iso(now + 3600_000)}"}, {start: "${iso(now - 7200_000)}", end: "${iso(now - 3600_000)}"}]`;
  const exporter = await startExporter(parseConfig(yaml(shared), 'tocsin.yml', dir), silentLogger);
  t.teardown(() => exporter.close());
  const url = exporter.url.replace('0.0.0.0', '127.0.0.1');

  // Checks go on during the window: web fails (HTTP 500) and says it is in maintenance.
  let e = await scrapeUntil(url, (x) => select(x, 'probe_success', { target: 'web' }).length === 1 && select(x, 'probe_success', { target: 'db' }).length === 1);
  t.equal(value(e, 'probe_success', { target: 'web' }), 0, 'web is still checked (and failing)');
  t.equal(value(e, 'tocsin_probe_maintenance', { target: 'web', type: 'http' }), 1, 'web: in maintenance');
  t.equal(value(e, 'tocsin_probe_maintenance', { target: 'db', type: 'tcp' }), 0, 'db: not (the past window is over)');
  const status = (await call(url, 'GET', '/api/v1/targets/web/status')).body!;
  t.same(status.maintenance, { active: true, window: 'deploy', until: Math.round((now + 3600_000) / 1000) });
  t.same((await call(url, 'GET', '/api/v1/targets/db/status')).body!.maintenance, { active: false });

  // An API target with its own window (a weekly window open all week long would be 7 days;
  // a cron window every minute for 2 minutes is always open).
  const created = await call(url, 'POST', '/api/v1/targets', { name: 'api-web', type: 'http', address: `http://127.0.0.1:${server}/healthy`, interval: '1s', timeout: '500ms' });
  t.equal(created.status, 201);
  const bad = await call(url, 'PATCH', '/api/v1/targets/api-web', { maintenance: [{ cron: '* * * * *', duration: '2m', time_zone: 'Nowhere/Land' }] });
  t.equal(bad.status, 400);
  t.match(bad.body?.message, /^body\.maintenance\.0\.time_zone: unknown time zone/);
  await scrapeUntil(url, (x) => select(x, 'probe_success', { target: 'api-web' })[0]?.value === 1);
  const up = (await call(url, 'GET', '/api/v1/targets/api-web/status')).body!;
  const patched = await call(url, 'PATCH', '/api/v1/targets/api-web', { maintenance: [{ name: 'always', cron: '* * * * *', duration: '2m' }] });
  t.equal(patched.status, 200);
  e = await scrapeUntil(url, (x) => value(x, 'tocsin_probe_maintenance', { target: 'api-web' }) === 1);
  const after = (await call(url, 'GET', '/api/v1/targets/api-web/status')).body!;
  t.equal(after.state, 'up', 'a change of windows alone keeps the state');
  t.equal(after.last_state_change, up.last_state_change, 'and the time of the last change (no reset)');
  t.equal((await call(url, 'GET', '/api/v1/targets/api-web/status')).body!.maintenance.window, 'always');
  t.equal((await call(url, 'PATCH', '/api/v1/targets/api-web', { maintenance: [] })).status, 200);
  await scrapeUntil(url, (x) => value(x, 'tocsin_probe_maintenance', { target: 'api-web' }) === 0);

  // A reload that ends the window (and one for every target).
  await exporter.reconfigure!(parseConfig(yaml('[]'), 'tocsin.yml', dir));
  e = await scrapeUntil(url, (x) => value(x, 'tocsin_probe_maintenance', { target: 'web' }) === 0);
  t.equal(value(e, 'probe_success', { target: 'web' }), 0, 'still failing: now the rules fire');
  await exporter.reconfigure!(parseConfig(yaml(`[{name: all, cron: "* * * * *", duration: 2m}]`), 'tocsin.yml', dir));
  e = await scrapeUntil(url, (x) => value(x, 'tocsin_probe_maintenance', { target: 'db' }) === 1);
  t.equal(value(e, 'tocsin_probe_maintenance', { target: 'web' }), 1);
  t.equal(value(e, 'tocsin_probe_maintenance', { target: 'api-web' }), 1, 'API targets too');
});

t.test('PUT /api/v1/targets/{name}/maintenance: for a config file target too, keeping its state, kept across a restart', async (t: Test) => {
  const server = await httpServer(t);
  const dir = tmpDir(t, 'tocsin-maintenance-');
  writeFileSync(join(dir, 'token'), TOKEN);
  const port = await freePort();
  const text = `exporter:
  listen_address: 127.0.0.1:${port}
  collectors: ${NO_HOST_COLLECTORS}
  probes:
    data_dir: ${dir}/store
    api_auth: {bearer_token_file: ${dir}/token}
    targets:
      - {name: web, type: http, address: "http://127.0.0.1:${server}/error", interval: 1s, timeout: 500ms}
`;
  let exporter = await startExporter(parseConfig(text, 'tocsin.yml', dir), silentLogger);
  t.teardown(() => exporter.close());
  const url = exporter.url.replace('0.0.0.0', '127.0.0.1');
  await scrapeUntil(url, (x) => value(x, 'tocsin_probe_consecutive_failures', { target: 'web' }) >= 1);
  const before = (await call(url, 'GET', '/api/v1/targets/web/status')).body!;
  t.equal(before.state, 'down');

  const bad = await call(url, 'PUT', '/api/v1/targets/web/maintenance', { windows: [{ cron: '0 3 * * *', duration: '1h' }, { cron: '0 25 * * *', duration: '1h' }] });
  t.equal(bad.status, 400);
  t.match(bad.body?.message, /^body\.windows\.1\.cron: invalid cron expression/);
  t.match((await call(url, 'PUT', '/api/v1/targets/web/maintenance', { windows: 'always' })).body?.message, /^body\.windows: expected a list/);
  t.equal((await call(url, 'PUT', '/api/v1/targets/nothere/maintenance', { windows: [] })).status, 404);
  const anonymous = await fetch(`${url}/api/v1/targets/web/maintenance`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ windows: [] }), signal: AbortSignal.timeout(10_000) });
  t.equal(anonymous.status, 401, 'a change needs the API credentials');

  // A window open now: a cron window every minute, 2 minutes long.
  const windows = [{ name: 'db migration', cron: '* * * * *', duration: '2m', time_zone: 'Europe/Berlin' }];
  const set = await call(url, 'PUT', '/api/v1/targets/web/maintenance', { windows });
  t.equal(set.status, 200);
  t.match(set.body, { windows, active: true, window: 'db migration' });
  await scrapeUntil(url, (x) => value(x, 'tocsin_probe_maintenance', { target: 'web' }) === 1);
  const during = (await call(url, 'GET', '/api/v1/targets/web/status')).body!;
  t.equal(during.last_state_change, before.last_state_change, 'the state was kept (no reset)');
  t.ok(during.consecutive_failures >= before.consecutive_failures, 'checks go on and count on');
  t.equal(during.maintenance.window, 'db migration');

  // Kept in the store across a restart.
  await exporter.close();
  exporter = await startExporter(parseConfig(text, 'tocsin.yml', dir), silentLogger);
  t.same((await call(url, 'GET', '/api/v1/targets/web/maintenance')).body?.windows, windows, 'still there after a restart');
  await scrapeUntil(url, (x) => value(x, 'tocsin_probe_maintenance', { target: 'web' }) === 1);
  t.equal((await call(url, 'DELETE', '/api/v1/targets/web/maintenance')).status, 204);
  await scrapeUntil(url, (x) => value(x, 'tocsin_probe_maintenance', { target: 'web' }) === 0);
  t.same((await call(url, 'GET', '/api/v1/targets/web/maintenance')).body, { windows: [], active: false });
});
