// The SNS endpoint over real HTTP on loopback: a real relay (in this process, listening on
// 127.0.0.1) posts to the fake Slack; an https server with a throwaway CA stands in for SNS's
// certificate host and SubscribeURL (test/helpers/sns.ts); messages are signed with openssl.
import t, { type Test } from 'tap';
import { parseConfig } from '../../src/config/load.js';
import { createRelay, type Relay } from '../../src/relay/server.js';
import { FakeSlack, type RecordedRequest } from '../helpers/fake-slack.js';
import { captureLogger, type LogLine } from '../helpers/log-capture.js';
import { parseExposition, select } from '../helpers/exposition.js';
import { alarmMessage, confirmation, notification, OTHER_TOPIC, startSnsStandIn, TOPIC, type SnsStandIn } from '../helpers/sns.js';
import { freePort } from '../helpers/net.js';
import { tmpDir } from '../helpers/tmp.js';

const SLACK_PATH = '/services/T0SNS/B0SNS/sns-secret';

interface Env {
  readonly sns: SnsStandIn;
  readonly slack: FakeSlack;
  readonly dataDir: string;
  readonly lines: LogLine[];
  relay: Relay;
  url: string;
  post(body: unknown, contentType?: string): Promise<{ status: number; body: { message?: string; outcome?: string } }>;
  rejected(reason: string): Promise<number>;
  configWith(topics: readonly string[]): ReturnType<typeof parseConfig>;
  restart(): Promise<void>;
}

async function setup(t: Test): Promise<Env> {
  const sns = await startSnsStandIn();
  const slack = await FakeSlack.start();
  const dir = tmpDir(t, 'tocsin-sns-');
  const { logger, lines } = captureLogger('info');
  process.env.TOCSIN_TEST_SNS_HOOK = slack.url(SLACK_PATH);
  const configWith = (topics: readonly string[]) => parseConfig(
    `relay:
  data_dir: ${dir}/data
  time_zone: Asia/Seoul
  # Off, so that what is checked is the SNS endpoint's own replay memory, not the intake's window.
  dedupe_window: 0s
  delivery: {min_interval: 10ms, timeout: 2s}
  destinations:
    - {name: ops, webhook_url: "\${TOCSIN_TEST_SNS_HOOK}"}
  sns:
    topics: [${topics.map((x) => `'${x}'`).join(', ')}]
    cert_host_pattern: '^127\\.0\\.0\\.1$'
    ca_file: ${sns.pki.caCert}
    severity:
      rules:
        - {alarm_name: '^db-', severity: critical}
`,
    'sns.yml',
  );
  const config = configWith([TOPIC]);
  const start = async () => {
    const relay = await createRelay(config, logger);
    const url = await relay.app.listen({ host: '127.0.0.1', port: 0 });
    return { relay, url };
  };
  const first = await start();
  const env: Env = {
    sns,
    slack,
    dataDir: `${dir}/data`,
    lines,
    configWith,
    relay: first.relay,
    url: first.url,
    async post(body, contentType = 'text/plain; charset=UTF-8') {
      const res = await fetch(`${env.url}/hooks/sns`, {
        method: 'POST',
        // As SNS sends it.
        headers: { 'content-type': contentType, 'x-amz-sns-message-type': String((body as { Type?: string }).Type ?? '') },
        body: typeof body === 'string' ? body : JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      return { status: res.status, body: (await res.json()) as { message?: string; outcome?: string } };
    },
    async rejected(reason) {
      const text = await (await fetch(`${env.url}/metrics`)).text();
      return select(parseExposition(text), 'tocsin_relay_sns_rejected_total', { reason })[0]?.value ?? NaN;
    },
    async restart() {
      await env.relay.close();
      const next = await start();
      env.relay = next.relay;
      env.url = next.url;
    },
  };
  t.teardown(async () => {
    await env.relay.close();
    await slack.close();
    await sns.close();
    delete process.env.TOCSIN_TEST_SNS_HOOK;
  });
  return env;
}

const slackText = (r: RecordedRequest) => r.rawBody;
const delivered = (slack: FakeSlack) => slack.requestsTo(SLACK_PATH).filter((r) => r.status === 200);

t.test('SubscriptionConfirmation: an allowed topic is confirmed by fetching SubscribeURL; another topic is refused and nothing is fetched', async (t) => {
  const env = await setup(t);
  const ok = confirmation(env.sns.base);
  const res = await env.post(env.sns.sign(ok));
  t.equal(res.status, 200, res.body.message ?? "");
  t.equal(res.body.outcome, 'confirmed');
  t.ok(env.sns.hits.includes(new URL(ok.SubscribeURL!).pathname + new URL(ok.SubscribeURL!).search), 'the SubscribeURL was fetched');
  t.ok(env.lines.some((l) => l.msg === 'SNS subscription confirmed' && l.topic === TOPIC), 'the confirmation is logged');

  const hitsBefore = env.sns.hits.length;
  const other = confirmation(env.sns.base, OTHER_TOPIC);
  const refused = await env.post(env.sns.sign(other));
  t.equal(refused.status, 403);
  t.match(refused.body.message, /TopicArn/);
  t.equal(env.sns.hits.length, hitsBefore, 'neither its certificate nor its SubscribeURL was fetched');
  t.ok(env.lines.some((l) => l.level === 40 && l.topic === OTHER_TOPIC && l.reason === 'topic'), 'the refusal is logged with the topic');
  t.equal(await env.rejected('topic'), 1, 'counted as reason="topic"');

  // A signed confirmation whose SubscribeURL is not on a trusted https host is not visited.
  const port = new URL(env.sns.base).port;
  for (const host of [`http://127.0.0.1:${port}`, `https://localhost:${port}`]) {
    const c = confirmation(host);
    const before = env.sns.hits.length;
    const r = await env.post(env.sns.sign(c));
    t.equal(r.status, 403, host);
    t.match(r.body.message, /body\.SubscribeURL/);
    t.equal(env.sns.hits.length, before, `${host}: nothing fetched`);
  }

  const unsub = await env.post(env.sns.sign(confirmation(env.sns.base, TOPIC, 'UnsubscribeConfirmation')));
  t.equal(unsub.status, 200);
  t.equal(unsub.body.outcome, 'logged');
  t.ok(env.lines.some((l) => /UnsubscribeConfirmation/.test(l.msg)), 'the unsubscription is logged');
  t.notOk(env.sns.hits.some((h) => h.includes('Action=ConfirmSubscription') && h.includes(encodeURIComponent(OTHER_TOPIC))), 'the refused topic was never confirmed');
});

t.test('a reload changes the allowed topics', async (t) => {
  const env = await setup(t);
  t.equal((await env.post(env.sns.sign(confirmation(env.sns.base, OTHER_TOPIC)))).status, 403, 'not allowed at first');
  t.same(await env.relay.reconfigure(env.configWith([TOPIC, OTHER_TOPIC])), [], 'no restart needed');
  const res = await env.post(env.sns.sign(confirmation(env.sns.base, OTHER_TOPIC)));
  t.equal(res.status, 200, res.body.message ?? '');
  t.equal(res.body.outcome, 'confirmed');
});

t.test('signatures: version 1 (SHA1) and 2 (SHA256) verify; a bad one, an unsigned message and an untrusted certificate URL get 403 and are counted', async (t) => {
  const env = await setup(t);
  for (const version of ['1', '2'] as const) {
    const res = await env.post(env.sns.sign(notification(`plain text v${version}`, { subject: `Notice v${version}` }), { version }));
    t.equal(res.status, 200, `SignatureVersion ${version}: ${res.body.message}`);
    t.equal(res.body.outcome, 'accepted');
  }
  t.equal(env.sns.hits.filter((h) => h === '/cert.pem').length, 1, 'the certificate was fetched once and then cached');

  const tampered = env.sns.sign(notification('original'));
  tampered.Message = 'changed after signing';
  let res = await env.post(tampered);
  t.equal(res.status, 403, 'a message changed after signing');
  t.match(res.body.message, /body\.Signature/);
  res = await env.post(env.sns.sign(notification('signed by someone else'), { key: 'other' }));
  t.equal(res.status, 403, 'signed with a key whose certificate is not the one named');
  t.equal(await env.rejected('bad_signature'), 2);

  const unsigned = notification('no signature');
  res = await env.post({ ...unsigned, SignatureVersion: '1', SigningCertURL: env.sns.certUrl });
  t.equal(res.status, 403, 'no Signature');
  t.match(res.body.message, /body\.Signature/);
  t.equal(await env.rejected('unsigned'), 1);
  res = await env.post({ ...env.sns.sign(notification('v3')), SignatureVersion: '3' });
  t.equal(res.status, 403, 'an unknown SignatureVersion');

  const hitsBefore = env.sns.hits.length;
  const port = new URL(env.sns.base).port;
  for (const certUrl of [`http://127.0.0.1:${port}/cert.pem`, `https://localhost:${port}/cert.pem`, `https://127.0.0.1.example.com:${port}/cert.pem`, `https://127.0.0.1@localhost:${port}/cert.pem`]) {
    res = await env.post(env.sns.sign(notification('wrong host'), { certUrl }));
    t.equal(res.status, 403, certUrl);
    t.match(res.body.message, /body\.SigningCertURL/, certUrl);
  }
  t.equal(await env.rejected('cert_url'), 4);

  t.equal(env.sns.hits.length, hitsBefore, 'no certificate was fetched from an untrusted URL');
  // On the trusted host but not a certificate: refused. The host down: 503, so SNS retries later.
  res = await env.post(env.sns.sign(notification('no such certificate'), { certUrl: `${env.sns.base}/missing.pem` }));
  t.equal(res.status, 403, 'a certificate URL answering 404');
  t.equal(await env.rejected('cert_invalid'), 1);
  const closed = await freePort();
  res = await env.post(env.sns.sign(notification('host down'), { certUrl: `https://127.0.0.1:${closed}/cert.pem` }));
  t.equal(res.status, 503, 'the certificate host unreachable');
  t.match(res.body.message, /signing certificate not fetched/);
  // TLS is what vouches for the certificate: a host whose TLS certificate the CA did not sign is not believed.
  const hits = env.sns.hits.length;
  res = await env.post(env.sns.sign(notification('untrusted TLS'), { certUrl: `${env.sns.untrustedBase}/cert.pem` }));
  t.equal(res.status, 503, 'a certificate host with an untrusted TLS certificate');
  t.equal(env.sns.hits.length, hits, 'the request never got past the TLS handshake');

  await env.slack.waitForRequests(SLACK_PATH, 2, 10_000);
  t.equal(delivered(env.slack).length, 2, 'only the two well-signed notices reached Slack');
});

t.test('replays: the same MessageId twice is delivered once; an old Timestamp is refused', async (t) => {
  const env = await setup(t);
  const signed = env.sns.sign(notification('hello once', { subject: 'Replayed notice' }));
  const first = await env.post(signed);
  t.equal(first.body.outcome, 'accepted');
  const again = await env.post(signed);
  t.equal(again.status, 200, 'a retry is answered 200 so SNS stops retrying');
  t.equal(again.body.outcome, 'duplicate');
  const old = await env.post(env.sns.sign(notification('yesterday', { timestamp: new Date(Date.now() - 86_400_000).toISOString() })));
  t.equal(old.status, 403);
  t.match(old.body.message, /body\.Timestamp/);
  t.equal(await env.rejected('stale'), 1);
  await env.slack.waitForRequests(SLACK_PATH, 1, 10_000);
  await new Promise((r) => setTimeout(r, 300));
  t.equal(delivered(env.slack).filter((r) => slackText(r).includes('Replayed notice')).length, 1, 'one Slack message');
});

t.test('a CloudWatch alarm: ALARM then OK (after a restart) reaches Slack as FIRING then RESOLVED, with name, region, reason and how long it lasted', async (t) => {
  const env = await setup(t);
  const start = new Date(Date.now() - 12 * 60_000 - 30_000);
  const end = new Date(Date.now() - 1000);
  let res = await env.post(env.sns.sign(notification(alarmMessage({ state: 'ALARM', old: 'OK', at: start }), { subject: 'ALARM: "web-high-cpu" in Asia Pacific (Seoul)' })));
  t.equal(res.status, 200, res.body.message ?? "");
  t.equal(res.body.outcome, 'accepted');
  await env.slack.waitForRequests(SLACK_PATH, 1, 10_000);
  const firing = slackText(delivered(env.slack)[0]!);
  t.match(firing, /FIRING/);
  t.match(firing, /web-high-cpu/);
  t.match(firing, /ap-northeast-2/, 'the region');
  t.match(firing, /Threshold Crossed/, 'the reason');
  t.match(firing, /Asia\/Seoul/, 'times in the configured zone');
  t.match(firing, /CPUUtilization/, 'the metric');
  t.match(firing, /InstanceId=i-0abc123/, 'the dimension');

  // The start is kept on disk: a restart between ALARM and OK still knows how long it lasted.
  await env.restart();
  res = await env.post(env.sns.sign(notification(alarmMessage({ state: 'OK', old: 'ALARM', at: end, reason: 'Threshold Crossed: back below 80.0' }))));
  t.equal(res.body.outcome, 'accepted', res.body.message ?? "");
  await env.slack.waitForRequests(SLACK_PATH, 2, 10_000);
  const resolved = slackText(delivered(env.slack)[1]!);
  t.match(resolved, /RESOLVED/);
  t.match(resolved, /web-high-cpu/);
  t.match(resolved, /ap-northeast-2/);
  t.match(resolved, /back below 80/, 'the reason for OK');
  t.match(resolved, /lasted 12m 2\ds/, 'how long it lasted, from the ALARM state change to the OK one');

  // The same ALARM state change again (through a second topic, or replayed with a new id) is old news.
  res = await env.post(env.sns.sign(notification(alarmMessage({ state: 'ALARM', old: 'OK', at: start }))));
  t.equal(res.body.outcome, 'duplicate', 'an older state change is not sent again');
});

t.test('INSUFFICIENT_DATA is shown as such (info), a non-alarm message as a notice, and a critical rule applies', async (t) => {
  const env = await setup(t);
  let res = await env.post(env.sns.sign(notification(alarmMessage({ name: 'web-latency', state: 'INSUFFICIENT_DATA', old: 'OK', at: new Date(), reason: 'Insufficient Data: 1 datapoint was unknown.' }))));
  t.equal(res.body.outcome, 'accepted', res.body.message ?? "");
  res = await env.post(env.sns.sign(notification('Backup finished: 42 GB', { subject: 'Nightly backup done' })));
  t.equal(res.body.outcome, 'accepted', res.body.message ?? "");
  res = await env.post(env.sns.sign(notification(alarmMessage({ name: 'db-replica-lag', state: 'ALARM', old: 'OK', at: new Date() }))));
  t.equal(res.body.outcome, 'accepted', res.body.message ?? "");
  await env.slack.waitForRequests(SLACK_PATH, 3, 10_000);
  const bodies = delivered(env.slack).map(slackText);
  const insufficient = bodies.find((b) => b.includes('web-latency'))!;
  t.match(insufficient, /INSUFFICIENT_DATA/, 'the state is in the message');
  t.match(insufficient, /:information_source:/, 'at severity info');
  const notice = bodies.find((b) => b.includes('Nightly backup done'))!;
  t.ok(notice, 'the notice is titled by its Subject');
  t.match(notice, /Backup finished: 42 GB/, 'and shows its Message');
  t.match(bodies.find((b) => b.includes('db-replica-lag')), /:rotating_light:/, 'the alarm_name rule made it critical');
});

t.test('bad requests: 400 naming the field', async (t) => {
  const env = await setup(t);
  let res = await env.post('{"Type": "Notification",');
  t.equal(res.status, 400);
  t.match(res.body.message, /^body: not valid JSON/);
  const { MessageId: _, ...noId } = notification('x');
  res = await env.post(noId);
  t.equal(res.status, 400);
  t.match(res.body.message, /body\.MessageId/);
  res = await env.post({ ...notification('x'), Type: 'Gossip' });
  t.match(res.body.message, /body\.Type/);
  res = await env.post(env.sns.sign(notification(alarmMessage({ state: 'ALARM', old: 'OK', at: new Date() }).replace('"NewStateValue":"ALARM"', '"NewStateValue":"BROKEN"'))));
  t.equal(res.status, 400);
  t.match(res.body.message, /body\.Message\.NewStateValue/);
  t.equal(await env.rejected('invalid'), 4);
  // application/json works as well as SNS's text/plain.
  res = await env.post(env.sns.sign(notification('json content type')), 'application/json');
  t.equal(res.status, 200, res.body.message ?? "");
});

t.test('config: a topic that is not an SNS ARN is refused, naming the path', async (t) => {
  t.throws(() => parseConfig('relay:\n  sns:\n    topics: [my-topic]\n', 'bad.yml'), /relay\.sns\.topics\[0\]: expected an SNS topic ARN/);
  t.throws(() => parseConfig("relay:\n  sns:\n    severity: {rules: [{severity: critical}]}\n", 'bad.yml'), /relay\.sns\.severity\.rules\[0\]/);
  const c = parseConfig('', 'empty.yml');
  t.equal(c.relay.sns.cert_host_pattern, '^sns\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?$');
  t.ok(new RegExp(c.relay.sns.cert_host_pattern).test('sns.ap-northeast-2.amazonaws.com'));
  t.ok(new RegExp(c.relay.sns.cert_host_pattern).test('sns.cn-north-1.amazonaws.com.cn'));
  t.notOk(new RegExp(c.relay.sns.cert_host_pattern).test('sns.us-east-1.amazonaws.com.evil.example'));
  t.same(c.relay.sns.topics, [], 'no topic is allowed by default');
});
