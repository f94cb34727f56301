// SIGKILL during compaction. A real relay process gets a stream of large notifications, each for
// four destinations: three that Slack accepts at once (their records soon become garbage) and one
// whose Slack never answers (its entries stay live). The log so passes 4 MiB with most of it
// garbage, and the outbox compacts it (into outbox.log.compact, then a rename). The test watches
// the data dir and SIGKILLs the relay the moment the .compact file appears, restarts it on the
// same dir, and goes on, for a bounded number of rounds. A kill that left the .compact file behind
// landed mid-compaction. In the end the stuck destination answers again: every notification that
// was acknowledged must reach all four destinations at least once; duplicates are counted.
import t from 'tap';
import { existsSync, watch } from 'node:fs';
import { join } from 'node:path';
import { FakeSlack } from '../helpers/fake-slack.js';
import { pollUntil, startRelayProcess, tempDir, writeRelayConfig, type RelayProcess } from '../helpers/relay-config.js';
import { figures, hxId, notification, tally } from './notifications.js';

const TOTAL = 900;
const PADDING = 6_000;
const CONCURRENCY = 8;
const MAX_KILLS = 3;
const TIME_LIMIT_MS = 60_000;
const FAST = ['a', 'b', 'c'];
const pathOf = (name: string) => `/services/T0COMPACT/B0${name.toUpperCase()}/compact-secret-${name}`;

t.test('SIGKILL during compaction: every acknowledged notification delivered at least once after restart', async (t) => {
  const tmp = tempDir('compact-kill');
  t.teardown(tmp.remove);
  const data = join(tmp.dir, 'data');
  const slack = await FakeSlack.start();
  t.teardown(() => slack.close());
  slack.setMode(pathOf('stuck'), { kind: 'hang' });
  const env: Record<string, string> = {};
  for (const n of [...FAST, 'stuck']) env[`TOCSIN_HX_CMP_${n.toUpperCase()}`] = slack.url(pathOf(n));
  const configFile = writeRelayConfig(tmp.dir, {
    data_dir: data,
    dedupe_window: '0s',
    delivery: { min_interval: '10ms', timeout: '60s' },
    destinations: [...FAST, 'stuck'].map((n) => ({ name: n, webhook_url: `\${TOCSIN_HX_CMP_${n.toUpperCase()}}` })),
    default_destinations: [...FAST, 'stuck'],
  });

  let relay: RelayProcess = await startRelayProcess({ configFile, env });
  t.teardown(() => relay.kill());
  let kills = 0;
  let midCompaction = 0;
  let killing: Promise<void> | undefined;
  // SIGKILL at the instant the compaction's temporary file is created.
  const watcher = watch(data, (_event, name) => {
    if (name !== 'outbox.log.compact' || killing || kills >= MAX_KILLS) return;
    relay.child.kill('SIGKILL');
    kills++;
    killing = (async () => {
      await relay.kill();
      if (existsSync(join(data, 'outbox.log.compact'))) midCompaction++;
      relay = await startRelayProcess({ configFile, env });
      killing = undefined;
    })();
  });
  t.teardown(() => watcher.close());

  const ids = Array.from({ length: TOTAL }, (_, i) => hxId('cmp', i));
  const accepted = new Set<string>();
  const retry: number[] = [];
  const post = async (i: number) => {
    const url = relay.url;
    try {
      const res = await fetch(`${url}/hooks/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(notification(ids[i]!, i, PADDING)),
        signal: AbortSignal.timeout(10_000),
      });
      const body = await res.text();
      if (res.status === 200 && body.includes('"accepted"')) accepted.add(ids[i]!);
      else retry.push(i);
    } catch {
      retry.push(i); // cut by the kill: Alertmanager would send it again
    }
  };
  const deadline = Date.now() + TIME_LIMIT_MS;
  let next = 0;
  const worker = async () => {
    while (Date.now() < deadline) {
      if (killing) await killing;
      const i = next < TOTAL ? next++ : retry.shift();
      if (i === undefined) return;
      await post(i);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  if (killing) await killing;
  watcher.close();
  // What was cut by the last kill, sent again.
  while (retry.length > 0 && Date.now() < deadline) await post(retry.shift()!);

  // The stuck destination answers again (a restart drops the post that hangs).
  slack.setMode(pathOf('stuck'), { kind: 'ok' });
  await relay.kill();
  relay = await startRelayProcess({ configFile, env });
  const acceptedIds = [...accepted];
  // On timeout, go on: the figures below say what was lost.
  await pollUntil(
    () => [...FAST, 'stuck'].every((n) => acceptedIds.every((id) => tally(slack.requests, pathOf(n)).delivered.has(id))),
    60_000,
    () => [...FAST, 'stuck'].map((n) => `${n}: ${tally(slack.requests, pathOf(n)).delivered.size}/${acceptedIds.length}`).join(', '),
  ).catch(() => undefined);
  let lost = 0;
  let duplicates = 0;
  for (const n of [...FAST, 'stuck']) {
    const f = figures(acceptedIds, tally(slack.requests, pathOf(n)));
    lost += f.lost;
    duplicates += f.duplicates;
    t.comment(`compaction kill, destination ${n}: ${f.text}`);
  }
  t.comment(
    `SIGKILL during compaction: ${kills} kills at the start of a compaction, ${midCompaction} left the .compact file behind (killed mid-compaction); ` +
      `accepted ${acceptedIds.length} notifications x 4 destinations, lost ${lost}, duplicates ${duplicates}; unsent at the time limit ${TOTAL - next + retry.length}`,
  );
  t.ok(kills >= 1, `the relay was killed as a compaction started (${kills})`);
  t.ok(midCompaction >= 1, `at least one kill landed mid-compaction (${midCompaction})`);
  t.ok(acceptedIds.length >= TOTAL / 2, `most notifications were acknowledged (${acceptedIds.length})`);
  t.equal(lost, 0, 'nothing acknowledged was lost');
  t.notOk(existsSync(join(data, 'outbox.log.compact')), 'the leftover .compact file was cleaned up on start');
});
