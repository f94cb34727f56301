// The relay on a full disk (issue 8 item 4), in process with a real fake Slack on loopback and the
// outbox on real files behind a layer that answers ENOSPC while the disk is "full": notifications
// are answered 503 while nothing can be stored, deliveries go on, the relay recovers by itself
// when space returns, a restart re-sends nothing that was delivered, and the log says so once.
import t from 'tap';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { createRelay, type Relay } from '../../src/relay/server.js';
import { parseExposition, select } from '../helpers/exposition.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import { FullDiskFs } from '../helpers/full-disk-fs.js';
import { captureLogger } from '../helpers/log-capture.js';
import { pollUntil, tempDir } from '../helpers/relay-config.js';
import { firingNotification } from '../helpers/notification.js';

const PATH = '/services/T0TOCSIN/B0FULL/full-secret';
const STUCK = '/services/T0TOCSIN/B0STUCK/stuck-secret';

const notification = (name: string) => firingNotification({ alertname: name, severity: 'warning' }, { fingerprint: name });

t.test('full disk: 503 while nothing fits, recovery when space returns, no re-send after a restart, bounded logs', async (t) => {
  const tmp = tempDir('relay-diskfull');
  t.teardown(tmp.remove);
  const fake = await FakeSlack.start();
  t.teardown(() => fake.close());
  const dataDir = join(tmp.dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  process.env.TOCSIN_DISKFULL_SLACK = fake.url(PATH);
  // A second destination that stays down keeps entries pending, so a compaction cannot empty the
  // log for free: the delivered entries' done marks have to be kept and written later.
  process.env.TOCSIN_DISKFULL_STUCK = fake.url(STUCK);
  fake.setMode(STUCK, { kind: 'serverError' });
  const config = parseConfig(
    `relay:\n  data_dir: ${dataDir}\n  delivery: {min_interval: 10ms, timeout: 2s}\n  destinations:\n` +
      `    - {name: slack, webhook_url: "\${TOCSIN_DISKFULL_SLACK}"}\n    - {name: stuck, webhook_url: "\${TOCSIN_DISKFULL_STUCK}"}\n`,
    'diskfull.yml',
  );
  const fs = new FullDiskFs(dataDir);
  const { logger, lines } = captureLogger('info');
  const relays: Relay[] = [];
  t.teardown(async () => {
    for (const r of relays) await r.close().catch(() => undefined);
  });
  const relay = await createRelay(config, logger, { outboxFs: fs });
  relays.push(relay);
  const post = (name: string) => relay.app.inject({ method: 'POST', url: '/hooks/alertmanager', payload: notification(name) });
  const deliveries = (name: string) => fake.requestsTo(PATH).filter((r) => r.status === 200 && r.rawBody.includes(name)).length;
  const gauge = async (name: string) => select(parseExposition((await relay.app.inject({ url: '/metrics' })).body), name)[0]?.value;

  // Slack is down: ten notifications wait in the outbox.
  fake.setMode(PATH, { kind: 'serverError' });
  const names = Array.from({ length: 10 }, (_, i) => `DiskFullCase${i}`);
  for (const n of names) t.equal((await post(n)).statusCode, 200, `${n} accepted`);

  fs.fill();
  const refused = await post('WhileFull0');
  t.equal(refused.statusCode, 503, 'a notification that cannot be stored is answered 503');
  t.match(refused.json().message, /not stored/);
  // Slack comes back: delivery goes on although no mark can be written.
  fake.setMode(PATH, { kind: 'ok' });
  await pollUntil(() => names.every((n) => deliveries(n) >= 1), 15_000, () => `${fake.requestsTo(PATH).length} requests`);
  for (let i = 1; i <= 20; i++) t.equal((await post(`WhileFull${i}`)).statusCode, 503, `still 503 while the disk is full (${i})`);
  t.equal(await gauge('tocsin_relay_outbox_write_failing'), 1, 'tocsin_relay_outbox_write_failing 1');

  fs.free();
  await pollUntil(() => relay.outbox.stats().unwrittenMarks === 0, 5_000, () => JSON.stringify(relay.outbox.stats()));
  t.equal((await post('AfterSpaceReturned')).statusCode, 200, 'accepted again once there is space');
  await pollUntil(() => deliveries('AfterSpaceReturned') === 1, 10_000, () => 'not delivered');
  t.equal(await gauge('tocsin_relay_outbox_write_failing'), 0, 'tocsin_relay_outbox_write_failing back to 0');

  await relay.close();
  relays.pop();
  const again = await createRelay(config, logger);
  relays.push(again);
  t.equal(again.outbox.pendingCount('slack'), 0, 'after a restart nothing delivered is pending');
  t.equal(again.outbox.pendingCount('stuck'), 11, 'what was not delivered still is');
  await new Promise((r) => setTimeout(r, 500));
  t.same(
    [...names, 'AfterSpaceReturned'].filter((n) => deliveries(n) !== 1),
    [],
    'each notification reached Slack exactly once',
  );

  const outboxLines = lines.filter((l) => l.module === 'outbox' && l.level >= 40);
  t.ok(outboxLines.length <= 2, `${outboxLines.length} outbox warning/error lines for 21 refused notifications and the lost marks`);
  t.same(lines.filter((l) => /cannot record/.test(l.msg)), [], 'the dispatcher never failed to record a delivery');
  t.notOk(JSON.stringify(outboxLines).includes('"stack"'), 'no stack traces');
});
