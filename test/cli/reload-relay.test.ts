// What a reload changes in the relay, in process with a real outbox and the fake Slack:
// destinations from the config, routes with their mentions, default destinations, the
// suppress label; and what it reports as needing a restart (data_dir, listen address, auth).
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { createRelay } from '../../src/relay/server.js';
import { amFixtureJson as fixture } from '../helpers/am-fixtures.js';
import { silentLogger } from '../helpers/collect.js';
import { FakeSlack } from '../helpers/fake-slack.js';

t.test('reconfigure: a new destination and route take effect; restart-only changes are named', async (t) => {
  const slack = await FakeSlack.start();
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-relay-reload-'));
  process.env.TOCSIN_RELOAD_A = slack.url('/a');
  process.env.TOCSIN_RELOAD_B = slack.url('/b');
  const base = `  data_dir: ${dir}/data
  delivery: {min_interval: 10ms, timeout: 2s}
`;
  const before = parseConfig(
    `relay:
${base}  destinations:
    - {name: a, webhook_url: "\${TOCSIN_RELOAD_A}"}
`,
    'before.yml',
  );
  const relay = await createRelay(before, silentLogger, { consoleWrite: () => undefined });
  t.teardown(async () => {
    await relay.close();
    await slack.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const post = (body: unknown) => relay.app.inject({ method: 'POST', url: '/hooks/alertmanager', payload: body as object });
  const warning = fixture('firing-warning.json');
  t.same((await post(warning)).json().destinations, ['a'], 'before: everything goes to a');

  const after = parseConfig(
    `relay:
${base}  suppress_label: mute
  destinations:
    - {name: a, webhook_url: "\${TOCSIN_RELOAD_A}"}
    - {name: b, webhook_url: "\${TOCSIN_RELOAD_B}"}
  routes:
    - {matchers: ['severity="critical"'], destinations: [b], mention: '<!channel>'}
  default_destinations: [a]
`,
    'after.yml',
  );
  t.same(await relay.reconfigure(after), [], 'nothing here needs a restart');
  const critical = fixture('firing-grouped-critical.json');
  t.same((await post(critical)).json().destinations, ['b'], 'the new route and destination apply');
  const again = { ...fixture('firing-warning.json'), groupKey: 'after-reload' };
  t.same((await post(again)).json().destinations, ['a'], 'the new default destination applies');
  await slack.waitForRequests('/b', 1, 5000);
  t.match((slack.requestsTo('/b')[0]!.body as { text: string }).text, /<!channel>/, "the route's mention applies");
  t.ok(relay.channels.get('b'), 'the channel API sees the new destination');
  const muted = fixture('firing-warning.json');
  muted.groupKey = 'muted';
  for (const a of muted.alerts) a.labels = { ...a.labels, mute: 'false' };
  t.equal((await post(muted)).json().outcome, 'suppressed', 'the new suppress label applies');

  process.env.TOCSIN_RELOAD_TOKEN = 'a-token';
  const moved = parseConfig(
    `relay:\n  data_dir: ${dir}/elsewhere\n  listen_address: 127.0.0.1:1\n  auth: {bearer_token: "\${TOCSIN_RELOAD_TOKEN}"}\n  destinations: [{name: a, webhook_url: "\${TOCSIN_RELOAD_A}"}]\n`,
    'moved.yml',
  );
  const restart = await relay.reconfigure(moved);
  t.same([...restart].sort(), ['relay.auth', 'relay.data_dir', 'relay.listen_address']);
  t.notMatch(restart.join(' '), 'a-token', 'no secret in what is reported');
});
