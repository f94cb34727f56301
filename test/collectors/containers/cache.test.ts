// The state cache's ordering rules, with a scripted client so each interleaving happens on
// purpose: Docker's `oom` event after `die`, a container destroyed while its inspect is in
// flight, a list answer older than an inspect, a burst of events. This does not stand in for
// the engine: engine.test.ts and engine-down.test.ts run the cache against a real dockerd.
import t from 'tap';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { ContainerCache } from '../../../src/collectors/containers/cache.js';
import type { EngineClient, ListedContainer } from '../../../src/collectors/containers/docker-client.js';
import { silentLogger } from '../../helpers/collect.js';

const ID = 'a'.repeat(64);
const ID2 = 'b'.repeat(64);
const STARTED = '2026-11-21T15:00:00.5Z';
const startedSeconds = Date.parse(STARTED) / 1000;

function inspectJson(id: string, state: Record<string, unknown>): unknown {
  return {
    Id: id,
    Name: `/c-${id[0]}`,
    RestartCount: 0,
    State: { Status: 'running', Running: true, Pid: 10, ExitCode: 0, OOMKilled: false, StartedAt: STARTED, FinishedAt: '0001-01-01T00:00:00Z', ...state },
    Config: { Image: 'img', Labels: {} },
    HostConfig: { Memory: 0, NetworkMode: 'none', CgroupParent: '' },
  };
}

/** A client whose answers the test sets, and whose inspects can be held. */
class ScriptedClient {
  readonly endpoint = { display: 'unix:///scripted.sock', socketPath: '/scripted.sock' };
  readonly stream = new PassThrough();
  answers = new Map<string, unknown>();
  listed: ListedContainer[] = [];
  inspects = 0;
  hold: Promise<void> | undefined;
  listHold: Promise<void> | undefined;

  async events(): Promise<NodeJS.ReadableStream> {
    return this.stream;
  }
  async listContainers(): Promise<ListedContainer[]> {
    const snapshot = [...this.listed];
    await this.listHold;
    return snapshot;
  }
  async inspect(id: string): Promise<unknown> {
    this.inspects++;
    const answer = this.answers.get(id); // what the engine says when asked
    await this.hold;
    return answer;
  }
  emit(Action: string, id: string, timeNano = Date.now() * 1e6): void {
    this.stream.write(`${JSON.stringify({ Type: 'container', Action, Actor: { ID: id }, timeNano })}\n`);
  }
}

async function started(client: ScriptedClient, t: { teardown(f: () => unknown): void }): Promise<ContainerCache> {
  const cache = new ContainerCache(client as unknown as EngineClient, silentLogger, { resyncIntervalMs: 3_600_000 });
  cache.start();
  t.teardown(() => cache.close());
  if (!(await cache.waitSynced(new AbortController().signal, 5_000))) throw new Error('cache did not sync');
  return cache;
}

const settle = () => sleep(30);

t.test("an oom event after die marks the run OOM-killed (Docker's OOMKilled says false)", async (t) => {
  const client = new ScriptedClient();
  client.listed = [{ Id: ID, State: 'running' }];
  client.answers.set(ID, inspectJson(ID, {}));
  const cache = await started(client, t);
  t.equal(cache.snapshot()[0]?.state, 'running');

  client.answers.set(ID, inspectJson(ID, { Status: 'exited', Running: false, Pid: 0, ExitCode: 137, OOMKilled: false }));
  client.emit('die', ID);
  await settle();
  t.match(cache.snapshot()[0], { state: 'exited', exitCode: 137, oomKilled: false }, 'after die alone: not (yet) OOM');
  client.emit('oom', ID, (startedSeconds + 0.2) * 1e9);
  await settle();
  t.equal(cache.snapshot()[0]?.oomKilled, true, 'the oom event of this run');
});

t.test('an oom event of an earlier run does not count', async (t) => {
  const client = new ScriptedClient();
  client.listed = [{ Id: ID, State: 'exited' }];
  client.answers.set(ID, inspectJson(ID, { Status: 'exited', Running: false, Pid: 0, ExitCode: 137 }));
  const cache = await started(client, t);
  client.emit('oom', ID, (startedSeconds - 60) * 1e9);
  await settle();
  t.equal(cache.snapshot()[0]?.oomKilled, false, 'killed by something else this time (docker kill)');
});

t.test('destroyed while its inspect is in flight: stays gone', async (t) => {
  const client = new ScriptedClient();
  const cache = await started(client, t);
  let release!: () => void;
  client.hold = new Promise((r) => (release = r));
  client.answers.set(ID, inspectJson(ID, {}));
  client.emit('start', ID);
  await settle();
  client.answers.delete(ID); // gone from the engine: inspect answers 404 (undefined)
  client.emit('destroy', ID);
  await settle();
  client.hold = undefined;
  release(); // the first inspect answers with the container as it was before the destroy
  await settle();
  t.same(cache.snapshot(), [], 'asked again after the destroy, and the engine said 404');
  t.equal(client.inspects, 2);
});

t.test('Podman says remove where Docker says destroy', async (t) => {
  const client = new ScriptedClient();
  client.listed = [{ Id: ID, State: 'exited' }];
  client.answers.set(ID, inspectJson(ID, { Status: 'exited', Running: false }));
  const cache = await started(client, t);
  client.emit('remove', ID);
  await settle();
  t.same(cache.snapshot(), []);
});

t.test('a list answer older than an inspect does not remove what the inspect found', async (t) => {
  const client = new ScriptedClient();
  let releaseList!: () => void;
  client.listHold = new Promise((r) => (releaseList = r));
  client.listed = []; // the list is taken before the container exists
  const cache = new ContainerCache(client as unknown as EngineClient, silentLogger, { resyncIntervalMs: 3_600_000 });
  cache.start();
  t.teardown(() => cache.close());
  await settle();
  client.answers.set(ID2, inspectJson(ID2, {}));
  client.emit('create', ID2);
  await settle();
  releaseList();
  t.ok(await cache.waitSynced(new AbortController().signal, 5_000));
  t.same(cache.snapshot().map((r) => r.id), [ID2]);
});

t.test('a burst of events for one container costs at most two inspects', async (t) => {
  const client = new ScriptedClient();
  const cache = await started(client, t);
  let release!: () => void;
  client.hold = new Promise((r) => (release = r));
  client.answers.set(ID, inspectJson(ID, {}));
  for (let i = 0; i < 10; i++) client.emit(i % 2 ? 'pause' : 'unpause', ID);
  await settle();
  client.hold = undefined;
  release();
  await settle();
  t.equal(client.inspects, 2, 'one in flight, one queued');
  t.equal(cache.snapshot().length, 1);
});

t.test('markDown keeps the first cause until markUp', async (t) => {
  const client = new ScriptedClient();
  const cache = await started(client, t);
  t.equal(cache.downCause, undefined);
  cache.markDown('first');
  cache.markDown('second');
  t.equal(cache.downCause, 'first', 'so the scrape error, and its log line, stay the same');
  cache.markUp();
  t.equal(cache.downCause, undefined);
});
