// A read-only outbox directory at start (a volume mounted read-only, a chown gone wrong): the
// relay must not pretend to accept. It either exits 1 naming the directory, or answers 5xx so
// Alertmanager keeps the notification; what it had accepted before is still there and delivered
// once the directory is writable again. The relay runs as user nobody (the test runs as root, and
// root writes into a 0555 directory anyway).
import t from 'tap';
import { chmodSync, chownSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeSlack } from '../helpers/fake-slack.js';
import { NOBODY } from '../helpers/as-nobody.js';
import { pollUntil } from '../helpers/relay-config.js';
import { tmpDir } from '../helpers/tmp.js';
import { startTocsin, type TocsinProcess } from '../helpers/tocsin-process.js';
import { figures, hxId, notification, tally } from './notifications.js';

const PATH = '/services/T0READONLY/B0READONLY/readonly-secret';

for (const variant of ['directory', 'files'] as const) {
  t.test(`read-only outbox ${variant} at start: exit 1 naming it or 5xx; nothing accepted before is lost`, async (t) => {
    if (process.getuid?.() !== 0) {
      t.fail('this test runs the relay as user nobody and so needs root (CI runs as root)');
      return;
    }
    const base = tmpDir(t, 'tocsin-readonly-');
    chmodSync(base, 0o755);
    const data = join(base, 'data');
    mkdirSync(data);
    chownSync(data, NOBODY, NOBODY);
    const slack = await FakeSlack.start();
    t.teardown(() => slack.close());
    slack.setMode(PATH, { kind: 'hang' });
    const config = join(base, 'relay.yml');
    writeFileSync(
      config,
      `relay:
    data_dir: ${data}
    delivery: {min_interval: 10ms, timeout: 30s, digest_threshold: 1000}
    destinations:
      - {name: slack, webhook_url: "\${TOCSIN_HX_RO_HOOK}"}
    default_destinations: [slack]
  `,
    );
    // tap's child-process hooks (NODE_OPTIONS) write coverage files nobody may not write.
    const env = { ...process.env, NODE_OPTIONS: '', TOCSIN_HX_RO_HOOK: slack.url(PATH) };
    const start = () => startTocsin(['relay', `--config.file=${config}`, '--relay.listen-address=127.0.0.1:0'], { env, uid: NOBODY, gid: NOBODY });
    const post = async (relay: TocsinProcess, id: string, i: number) => {
      const res = await fetch(`${relay.url}/hooks/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(notification(id, i)),
        signal: AbortSignal.timeout(10_000),
      });
      return { status: res.status, body: await res.text() };
    };

    // 1. Accept some while Slack hangs: they stay pending in the outbox.
    let relay = await start();
    const ids = Array.from({ length: 10 }, (_, i) => hxId('ro', i));
    for (const [i, id] of ids.entries()) t.equal((await post(relay, id, i)).status, 200);
    await relay.stop();

    // 2. The files (and, in one variant, the directory) become read-only: owned by root, 0444/0555.
    const files = readdirSync(data);
    for (const f of files) {
      chownSync(join(data, f), 0, 0);
      chmodSync(join(data, f), 0o444);
    }
    if (variant === 'directory') {
      chownSync(data, 0, 0);
      chmodSync(data, 0o555);
    }
    let outcome: string;
    let extraIds: string[] = [];
    try {
      relay = await start();
      // It started: every notification must be refused with a 5xx, never acknowledged.
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await post(relay, hxId('rox', i), 100 + i);
        statuses.push(r.status);
        if (r.status === 200) extraIds.push(hxId('rox', i));
      }
      t.ok(statuses.every((s) => s >= 500), `answers 5xx while it cannot write (${statuses.join(', ')})`);
      outcome = `started and answered ${statuses.join(', ')}`;
      await relay.stop();
    } catch (err) {
      const message = (err as Error).message;
      t.match(message, /exited with 1/, 'exits 1');
      t.match(message, data, 'naming the data directory');
      outcome = `exited 1 (${/tocsin relay: [^\n]*/.exec(message)?.[0] ?? message.slice(0, 300)})`;
    }

    // 3. Writable again: everything accepted in step 1 is delivered.
    chownSync(data, NOBODY, NOBODY);
    chmodSync(data, 0o755);
    for (const f of files) {
      chownSync(join(data, f), NOBODY, NOBODY);
      chmodSync(join(data, f), 0o644);
    }
    slack.setMode(PATH, { kind: 'ok' });
    relay = await start();
    t.teardown(() => relay.stop());
    const accepted = [...ids, ...extraIds];
    await pollUntil(
      () => accepted.every((id) => tally(slack.requests, PATH).delivered.has(id)),
      30_000,
      () => `delivered ${tally(slack.requests, PATH).delivered.size} of ${accepted.length}`,
    ).catch(() => undefined); // on timeout, the figures below say what was lost
    const f = figures(accepted, tally(slack.requests, PATH));
    t.comment(`read-only outbox ${variant} at start: ${outcome}; ${f.text}`);
    t.equal(f.lost, 0, 'nothing lost');
  });
}
