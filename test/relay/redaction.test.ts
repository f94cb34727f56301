// A webhook URL is a secret, whole or in part. Slack (or a proxy in front of it) can echo the URL
// in an error body; what the relay keeps of that body (log lines, dead letters in the API and in
// the outbox file) must hold no fragment of the URL's secret segments, wherever the excerpt is cut.
import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { parseConfig } from '../../src/config/load.js';
import { maskUrl, MIN_SECRET_FRAGMENT, redactedExcerpt, redactor } from '../../src/config/secret.js';
import { webhookUrlProblem } from '../../src/config/webhook-url.js';
import { publicChannel } from '../../src/relay/channels.js';
import { Secret } from '../../src/config/secret.js';
import { createRelay } from '../../src/relay/server.js';
import { amFixtureJson as fixture } from '../helpers/am-fixtures.js';
import { FakeSlack } from '../helpers/fake-slack.js';

const WORKSPACE = 'T0WORKSPACE1';
const BOT = 'B0BOTSEGMENT2';
const TOKEN = 'abcdefghijklmnopqrstuvwx';
const PATH = `/services/${WORKSPACE}/${BOT}/${TOKEN}`;
const SEGMENTS = [WORKSPACE, BOT, TOKEN];

/** Every piece of `secret` of `n` characters that `text` contains. */
function fragments(text: string, secret: string, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i + n <= secret.length; i++) if (text.includes(secret.slice(i, i + n))) out.push(secret.slice(i, i + n));
  return out;
}

/** Fragments of 6+ characters of any secret segment, or of the whole secret path, found in `text`. */
function leaks(text: string): string[] {
  return [...SEGMENTS, `${WORKSPACE}/${BOT}/${TOKEN}`].flatMap((s) => fragments(text, s, 6));
}

/** Every file under `dir`, read as text. */
function filesUnder(dir: string): { file: string; text: string }[] {
  return readdirSync(dir).flatMap((name) => {
    const file = join(dir, name);
    return statSync(file).isDirectory() ? filesUnder(file) : [{ file, text: readFileSync(file, 'utf8') }];
  });
}

t.test('masking shows no segment of the path: workspace, bot and token', async (t) => {
  const url = `https://hooks.slack.com${PATH}?x=querysecret1`;
  const masked = maskUrl(url);
  t.equal(masked, 'https://hooks.slack.com/…');
  const shown = JSON.stringify(publicChannel({ name: 'ops', type: 'slack', enabled: true, webhookUrl: new Secret(url), source: 'api', apiFields: [], overridden: false }));
  for (const text of [masked, shown]) {
    t.same(leaks(text), [], 'no fragment of T…, B… or the token');
    t.notMatch(text, /querysecret1/);
  }
});

t.test('redact first, then cut: the cut never leaves part of the URL, at any offset', async (t) => {
  const url = `https://hooks.slack.com${PATH}`;
  const redact = redactor(url);
  for (let pad = 0; pad <= 130; pad++) {
    const body = `${'x'.repeat(pad)}${url} is not a webhook`;
    const out = redactedExcerpt(body, 120, redact);
    if (leaks(out).length > 0) t.fail(`pad ${pad}: ${out} leaks ${leaks(out).join(',')}`);
    if (out.length > 121) t.fail(`pad ${pad}: excerpt of ${out.length} characters`);
  }
  t.equal(redactedExcerpt(`no such hook ${url}`, 120, redact), 'no such hook [redacted]');
  // A proxy that echoes only a piece of the URL: any fragment of MIN_SECRET_FRAGMENT or more goes.
  const partial = redact(`bad token ${TOKEN.slice(3, 3 + MIN_SECRET_FRAGMENT)}… and bot ${BOT.slice(0, 10)}`);
  t.equal(partial, 'bad token [redacted]… and bot [redacted]');
  t.equal(redact(`workspace ${WORKSPACE}, line\nbroken ${TOKEN.slice(0, 12)}\n${TOKEN.slice(12)}`), 'workspace [redacted], line\nbroken [redacted]\n[redacted]');
  t.equal(redact('ECONNREFUSED 127.0.0.1:443 at hooks.slack.com/services'), 'ECONNREFUSED 127.0.0.1:443 at hooks.slack.com/services', 'what is not secret stays');
  const encoded = redactor(`https://hooks.slack.com/services/T1/B1/tok%20en%2Fsecret-123`);
  t.equal(encoded('echo: tok en/secret-123'), 'echo: [redacted]', 'the percent-decoded form too');
});

t.test('webhook URL check: one function, no echo, user:password@ refused', async (t) => {
  t.equal(webhookUrlProblem(`https://hooks.slack.com${PATH}`), undefined);
  const cases = [`https://user:${TOKEN}@hooks.slack.com${PATH}`, `https://${TOKEN}@hooks.slack.com/x`, `ftp://hooks.slack.com${PATH}`, `hooks.slack.com${PATH}`, '', 42];
  for (const bad of cases) {
    const problem = webhookUrlProblem(bad);
    t.type(problem, 'string', `refused: ${typeof bad === 'string' ? bad.replace(TOKEN, '…') : bad}`);
    t.same(leaks(problem ?? ''), []);
  }
  t.match(webhookUrlProblem(`https://user:pw@hooks.slack.com${PATH}`), /user:password@/);
});

t.test('config check refuses user:password@ in a webhook URL without echoing it', async (t) => {
  process.env.TOCSIN_TEST_USERINFO_HOOK = `https://ops:${TOKEN}@hooks.slack.com${PATH}`;
  t.teardown(() => delete process.env.TOCSIN_TEST_USERINFO_HOOK);
  let message = '';
  try {
    parseConfig('relay:\n  destinations:\n    - {name: ops, webhook_url: "${TOCSIN_TEST_USERINFO_HOOK}"}\n', 'userinfo.yml');
    t.fail('should be refused');
  } catch (err) {
    message = (err as Error).message;
  }
  t.match(message, 'relay.destinations[0].webhook_url');
  t.match(message, /user:password@/);
  t.same(leaks(message), []);
});

t.test('real relay: the fake Slack echoes the URL in its error body; logs, dead letters and outbox hold none of it', async (t) => {
  const slack = await FakeSlack.start();
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-redaction-'));
  const logLines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
  const url = slack.url(PATH);
  process.env.TOCSIN_TEST_ECHO_HOOK = url;
  const config = parseConfig(
    `relay:
  data_dir: ${dir}/data
  delivery: {min_interval: 10ms, timeout: 2s}
  destinations:
    - {name: ops, webhook_url: "\${TOCSIN_TEST_ECHO_HOOK}"}
`,
    'redaction.yml',
  );
  const relay = await createRelay(config, logger);
  t.teardown(async () => {
    await relay.close();
    await slack.close();
    delete process.env.TOCSIN_TEST_ECHO_HOOK;
    rmSync(dir, { recursive: true, force: true });
  });

  // The cut (120 characters of the body) falls before, inside each segment, and after the URL.
  const secretStart = url.length - `${WORKSPACE}/${BOT}/${TOKEN}`.length;
  const cutInside = [-5, 3, WORKSPACE.length + 4, WORKSPACE.length + BOT.length + 2 + 8, WORKSPACE.length + BOT.length + 2 + 20, url.length - secretStart + 10];
  const bodies = [
    ...cutInside.map((k) => `${'e'.repeat(120 - secretStart - k)}${url} not found`),
    `invalid_token for ${TOKEN.slice(0, 20)}`, // a proxy echoing part of the token only
    `<html>\n<p>No hook at\n${url.replace('/B', '\n/B')}</p>`, // broken over lines
  ];
  for (const [i, body] of bodies.entries()) {
    slack.setMode(PATH, { kind: 'serverError', status: 404, body });
    const n = fixture('firing-warning.json');
    n.groupKey = `echo-${i}`;
    const res = await relay.app.inject({ method: 'POST', url: '/hooks/alertmanager', payload: n });
    t.equal(res.statusCode, 200);
    const deadline = Date.now() + 5000;
    while (relay.outbox.deadLetters().length <= i && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    t.equal(relay.outbox.deadLetters().length, i + 1, `echo ${i} was dead-lettered (404 is permanent)`);
  }
  t.equal(slack.requestsTo(PATH).length, bodies.length, 'each echo was really sent by the fake Slack');

  const api = (await relay.app.inject('/api/v1/dead-letters')).body;
  t.match(api, /HTTP 404/, 'the dead letters say what happened');
  t.same(leaks(api), [], 'dead-letters API');
  const logs = logLines.join('');
  t.match(logs, /dead-lettered/, 'the failures were logged');
  t.same(leaks(logs), [], 'log lines');
  await relay.close();
  const files = filesUnder(join(dir, 'data'));
  t.ok(files.length > 0);
  for (const f of files) t.same(leaks(f.text), [], `stored file ${f.file.slice(dir.length)}`);
});
