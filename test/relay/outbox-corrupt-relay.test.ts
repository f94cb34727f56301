// A real relay process started on a data directory whose outbox log holds a wrong-shaped record, a
// dead letter without a notification and garbage at the end: it starts, delivers what it can read,
// answers the dead-letters API, and reports the rest (log lines, a metric, a copy beside the log).
import t from 'tap';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseExposition, select } from '../helpers/exposition.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import { outboxEntry } from '../helpers/outbox-fixtures.js';
import { pollUntil, startRelayProcess, tempDir, writeRelayConfig } from '../helpers/relay-config.js';

const PATH = '/services/T0TOCSIN/B0LOAD/load-secret';

function firing(id: string) {
  const e = outboxEntry(id, 'slack');
  const alert = {
    status: 'firing',
    labels: { alertname: id, severity: 'warning' },
    annotations: { summary: `summary of ${id}` },
    startsAt: new Date().toISOString(),
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: '',
    fingerprint: 'abc',
  };
  return { ...e, notification: { ...e.notification, alerts: [alert] } };
}

t.test('a relay whose outbox holds unreadable records starts, delivers the rest and reports them', async (t) => {
  const tmp = tempDir('outbox-corrupt');
  t.teardown(tmp.remove);
  const fake = await FakeSlack.start();
  t.teardown(() => fake.close());
  const dataDir = join(tmp.dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const noAlerts = firing('broken') as unknown as { notification: Record<string, unknown> };
  delete noAlerts.notification.alerts;
  writeFileSync(
    join(dataDir, 'outbox.log'),
    [
      JSON.stringify({ t: 'add', entry: firing('GoodBeforeBadOne') }),
      JSON.stringify({ t: 'add', entry: noAlerts }),
      JSON.stringify({ t: 'dead', id: 'nulled', reason: 'clientError: x', at: Date.now(), entry: { ...firing('nulled'), notification: null } }),
      JSON.stringify({ t: 'add', entry: firing('GoodAfterBadOnes') }),
      'garbage appended by something else',
    ].join('\n') + '\n',
  );
  const configFile = writeRelayConfig(tmp.dir, {
    listen_address: '127.0.0.1:0',
    data_dir: dataDir,
    destinations: [{ name: 'slack', type: 'slack', webhook_url: '${TOCSIN_LOAD_SLACK}' }],
    delivery: { min_interval: '50ms', timeout: '2s' },
  });
  const relay = await startRelayProcess({ configFile, env: { TOCSIN_LOAD_SLACK: fake.url(PATH) } });
  t.teardown(() => relay.stop());

  const delivered = () => fake.requestsTo(PATH).filter((r) => r.status === 200).map((r) => r.rawBody);
  await pollUntil(
    () => delivered().some((b) => b.includes('GoodBeforeBadOne')) && delivered().some((b) => b.includes('GoodAfterBadOnes')),
    15_000,
    () => `delivered: ${delivered().length}\n${relay.stderr().slice(-3000)}`,
  );
  t.pass('both readable notifications were delivered');

  const res = await fetch(`${relay.url}/api/v1/dead-letters`);
  t.equal(res.status, 200, 'GET /api/v1/dead-letters answers 200');
  t.same(await res.json(), [], 'the dead letter without a notification was not loaded');

  const exp = parseExposition(await (await fetch(`${relay.url}/metrics`)).text());
  t.same(select(exp, 'tocsin_relay_outbox_rejected_records').map((s) => s.value), [3], 'tocsin_relay_outbox_rejected_records 3');

  const reports = relay
    .stderr()
    .split('\n')
    .filter((l) => l.includes('skipped a record it cannot read'))
    .map((l) => JSON.parse(l) as { file: string; offset: number; why: string });
  t.same(
    reports.map((r) => r.why),
    ['entry.notification.alerts: expected array, received undefined', 'entry.notification: expected object, received null', 'not valid JSON'],
  );
  t.ok(reports.every((r) => r.file === join(dataDir, 'outbox.log') && r.offset > 0), 'each names the file and the byte offset');
  t.equal(readdirSync(dataDir).filter((f) => f.startsWith('outbox.rejected-')).length, 1, 'a copy is kept beside the log');
});
