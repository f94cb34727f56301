// End to end with the real thing: a real Alertmanager (0.25, Debian) posts to the relay, which
// runs as its own process (`tocsin relay`, temp data_dir) and posts to a fake Slack over HTTP.
// Three Slack destinations (critical, warning, info) whose webhook URLs come from ${ENV} variables,
// routes by severity with <!here> on critical, and bearer auth on the webhook with the token read
// from a file on both sides (Alertmanager: http_config.authorization.credentials_file).
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { RESOLVED_COLOR, SEVERITY_COLORS } from '../../src/relay/slack/format.js';
import { startAlertmanager, type PostableAlert } from '../helpers/alertmanager.js';
import { parseExposition, select } from '../helpers/exposition.js';
import { FakeSlack, type RecordedRequest } from '../helpers/fake-slack.js';
import { checkSlackLimits } from '../../src/relay/slack/limits.js';
import { pollUntil, startRelayProcess, tempDir, writeRelayConfig } from '../helpers/relay-config.js';

const WAIT_MS = 20_000;
const PATHS = {
  critical: '/services/T0TOCSIN/B0CRIT/critical-secret',
  warning: '/services/T0TOCSIN/B0WARN/warning-secret',
  info: '/services/T0TOCSIN/B0INFO/info-secret',
} as const;

interface SlackBody {
  text?: string;
  attachments?: { color?: string; blocks?: { type: string; text?: { text?: string } }[] }[];
}

const bodyOf = (r: RecordedRequest) => r.body as SlackBody;
const headerOf = (r: RecordedRequest) => bodyOf(r).attachments?.[0]?.blocks?.[0]?.text?.text ?? '';
const delivered = (fake: FakeSlack, path: string, tag: string, alertname: string) =>
  fake.requestsTo(path).filter((r) => r.status === 200 && headerOf(r).includes(tag) && headerOf(r).includes(alertname));

t.test('Alertmanager -> relay (bearer token, routes by severity) -> Slack, firing then resolved', async (t) => {
  const tmp = tempDir('am-e2e');
  t.teardown(tmp.remove);
  const fake = await FakeSlack.start({ validate: (m: unknown) => checkSlackLimits(m as Record<string, unknown>) });
  t.teardown(() => fake.close());

  const token = randomBytes(24).toString('hex');
  const tokenFile = join(tmp.dir, 'webhook-token');
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 }); // trailing newline, as `echo` writes it

  const configFile = writeRelayConfig(tmp.dir, {
    listen_address: '127.0.0.1:0',
    data_dir: join(tmp.dir, 'data'),
    auth: { bearer_token_file: tokenFile },
    destinations: [
      { name: 'critical', type: 'slack', webhook_url: '${TOCSIN_E2E_SLACK_CRITICAL}' },
      { name: 'warning', type: 'slack', webhook_url: '${TOCSIN_E2E_SLACK_WARNING}' },
      { name: 'info', type: 'slack', webhook_url: '${TOCSIN_E2E_SLACK_INFO}' },
    ],
    routes: [
      { matchers: ['severity="critical"'], destinations: ['critical'], mention: '<!here>' },
      { matchers: ['severity="warning"'], destinations: ['warning'] },
      { matchers: ['severity="info"'], destinations: ['info'] },
    ],
    delivery: { min_interval: '100ms', timeout: '2s' },
  });
  const relay = await startRelayProcess({
    configFile,
    env: {
      TOCSIN_E2E_SLACK_CRITICAL: fake.url(PATHS.critical),
      TOCSIN_E2E_SLACK_WARNING: fake.url(PATHS.warning),
      TOCSIN_E2E_SLACK_INFO: fake.url(PATHS.info),
    },
  });
  t.teardown(() => relay.stop());
  t.notMatch(relay.stderr(), /-secret/, 'the webhook URLs (secrets) are not logged at startup');

  await t.test('without the bearer token the webhook answers 401', async (t) => {
    const payload = JSON.stringify({ receiver: 'relay', status: 'firing', alerts: [{ status: 'firing', labels: { alertname: 'X' } }] });
    const post = (headers: Record<string, string>) =>
      fetch(`${relay.url}/hooks/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: payload,
        signal: AbortSignal.timeout(5_000),
      });
    const none = await post({});
    t.equal(none.status, 401, 'no Authorization header');
    t.match(none.headers.get('www-authenticate') ?? '', /^Bearer /, 'WWW-Authenticate names the Bearer scheme');
    await none.text();
    const wrong = await post({ authorization: `Bearer ${token.slice(0, -1)}x` });
    t.equal(wrong.status, 401, 'wrong token');
    await wrong.text();
    const basic = await post({ authorization: `Basic ${Buffer.from(`relay:${token}`).toString('base64')}` });
    t.equal(basic.status, 401, 'the right secret under the wrong scheme');
    await basic.text();
    const exp = parseExposition(await (await fetch(`${relay.url}/metrics`)).text());
    t.equal(select(exp, 'tocsin_relay_notifications_rejected_total', { reason: 'unauthorized' })[0]?.value, 3, 'rejections counted');
    t.equal(select(exp, 'tocsin_relay_outbox_depth')[0]?.value, 0, 'nothing stored');
  });

  const am = await startAlertmanager({
    config: {
      global: { resolve_timeout: '5m' },
      route: {
        receiver: 'relay',
        group_by: ['alertname', 'instance'],
        group_wait: '1s',
        group_interval: '1s',
        repeat_interval: '4h',
      },
      receivers: [
        {
          name: 'relay',
          webhook_configs: [
            {
              url: `${relay.url}/hooks/alertmanager`,
              send_resolved: true,
              http_config: { authorization: { type: 'Bearer', credentials_file: tokenFile } },
            },
          ],
        },
      ],
    },
  });
  t.teardown(() => am.stop());

  const startsAt = new Date(Date.now() - 60_000).toISOString();
  const alerts: PostableAlert[] = [
    {
      labels: { alertname: 'TocsinE2EDiskFull', severity: 'critical', instance: 'db-1:9100', job: 'node' },
      annotations: {
        summary: 'Disk almost full on db-1',
        description: 'Only 2% left on /var/lib/postgresql.',
        runbook_url: 'https://runbooks.example/disk-full',
      },
      startsAt,
      generatorURL: 'http://prometheus.example:9090/graph?g0.expr=disk_free',
    },
    {
      labels: { alertname: 'TocsinE2EHighLoad', severity: 'warning', instance: 'web-1:9100', job: 'node' },
      annotations: {
        summary: 'Load high on web-1',
        description: 'Load average 12 for 10 minutes.',
        runbook_url: 'https://runbooks.example/high-load',
      },
      startsAt,
      generatorURL: 'http://prometheus.example:9090/graph?g0.expr=load1',
    },
  ];
  await am.postAlerts(alerts);

  const describe = () =>
    `fake Slack got ${fake.requests.length} requests: ${JSON.stringify(fake.requests.map((r) => [r.path, r.status, headerOf(r)]))}\n` +
    `relay stderr (tail):\n${relay.stderr().slice(-3000)}\nalertmanager stderr (tail):\n${am.stderr().slice(-3000)}`;

  await t.test('firing: each alert in its severity channel, Block Kit, mention on critical only', async (t) => {
    await pollUntil(
      () =>
        delivered(fake, PATHS.critical, 'FIRING', 'TocsinE2EDiskFull').length > 0 &&
        delivered(fake, PATHS.warning, 'FIRING', 'TocsinE2EHighLoad').length > 0,
      WAIT_MS,
      describe,
    );
    const crit = delivered(fake, PATHS.critical, 'FIRING', 'TocsinE2EDiskFull')[0]!;
    const warn = delivered(fake, PATHS.warning, 'FIRING', 'TocsinE2EHighLoad')[0]!;
    for (const [name, r, color] of [
      ['critical', crit, SEVERITY_COLORS.critical],
      ['warning', warn, SEVERITY_COLORS.warning],
    ] as const) {
      const b = bodyOf(r);
      t.equal(r.method, 'POST', `${name}: POST`);
      t.match(String(r.headers['content-type']), /application\/json/, `${name}: JSON`);
      t.ok(Array.isArray(b.attachments) && Array.isArray(b.attachments[0]?.blocks), `${name}: attachments[0].blocks`);
      const blocks = b.attachments![0]!.blocks!;
      t.equal(blocks[0]?.type, 'header', `${name}: first block is the header`);
      t.equal(b.attachments![0]!.color, color, `${name}: severity colour`);
      t.match(b.text, /FIRING/, `${name}: fallback text says FIRING`);
    }
    const critJson = crit.rawBody;
    t.match(headerOf(crit), /\[FIRING:1\] TocsinE2EDiskFull/);
    t.match(bodyOf(crit).text, /^<!here> /, 'critical: <!here> leads the fallback text');
    t.match(critJson, 'Disk almost full on db-1', 'summary shown');
    t.match(critJson, 'Only 2% left', 'description shown');
    t.match(critJson, 'https://runbooks.example/disk-full', 'runbook link');
    t.match(critJson, 'prometheus.example:9090/graph', 'generatorURL link');
    t.notMatch(critJson, 'TocsinE2EHighLoad', 'the warning is not in the critical channel');

    t.match(headerOf(warn), /\[FIRING:1\] TocsinE2EHighLoad/);
    t.notMatch(warn.rawBody, '<!here>', 'warning: no mention');
    t.match(warn.rawBody, 'https://runbooks.example/high-load');
    t.notMatch(warn.rawBody, 'TocsinE2EDiskFull', 'the critical is not in the warning channel');
    t.equal(fake.requestsTo(PATHS.info).length, 0, 'nothing in the info channel');
  });

  await t.test('resolved: endsAt in the past -> RESOLVED message, green, no mention', async (t) => {
    const endsAt = new Date(Date.now() - 1_000).toISOString();
    await am.postAlerts(alerts.map((a) => ({ ...a, endsAt })));
    await pollUntil(
      () =>
        delivered(fake, PATHS.critical, 'RESOLVED', 'TocsinE2EDiskFull').length > 0 &&
        delivered(fake, PATHS.warning, 'RESOLVED', 'TocsinE2EHighLoad').length > 0,
      WAIT_MS,
      describe,
    );
    for (const [name, path, alertname] of [
      ['critical', PATHS.critical, 'TocsinE2EDiskFull'],
      ['warning', PATHS.warning, 'TocsinE2EHighLoad'],
    ] as const) {
      const r = delivered(fake, path, 'RESOLVED', alertname)[0]!;
      const b = bodyOf(r);
      t.match(headerOf(r), `[RESOLVED:1] ${alertname}`, `${name}: header`);
      t.equal(b.attachments?.[0]?.color, RESOLVED_COLOR, `${name}: resolved colour`);
      t.match(b.text, /RESOLVED/, `${name}: fallback text`);
      t.notMatch(r.rawBody, '<!here>', `${name}: no mention on resolved`);
      t.equal(delivered(fake, path, 'FIRING', alertname).length, 1, `${name}: exactly one firing message`);
    }
    t.equal(fake.requestsTo(PATHS.info).length, 0, 'still nothing in the info channel');
    t.equal(
      fake.requests.filter((r) => r.status !== 200).length,
      0,
      'fake Slack accepted every message (Slack limits checked)',
    );
  });

  await t.test('both sides agree: no failed notifications, outbox empty', async (t) => {
    const amExp = parseExposition(await am.metrics());
    const failed = select(amExp, 'alertmanager_notifications_failed_total', { integration: 'webhook' }).reduce((s, x) => s + x.value, 0);
    const sent = select(amExp, 'alertmanager_notifications_total', { integration: 'webhook' }).reduce((s, x) => s + x.value, 0);
    t.equal(failed, 0, 'Alertmanager: no failed webhook notifications (its bearer token was accepted)');
    t.ok(sent >= 4, `Alertmanager sent ${sent} webhook notifications (2 firing, 2 resolved)`);
    await pollUntil(
      async () => select(parseExposition(await (await fetch(`${relay.url}/metrics`)).text()), 'tocsin_relay_outbox_depth')[0]?.value === 0,
      WAIT_MS,
      describe,
    );
    const exp = parseExposition(await (await fetch(`${relay.url}/metrics`)).text());
    t.equal(select(exp, 'tocsin_relay_dead_letters')[0]?.value, 0, 'no dead letters');
    t.equal(select(exp, 'tocsin_relay_messages_delivered_total', { destination: 'critical' })[0]?.value, 2);
    t.equal(select(exp, 'tocsin_relay_messages_delivered_total', { destination: 'warning' })[0]?.value, 2);
    t.equal(select(exp, 'tocsin_relay_messages_delivered_total', { destination: 'info' })[0]?.value, 0);
  });

  await t.test('fires again after resolving, inside the dedupe window: a new FIRING message (issue 8 item 1)', async (t) => {
    // A new start, as Prometheus gives an alert that fires again; same labels, so same fingerprint.
    const again = new Date().toISOString();
    await am.postAlerts(alerts.map((a) => ({ ...a, startsAt: again })));
    await pollUntil(
      () =>
        delivered(fake, PATHS.critical, 'FIRING', 'TocsinE2EDiskFull').length === 2 &&
        delivered(fake, PATHS.warning, 'FIRING', 'TocsinE2EHighLoad').length === 2,
      WAIT_MS,
      describe,
    );
    const exp = parseExposition(await (await fetch(`${relay.url}/metrics`)).text());
    t.equal(select(exp, 'tocsin_relay_duplicates_total')[0]?.value, 0, 'nothing was taken for a duplicate');
    t.equal(delivered(fake, PATHS.critical, 'FIRING', 'TocsinE2EDiskFull').length, 2, 'critical: firing, resolved, firing');
    t.equal(delivered(fake, PATHS.warning, 'FIRING', 'TocsinE2EHighLoad').length, 2, 'warning: firing, resolved, firing');
  });
});
