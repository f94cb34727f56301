// Every timeout that bounds a request to something that may never answer still fires after a
// garbage collection. In Node 20, AbortSignal.any([AbortSignal.timeout(ms), …]) does not: the
// timeout signal is only weakly held, is collected, and its timer with it (nodejs/node#57736).
// Found in CI, where a probe of a server that never answered held the only max_concurrent slot
// and starved the other targets. Each case below hangs for good without src/util/signals.ts.
import t from 'tap';
import { getEventListeners, once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { EngineClient } from '../../src/collectors/containers/docker-client.js';
import { getText } from '../../src/collectors/services/http-get.js';
import { runProbe } from '../../src/probes/probers/index.js';
import { callSlack } from '../../src/relay/slack-app/web-api.js';
import { createWebhookPoster } from '../../src/relay/slack/webhook.js';
import { scopedSignal } from '../../src/util/signals.js';
import { collectGarbageOften, gc } from '../helpers/gc.js';
import { target } from '../probes/target.js';

/** A TCP server on loopback that accepts, reads whatever comes, and never answers. */
async function silentServer(t: { teardown(fn: () => unknown): void }): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.resume();
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return (server.address() as { port: number }).port;
}

/** `work`'s outcome, or 'still waiting' when it has not ended within `ms` (the defect). */
async function within<T>(ms: number, work: Promise<T>): Promise<T | 'still waiting'> {
  const ac = new AbortController();
  const result = await Promise.race([work.finally(() => ac.abort()), sleep(ms, 'still waiting' as const, { signal: ac.signal }).catch(() => 'still waiting' as const)]);
  return result;
}

const settled = <T>(p: Promise<T>) => p.then((value) => ({ value }), (error: unknown) => ({ error: error as Error }));

t.test('scopedSignal: the timeout fires though nothing but the timer holds the signal', async (t) => {
  collectGarbageOften(t, 10);
  let fired = 0;
  // Nothing outside this function keeps the signal: only its timer and listener can.
  (() => {
    scopedSignal([undefined], 200).signal.addEventListener('abort', () => (fired += 1));
  })();
  await sleep(600);
  t.equal(fired, 1, 'aborted once, after collections');
});

t.test('scopedSignal: a source aborts it with its reason; dispose lets go of the sources', async (t) => {
  const source = new AbortController();
  const s = scopedSignal([source.signal, undefined], 10_000);
  source.abort(new Error('shutting down'));
  t.equal(s.signal.aborted, true);
  t.equal((s.signal.reason as Error).message, 'shutting down');
  t.equal(s.timedOut(), false, 'not by the timeout');

  const early = new AbortController();
  early.abort('before');
  t.equal(scopedSignal([early.signal], 10).signal.reason, 'before', 'an already aborted source counts at once');

  const longLived = new AbortController();
  const scopes = Array.from({ length: 50 }, () => scopedSignal([longLived.signal], 60_000));
  t.equal(getEventListeners(longLived.signal, 'abort').length, 50);
  for (const scope of scopes) scope.dispose();
  t.equal(getEventListeners(longLived.signal, 'abort').length, 0, 'no listener piles up on a long-lived signal');

  const timed = scopedSignal([], 50);
  await sleep(150);
  t.equal(timed.timedOut(), true);
  t.equal((timed.signal.reason as DOMException).name, 'TimeoutError', 'the reason AbortSignal.timeout gives');
});

t.test('an HTTP probe of a server that never answers times out', async (t) => {
  const port = await silentServer(t);
  collectGarbageOften(t);
  const shutdown = new AbortController();
  const r = await within(5000, runProbe(target({ type: 'http', address: `http://127.0.0.1:${port}/`, timeout: '300ms' }), shutdown.signal));
  t.not(r, 'still waiting', 'the check ended');
  if (r !== 'still waiting') t.match(r, { success: false, reason: 'timeout' });
});

t.test('a WebSocket probe of a server that never answers times out', async (t) => {
  const port = await silentServer(t);
  collectGarbageOften(t);
  const ws = await within(5000, runProbe(target({ type: 'websocket', address: `ws://127.0.0.1:${port}/`, timeout: '300ms' })));
  t.not(ws, 'still waiting', 'the WebSocket check ended');
  if (ws !== 'still waiting') t.match(ws, { success: false, reason: 'timeout' });
});

t.test('a webhook post to a Slack that never answers times out', async (t) => {
  const port = await silentServer(t);
  collectGarbageOften(t);
  const post = createWebhookPoster({ url: `http://127.0.0.1:${port}/services/T0AAA1111/B0BBB2222/xoxSeCrEt`, timeoutMs: 300 });
  // With the dispatcher's signal, as in the relay: two signals to combine.
  const r = await within(5000, post({ text: 'DiskFull on db-1' }, new AbortController().signal));
  t.not(r, 'still waiting', 'the post ended');
  if (r !== 'still waiting') t.match(r, { reason: 'timeout' });
});

t.test('a Web API call to a Slack that never answers times out', async (t) => {
  const port = await silentServer(t);
  collectGarbageOften(t);
  const r = await within(5000, callSlack('chat.postMessage', { channel: 'C0123456789', text: 'x' }, { token: 'xoxb-test-token', apiUrl: `http://127.0.0.1:${port}/api/`, timeoutMs: 300, signal: new AbortController().signal }));
  t.not(r, 'still waiting', 'the call ended');
  if (r !== 'still waiting') t.match(r, { ok: false, outcome: { reason: 'timeout' } });
});

t.test('a stub_status read from an nginx that never answers times out', async (t) => {
  const port = await silentServer(t);
  collectGarbageOften(t);
  const r = await within(5000, settled(getText(new URL(`http://127.0.0.1:${port}/nginx_status`), { timeoutMs: 300, signal: new AbortController().signal }, undefined)));
  t.not(r, 'still waiting', 'the read ended');
  if (r !== 'still waiting') t.match(r, { error: { message: /no answer within/ } });
});

t.test('a Docker engine that never answers times out', async (t) => {
  const port = await silentServer(t);
  collectGarbageOften(t);
  const engine = new EngineClient({ display: `tcp://127.0.0.1:${port}`, host: '127.0.0.1', port }, 300);
  const r = await within(5000, settled(engine.listContainers(new AbortController().signal)));
  t.not(r, 'still waiting', 'the call ended');
  if (r !== 'still waiting') t.match(r, { error: { message: /300/ } });
});

// One explicit collection so the file also fails on an engine that collects rarely.
t.teardown(() => gc());
