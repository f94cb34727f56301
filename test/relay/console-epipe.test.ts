// Issue 8 item 7: the console destination when standard output is closed. A real `tocsin relay`
// child process whose stdout pipe is closed by the reader (as when `tocsin stack | head` ends):
// writing a message fails with EPIPE. The relay must keep running, keep the notification pending,
// log the failure once, and go on answering.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import t from 'tap';
import { amFixtureJson as fixture } from '../helpers/am-fixtures.js';
import { stopChild } from '../helpers/child.js';
import { parseExposition, value } from '../helpers/exposition.js';
import { pollUntil, tempDir, writeRelayConfig } from '../helpers/relay-config.js';
import { tocsinArgs } from '../helpers/tocsin-process.js';

t.test('console destination with a closed stdout: no crash, the notification stays pending, one log line', async (t) => {
  const { dir, remove } = tempDir('epipe');
  t.teardown(remove);
  const configFile = writeRelayConfig(dir, {
    data_dir: `${dir}/data`,
    delivery: { min_interval: '10ms' },
    destinations: [{ name: 'console', type: 'console' }],
  });
  const child = spawn(process.execPath, tocsinArgs(['relay', `--config.file=${configFile}`, '--relay.listen-address=127.0.0.1:0']), {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit');
  t.teardown(() => stopChild(child, 5_000));
  // The reader goes away: every write the relay makes to stdout from now on gets EPIPE.
  child.stdout!.destroy();
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const lines = () =>
    stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg: string; address?: string; detail?: string });
  await pollUntil(() => lines().some((l) => l.msg === 'relay listening') || child.exitCode !== null, 20_000, () => stderr);
  const url = lines().find((l) => l.msg === 'relay listening')!.address!.replace('0.0.0.0', '127.0.0.1');

  const post = async (body: unknown) =>
    (await fetch(`${url}/hooks/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).status;
  t.equal(await post(fixture('firing-warning.json')), 200, 'accepted');
  // The write fails (EPIPE) and is retried with backoff (1 s doubling): give it a few tries.
  await new Promise((resolve) => setTimeout(resolve, 2500));
  if (child.exitCode !== null) t.comment(stderr.slice(-3000));
  t.equal(child.exitCode, null, 'still running');
  t.equal(await post(fixture('resolved-warning.json')), 200, 'still answering');

  const metrics = parseExposition(await (await fetch(`${url}/metrics`)).text());
  t.equal(value(metrics, 'tocsin_relay_outbox_depth'), 2, 'both notifications pending');
  t.equal(value(metrics, 'tocsin_relay_dead_letters'), 0, 'none given up on');
  const failures = lines().filter((l) => /console write failed/.test(l.detail ?? ''));
  t.equal(failures.length, 1, 'the failure is logged once, not once per attempt');
  t.match(failures[0]!.detail, /EPIPE|ERR_STREAM_DESTROYED/);

  child.kill('SIGTERM');
  const [code] = await exited;
  t.equal(code, 0, 'a clean stop');
});
