import t from 'tap';
import type { AlertmanagerAlert, AlertmanagerNotification } from '../../src/relay/types.js';
import { CONSOLE_MAX_ALERTS, formatConsole } from '../../src/relay/slack/console.js';
import { createConsoleIntegration } from '../../src/relay/console/integration.js';
import { amFixture as fixture } from '../helpers/am-fixtures.js';
import { outboxEntry } from '../helpers/outbox-fixtures.js';

const OPTS = { timeZone: 'Asia/Seoul', now: new Date('2026-11-21T14:56:08Z') };

t.test('firing-grouped-critical', async (t) => {
  const text = formatConsole(fixture('firing-grouped-critical'), OPTS);
  const lines = text.split('\n');
  t.equal(lines[0], '[FIRING:2] ContainerStopped (critical) web-1:9464');
  t.equal(lines[1], '  job=tocsin');
  t.match(
    lines[2],
    /^ {2}- Container api stopped: Container api exited with code 137\. \[container=api\] since 2026-11-21 23:43 Asia\/Seoul \(firing for 12m 30s\) \| silence http:\/\/alertmanager\.example:9093\/#\/silences\/new\?filter=/,
  );
  t.match(lines[3], /^ {2}- Container worker stopped: .*\[container=worker\]/);
  t.equal(lines[4], '  Links: silence http://alertmanager.example:9093/#/silences/new?filter=%7Balertname%3D%22ContainerStopped%22%2C%20instance%3D%22web-1%3A9464%22%7D');
  t.equal(lines.length, 5);
  t.notMatch(text, /^\s*[{[]"/, 'not JSON');
});

t.test('firing-warning and resolved-warning', async (t) => {
  const firing = formatConsole(fixture('firing-warning'), { ...OPTS, timeZone: 'UTC' });
  t.match(firing, '[FIRING:1] HostHighCpuUsage (warning) web-1:9464\n');
  t.match(firing, '  - CPU usage above 80% on web-1: CPU usage is 93.4% for more than 5 minutes. since 2026-11-21 14:43 UTC (firing for 12m 30s)\n');
  t.match(firing, '  Links: runbook https://example.com/runbooks/HostHighCpuUsage | graph http://prometheus:9090/graph?g0.expr=foo | silence ');
  const resolved = formatConsole(fixture('resolved-warning'), OPTS);
  t.match(resolved, /^\[RESOLVED:1\] HostHighCpuUsage \(warning\) web-1:9464\n/);
  t.match(resolved, '2026-11-21 23:43 → 23:43 Asia/Seoul, lasted 4s');
});

t.test('firing-truncated: common description once, and N more', async (t) => {
  const text = formatConsole(fixture('firing-truncated'), OPTS);
  t.match(text, /^\[FIRING:5\] ProbeFailed \(critical\)\n {2}instance=web-1:9464 job=tocsin\n {2}WebSocket handshake timed out after 3s\n/);
  t.match(text, '  - Probe of ws-gateway-0 failing [target=ws-gateway-0] since');
  t.match(text, '  …and 3 more: 3 left out by Alertmanager (max_alerts)');
});

t.test('mixed group: still firing and resolved listed apart', async (t) => {
  const n = fixture('firing-grouped-critical');
  const [api, worker] = n.alerts as [AlertmanagerAlert, AlertmanagerAlert];
  const text = formatConsole({ ...n, alerts: [{ ...worker, status: 'resolved', endsAt: '2026-11-21T14:50:00Z' }, api] }, OPTS);
  const lines = text.split('\n');
  t.equal(lines[0], '[FIRING 1, RESOLVED 1] ContainerStopped (critical) web-1:9464');
  t.equal(lines[2], '  Still firing (1):');
  t.match(lines[3], /^ {4}- Container api stopped/);
  t.equal(lines[4], '  Resolved (1):');
  t.match(lines[5], /^ {4}- Container worker stopped: .* lasted 6m 22s/);
});

t.test('one line per alert even with hostile values; long groups are cut', async (t) => {
  const n = fixture('firing-warning');
  const a = n.alerts[0]!;
  const text = formatConsole(
    { ...n, alerts: [{ ...a, annotations: { summary: 'line one\nline two\u001b[31mred', description: 'x\r\ny' } }] },
    OPTS,
  );
  t.match(text, '  - line one line two[31mred: x y since');
  t.notMatch(text, '\u001b', 'no terminal escapes');

  const many: AlertmanagerNotification = {
    ...n,
    alerts: Array.from({ length: 200 }, (_, i) => ({ ...a, labels: { ...a.labels, cpu: String(i) } })),
    truncatedAlerts: 7,
  };
  const lines = formatConsole(many, OPTS).split('\n');
  t.equal(lines.filter((l) => l.startsWith('  - ')).length, CONSOLE_MAX_ALERTS);
  t.ok(lines.includes(`  …and ${200 - CONSOLE_MAX_ALERTS + 7} more: ${200 - CONSOLE_MAX_ALERTS} not listed here, 7 left out by Alertmanager (max_alerts)`));
});

t.test('console integration: writes readable text, a digest as the notifications one after another', async (t) => {
  const out: string[] = [];
  const integration = createConsoleIntegration({ write: (s) => out.push(s), timeZone: 'UTC' });
  t.equal(integration.type, 'console');
  const destination = { name: 'console', type: 'console', enabled: true };
  const signal = new AbortController().signal;
  const entry = { ...outboxEntry('a', 'console'), notification: fixture('firing-warning') };
  t.same(await integration.deliver({ destination, entries: [entry], groupKey: entry.notification.groupKey, signal }), { kind: 'delivered' });
  t.equal(out.length, 1);
  t.match(out[0], /^\[FIRING:1\] HostHighCpuUsage \(warning\)/);
  const resolved = { ...outboxEntry('b', 'console'), notification: fixture('resolved-warning') };
  t.same(await integration.deliver({ destination, entries: [entry, resolved], groupKey: undefined, signal }), { kind: 'delivered' });
  t.match(out[1], /^\[FIRING:1\] HostHighCpuUsage[^]*\n\n\[RESOLVED:1\] HostHighCpuUsage/);

  const broken = createConsoleIntegration({
    write: () => {
      throw Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    },
    timeZone: 'UTC',
  });
  t.match(await broken.deliver({ destination, entries: [entry], groupKey: undefined, signal }), { kind: 'retry', reason: 'network', detail: /EPIPE/ });
  const rejecting = createConsoleIntegration({
    write: async () => Promise.reject(Object.assign(new Error('closed'), { code: 'ERR_STREAM_DESTROYED' })),
    timeZone: 'UTC',
  });
  t.match(await rejecting.deliver({ destination, entries: [entry], groupKey: undefined, signal }), { kind: 'retry', detail: /ERR_STREAM_DESTROYED/ });
  // A notification the formatter cannot read: nothing is written, and the dispatcher is told why.
  const unreadable = { ...entry, notification: { ...entry.notification, alerts: null } } as unknown as typeof entry;
  t.match(await integration.deliver({ destination, entries: [unreadable], groupKey: undefined, signal }), { kind: 'unformattable' });
  t.equal(out.length, 2);
});
