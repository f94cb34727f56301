// Logs: level names, logfmt, and no line per HTTP request unless it needs attention.
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../src/telemetry/log.js';
import { createServer } from '../../src/http/server.js';
import { HttpError } from '../../src/http/errors.js';

function capture() {
  const lines: string[] = [];
  return { lines, stream: { write: (s: string) => void lines.push(...s.split('\n').filter(Boolean)) } };
}

t.test('JSON logs carry level names, not numbers', async (t) => {
  const c = capture();
  const log = createLogger({ level: 'info', format: 'json' }, c.stream);
  log.info({ component: 'x' }, 'hello');
  log.debug('not shown at info');
  t.equal(c.lines.length, 1);
  const rec = JSON.parse(c.lines[0]!) as Record<string, unknown>;
  t.equal(rec.level, 'info');
  t.equal(rec.msg, 'hello');
  t.match(rec.time, /^\d{4}-\d\d-\d\dT/, 'ISO time');
});

t.test('logfmt: ts, level, msg first, nested fields flattened, values quoted when needed', async (t) => {
  const c = capture();
  const log = createLogger({ level: 'debug', format: 'logfmt' }, c.stream);
  log.warn({ component: 'relay', err: { message: 'a "b" c' }, count: 3 }, 'two words');
  t.equal(c.lines.length, 1);
  t.match(c.lines[0], /^ts=\d{4}-\d\d-\d\dT\S+ level=warn msg="two words" /);
  t.match(c.lines[0], / component=relay /);
  t.match(c.lines[0], / err\.message="a \\"b\\" c"/);
  t.match(c.lines[0], / count=3/);
  t.notMatch(c.lines[0], /[{}]/, 'no JSON left');
});

t.test('HTTP requests: nothing at info for 2xx/4xx; 5xx at error; slow at warn; 4xx at debug', async (t) => {
  const c = capture();
  const app = createServer({ logger: createLogger({ level: 'info' }, c.stream), slowRequestMs: 200 });
  app.get('/ok', async () => 'ok');
  app.get('/bad', async () => {
    throw new HttpError(400, 'field x: wrong');
  });
  app.get('/boom', async () => {
    throw new Error('disk on fire');
  });
  app.get('/slow', async () => {
    await sleep(300);
    return 'late';
  });
  t.teardown(() => app.close());
  for (let i = 0; i < 20; i++) t.equal((await app.inject('/ok')).statusCode, 200);
  t.equal((await app.inject('/bad')).statusCode, 400);
  t.equal((await app.inject('/nope')).statusCode, 404);
  t.same(c.lines, [], 'no line for 20 successful requests and two 4xx');

  t.equal((await app.inject('/boom')).statusCode, 500);
  const errors = c.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  t.ok(errors.every((e) => e.level === 'error'));
  t.ok(errors.some((e) => e.msg === 'request failed' && e.statusCode === 500 && e.url === '/boom'));
  t.ok(errors.some((e) => e.err === 'disk on fire'), 'the reason is logged');

  c.lines.length = 0;
  t.equal((await app.inject('/slow')).statusCode, 200);
  t.equal(c.lines.length, 1);
  const slow = JSON.parse(c.lines[0]!) as Record<string, unknown>;
  t.equal(slow.level, 'warn');
  t.equal(slow.msg, 'slow request');
  t.ok((slow.responseTimeMs as number) >= 250);

  c.lines.length = 0;
  const debugApp = createServer({ logger: createLogger({ level: 'debug' }, c.stream) });
  debugApp.get('/ok', async () => 'ok');
  t.teardown(() => debugApp.close());
  await debugApp.inject('/ok');
  await debugApp.inject('/nope');
  t.equal(c.lines.length, 1, 'at debug, rejected requests are visible, successful ones still not');
  t.match(JSON.parse(c.lines[0]!), { level: 'debug', statusCode: 404, msg: 'request rejected' });
});
