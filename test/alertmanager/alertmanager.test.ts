// alertmanager/alertmanager.yml in a real Alertmanager (Debian's prometheus-alertmanager 0.25):
// what amtool cannot show.
// - Inhibition: HostDown holds back every other alert of its instance; a critical alert holds
//   back the warning of the same alert name and instance, and of the same mountpoint or
//   target only (Alertmanager's API reports each alert's inhibitedBy).
// - Delivery: a critical group reaches the relay's webhook after the critical route's
//   group_wait, with the bearer token read from the credentials file, grouped by alertname
//   and instance, severity among the common labels (what the relay routes on).
// The file is used as shipped except for two values, replaced in a temporary copy: the
// relay's URL (a local stand-in here) and the token file's path (a temporary file).
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAlertmanager, type PostableAlert } from '../helpers/alertmanager.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHIPPED = readFileSync(join(ROOT, 'alertmanager/alertmanager.yml'), 'utf8');
const RELAY_URL = 'http://localhost:9470/hooks/alertmanager';
const TOKEN_FILE = '/etc/tocsin/relay-token';

interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: {
    receiver: string;
    status: string;
    groupLabels: Record<string, string>;
    commonLabels: Record<string, string>;
    alerts: { labels: Record<string, string> }[];
  };
}

interface ApiAlert {
  readonly labels: Record<string, string>;
  readonly fingerprint: string;
  readonly status: { readonly state: string; readonly inhibitedBy: readonly string[] };
}

const key = (l: Record<string, string>) =>
  [l.alertname, l.severity, l.instance, l.mountpoint ?? l.target ?? ''].filter((x) => x !== '').join(' ');

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

t.test('inhibition and delivery in a real Alertmanager', async (t) => {
  // The relay's stand-in: records every request.
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      try {
        received.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(body) as Received['body'] });
      } catch {
        // not JSON: recorded as nothing; the assertions below then fail
      }
      res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as { port: number };

  const dir = mkdtempSync(join(tmpdir(), 'tocsin-am-token-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const token = randomBytes(16).toString('hex');
  const tokenFile = join(dir, 'relay-token');
  writeFileSync(tokenFile, `${token}\n`);

  t.equal(SHIPPED.split(RELAY_URL).length, 2, `the shipped file names the relay's URL once (${RELAY_URL})`);
  t.equal(SHIPPED.split(TOKEN_FILE).length, 2, `the shipped file names the token file once (${TOKEN_FILE})`);
  const config = SHIPPED.replace(RELAY_URL, `http://127.0.0.1:${port}/hooks/alertmanager`).replace(TOKEN_FILE, tokenFile);

  const am = await startAlertmanager({ config });
  t.teardown(() => am.stop());

  const now = Date.now();
  const alert = (labels: Record<string, string>): PostableAlert => ({
    labels,
    annotations: { summary: key(labels) },
    startsAt: new Date(now).toISOString(),
    endsAt: new Date(now + 3_600_000).toISOString(),
  });
  const alerts: { labels: Record<string, string>; inhibited: boolean }[] = [
    // web-1 does not answer: everything else about web-1 is held back.
    { labels: { alertname: 'HostDown', instance: 'web-1:9469', job: 'tocsin', severity: 'critical' }, inhibited: false },
    { labels: { alertname: 'HostCpuHigh', instance: 'web-1:9469', job: 'tocsin', severity: 'warning' }, inhibited: true },
    { labels: { alertname: 'TargetDown', instance: 'web-1:9469', job: 'tocsin', severity: 'warning' }, inhibited: true },
    { labels: { alertname: 'HostRebooted', instance: 'web-1:9469', job: 'tocsin', severity: 'info' }, inhibited: true },
    // web-2's / is critical: its warning is held back; /home's warning and another alert are not.
    { labels: { alertname: 'HostFilesystemAlmostFull', instance: 'web-2:9469', mountpoint: '/', severity: 'critical' }, inhibited: false },
    { labels: { alertname: 'HostFilesystemAlmostFull', instance: 'web-2:9469', mountpoint: '/', severity: 'warning' }, inhibited: true },
    { labels: { alertname: 'HostFilesystemAlmostFull', instance: 'web-2:9469', mountpoint: '/home', severity: 'warning' }, inhibited: false },
    { labels: { alertname: 'HostCpuHigh', instance: 'web-2:9469', job: 'tocsin', severity: 'warning' }, inhibited: false },
    // Two probe targets of one exporter: only the same target's warning is held back.
    { labels: { alertname: 'ProbeTlsCertificateExpiring', instance: 'tocsin-1:9469', target: 'https://a.example.com/', severity: 'critical' }, inhibited: false },
    { labels: { alertname: 'ProbeTlsCertificateExpiring', instance: 'tocsin-1:9469', target: 'https://a.example.com/', severity: 'warning' }, inhibited: true },
    { labels: { alertname: 'ProbeTlsCertificateExpiring', instance: 'tocsin-1:9469', target: 'https://b.example.com/', severity: 'warning' }, inhibited: false },
  ];
  await am.postAlerts(alerts.map((a) => alert(a.labels)));

  // The inhibitor learns of source alerts asynchronously: wait until the expected state shows.
  const expected = new Map(alerts.map((a) => [key(a.labels), a.inhibited]));
  let last: ApiAlert[] = [];
  try {
    await waitFor(
      'the inhibition state',
      async () => {
        const res = await fetch(`${am.url}/api/v2/alerts`, { signal: AbortSignal.timeout(5_000) });
        last = (await res.json()) as ApiAlert[];
        const ok =
          last.length === alerts.length && last.every((a) => expected.get(key(a.labels)) === a.status.inhibitedBy.length > 0);
        return ok ? true : undefined;
      },
      15_000,
    );
  } catch {
    // reported below, alert by alert
  }
  const fp = (labels: Record<string, string>) => last.find((a) => key(a.labels) === key(labels))?.fingerprint;
  for (const a of alerts) {
    const got = last.find((x) => key(x.labels) === key(a.labels));
    if (!t.ok(got, `${key(a.labels)}: known to Alertmanager`) || !got) continue;
    t.equal(got.status.inhibitedBy.length > 0, a.inhibited, `${key(a.labels)}: ${a.inhibited ? 'inhibited' : 'not inhibited'}`, { status: got.status });
  }
  t.same(last.find((a) => a.labels.alertname === 'HostCpuHigh' && a.labels.instance === 'web-1:9469')?.status.inhibitedBy, [fp(alerts[0]!.labels)], 'by HostDown');

  // Critical groups are sent after the critical route's group_wait (30 s). The inhibited
  // and warning ones would follow after a minute; they are not waited for.
  const critical = await waitFor(
    'three critical notifications at the relay',
    () => {
      const c = received.filter((r) => r.body.commonLabels?.severity === 'critical');
      return c.length >= 3 ? c : undefined;
    },
    60_000,
  ).catch((err: Error) => {
    t.fail(err.message, { received: received.map((r) => r.body.groupLabels) });
    return [] as Received[];
  });
  for (const r of critical) {
    const what = `${r.body.groupLabels.alertname} ${r.body.groupLabels.instance}`;
    t.equal(r.path, '/hooks/alertmanager', `${what}: the relay's webhook path`);
    t.equal(r.headers.authorization, `Bearer ${token}`, `${what}: the bearer token from the credentials file`);
    t.equal(r.body.receiver, 'tocsin-relay', `${what}: receiver`);
    t.equal(r.body.status, 'firing', `${what}: firing`);
    t.same(Object.keys(r.body.groupLabels).sort(), ['alertname', 'instance'], `${what}: grouped by alertname and instance`);
    t.equal(r.body.alerts.length, 1, `${what}: one alert (its warning was held back, or is in the warning route)`);
  }
  t.same(
    critical.map((r) => `${r.body.groupLabels.alertname} ${r.body.groupLabels.instance}`).sort(),
    ['HostDown web-1:9469', 'HostFilesystemAlmostFull web-2:9469', 'ProbeTlsCertificateExpiring tocsin-1:9469'],
    'one message per critical group',
  );
  t.notOk(
    received.some((r) => r.body.alerts.some((a) => a.labels.severity !== 'critical')),
    'nothing but the critical groups within the critical group_wait',
  );
});
