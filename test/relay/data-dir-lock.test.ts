// One relay per data directory: a second process exits 1 naming the directory and the holder's
// PID; a lock left by a crash (kill -9) or holding a PID now used by another program is taken over.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { createRelay } from '../../src/relay/server.js';
import { DirectoryLockedError, LOCK_FILE } from '../../src/util/dir-lock.js';
import { silentLogger } from '../helpers/collect.js';
import { startRelayProcess, tempDir, writeRelayConfig, type RelayProcess } from '../helpers/relay-config.js';

function setup(t: Test) {
  const tmp = tempDir('lock');
  const processes: RelayProcess[] = [];
  t.teardown(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    tmp.remove();
  });
  const dataDir = join(tmp.dir, 'data');
  const configFile = writeRelayConfig(tmp.dir, { data_dir: dataDir, destinations: [{ name: 'console', type: 'console' }] });
  return {
    dataDir,
    async start() {
      const p = await startRelayProcess({ configFile });
      processes.push(p);
      return p;
    },
  };
}

t.test('a second relay on the same data directory exits 1 naming the directory and the PID', async (t) => {
  const s = setup(t);
  const first = await s.start();
  let message = '';
  try {
    await s.start();
    t.fail('the second relay started');
  } catch (err) {
    message = (err as Error).message;
  }
  t.match(message, /exited \(1\) before listening/);
  t.match(message, `data directory ${s.dataDir} is in use by another process (PID ${first.child.pid})`);
  t.equal((await fetch(`${first.url}/-/healthy`)).status, 200, 'the first one keeps serving');
  t.equal(readFileSync(join(s.dataDir, LOCK_FILE), 'utf8').trim(), String(first.child.pid), 'the lock holds the PID');

  await first.stop();
  t.notOk(existsSync(join(s.dataDir, LOCK_FILE)), 'a clean stop removes the lock');
  const third = await s.start();
  t.equal((await fetch(`${third.url}/-/healthy`)).status, 200, 'and the next relay starts');
});

t.test('a lock left by a killed relay is stale: the next one starts', async (t) => {
  const s = setup(t);
  const first = await s.start();
  await first.kill();
  t.ok(existsSync(join(s.dataDir, LOCK_FILE)), 'kill -9 leaves the lock file');
  const second = await s.start();
  t.equal(readFileSync(join(s.dataDir, LOCK_FILE), 'utf8').trim(), String(second.child.pid));
});

t.test('a lock holding the PID of a program that is not a relay is stale', async (t) => {
  const s = setup(t);
  const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
  t.teardown(() => void sleeper.kill('SIGKILL'));
  mkdirSync(s.dataDir, { recursive: true });
  writeFileSync(join(s.dataDir, LOCK_FILE), `${sleeper.pid}\n`);
  const relay = await s.start();
  t.equal(readFileSync(join(s.dataDir, LOCK_FILE), 'utf8').trim(), String(relay.child.pid));
});

t.test('in one process: a second relay on the same directory is refused, and closing twice frees it once', async (t) => {
  const tmp = tempDir('lock-inproc');
  t.teardown(() => tmp.remove());
  const config = parseConfig(`relay:\n  data_dir: ${tmp.dir}/data\n  destinations: [{name: console, type: console}]\n`, 'lock.yml');
  const a = await createRelay(config, silentLogger, { consoleWrite: () => undefined });
  await t.rejects(createRelay(config, silentLogger), DirectoryLockedError);
  await a.close();
  const b = await createRelay(config, silentLogger, { consoleWrite: () => undefined });
  await a.close(); // closing the first again must not free the lock the second holds
  await t.rejects(createRelay(config, silentLogger), DirectoryLockedError);
  await b.close();
  t.notOk(existsSync(join(tmp.dir, 'data', LOCK_FILE)));
});
