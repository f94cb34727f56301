// Issue 8 item 3: retryable failures are given up on at relay.delivery.retry_horizon (default 72h),
// not after a fixed number of attempts. The whole relay (createRelay, real outbox) with a short
// horizon in front of a fake Slack that keeps failing.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { createRelay } from '../../src/relay/server.js';
import { silentLogger } from '../helpers/collect.js';
import { amFixtureJson as fixture } from '../helpers/am-fixtures.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import { pollUntil } from '../helpers/relay-config.js';

const PATH = '/services/T0HOR/B0HOR/horizon-secret';

t.test('retry_horizon: defaults to 72h; must be a duration of at least 1s', async (t) => {
  t.equal(parseConfig('relay: {}\n', 'a.yml').relay.delivery.retry_horizon, 72 * 3600);
  t.equal(parseConfig('relay: {delivery: {retry_horizon: 1d12h}}\n', 'b.yml').relay.delivery.retry_horizon, 36 * 3600);
  for (const bad of ['0s', '90', '500ms']) {
    t.throws(() => parseConfig(`relay: {delivery: {retry_horizon: ${bad}}}\n`, 'c.yml'), ConfigError);
    try {
      parseConfig(`relay: {delivery: {retry_horizon: ${bad}}}\n`, 'c.yml');
    } catch (err) {
      t.match((err as Error).message, /relay\.delivery\.retry_horizon/, `${bad}: the error names the key`);
    }
  }
});

t.test('a notification Slack keeps refusing with 500 is dead-lettered at the horizon, with the reason', async (t) => {
  const slack = await FakeSlack.start();
  slack.setMode(PATH, { kind: 'serverError' });
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-horizon-'));
  process.env.TOCSIN_TEST_HORIZON_URL = slack.url(PATH);
  const relay = await createRelay(
    parseConfig(
      `relay:
  data_dir: ${dir}/data
  delivery: {min_interval: 10ms, retry_horizon: 2s}
  destinations: [{name: ops, webhook_url: "\${TOCSIN_TEST_HORIZON_URL}"}]
`,
      'horizon.yml',
    ),
    silentLogger,
  );
  t.teardown(async () => {
    await relay.close();
    await slack.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const started = Date.now();
  const res = await relay.app.inject({ method: 'POST', url: '/hooks/alertmanager', payload: fixture('firing-warning.json') });
  t.equal(res.json().outcome, 'accepted');
  await pollUntil(() => relay.outbox.deadLetterCount() === 1, 20_000, () => `${slack.requestsTo(PATH).length} attempts, no dead letter`);
  const took = Date.now() - started;
  t.ok(took >= 2000, `not before the horizon: ${took} ms`);
  t.ok(slack.requestsTo(PATH).length >= 2, 'retried meanwhile');
  const [dead] = relay.outbox.deadLetters();
  t.match(dead!.reason, /^serverError: gave up after \d+ attempts? in \d+s?\d*m?s? \(retry horizon 2s\); last: HTTP 500 rollup_error$/);
  t.notMatch(dead!.reason, /horizon-secret/);
});
