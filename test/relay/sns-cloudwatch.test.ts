// The pure mapping of SNS messages to notifications (src/relay/cloudwatch.ts) and the alarm store
// (src/relay/sns/alarm-store.ts) on a real directory.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { alarmGroupKey, alarmNotification, noticeNotification, parseCloudWatchAlarm, type AlarmRecord, type SeverityPolicy } from '../../src/relay/cloudwatch.js';
import { AlarmStore, ALARM_STORE_FILE } from '../../src/relay/sns/alarm-store.js';
import { parseSnsMessage } from '../../src/relay/sns/message.js';
import { captureLogger } from '../helpers/log-capture.js';
import { alarmMessage, notification, OTHER_TOPIC, TOPIC } from '../helpers/sns.js';
import { tmpDir } from '../helpers/tmp.js';

const policy: SeverityPolicy = {
  rules: [
    { alarmName: /^db-/, severity: 'critical' },
    { description: /severity=info/, severity: 'info' },
  ],
  default: 'warning',
  insufficientData: 'info',
};
const at = (iso: string) => new Date(iso);

function step(state: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA', old: string, when: string, previous: AlarmRecord | undefined, o: { name?: string; description?: string; topic?: string } = {}) {
  const a = parseCloudWatchAlarm(alarmMessage({ state, old, at: at(when), ...o }));
  if (!a) throw new Error('not an alarm');
  return alarmNotification(a, previous, { topicArn: o.topic ?? TOPIC, severity: policy });
}

t.test('ALARM -> INSUFFICIENT_DATA -> OK: firing, firing at info, resolved lasting from when it left OK', async (t) => {
  const fire = step('ALARM', 'OK', '2026-11-30T01:00:00.000Z', undefined);
  if (fire.kind !== 'notify') throw new Error('expected a notification');
  const n = fire.notification;
  t.equal(n.status, 'firing');
  t.equal(n.receiver, 'sns');
  t.equal(n.groupKey, 'cloudwatch:123456789012:ap-northeast-2:web-high-cpu');
  t.same(n.alerts[0]!.labels, {
    alertname: 'web-high-cpu',
    region: 'ap-northeast-2',
    state: 'ALARM',
    severity: 'warning',
    source: 'cloudwatch',
    topic: 'cloudwatch-alarms',
    account: '123456789012',
    namespace: 'AWS/EC2',
    metric: 'CPUUtilization',
    dimension_InstanceId: 'i-0abc123',
  });
  t.equal(n.alerts[0]!.startsAt, '2026-11-30T01:00:00.000Z', 'CloudWatch\'s "+0000" time read as UTC');
  t.match(n.alerts[0]!.generatorURL, 'https://ap-northeast-2.console.aws.amazon.com/cloudwatch/home?region=ap-northeast-2#alarmsV2:alarm/web-high-cpu');
  t.same(fire.record, { state: 'ALARM', changedAt: Date.parse('2026-11-30T01:00:00Z'), since: Date.parse('2026-11-30T01:00:00Z'), severity: 'warning' });

  const unknown = step('INSUFFICIENT_DATA', 'ALARM', '2026-11-30T01:05:00.000Z', fire.record);
  if (unknown.kind !== 'notify') throw new Error('expected a notification');
  t.equal(unknown.notification.status, 'firing');
  t.equal(unknown.notification.commonLabels.severity, 'info');
  t.equal(unknown.notification.groupLabels.state, 'INSUFFICIENT_DATA', 'the state is in the title');
  t.equal(unknown.record.since, fire.record.since, 'still out of OK since the ALARM');

  const ok = step('OK', 'INSUFFICIENT_DATA', '2026-11-30T01:12:30.000Z', unknown.record);
  if (ok.kind !== 'notify') throw new Error('expected a notification');
  const a = ok.notification.alerts[0]!;
  t.equal(ok.notification.status, 'resolved');
  t.equal(a.startsAt, '2026-11-30T01:00:00.000Z');
  t.equal(a.endsAt, '2026-11-30T01:12:30.000Z');
  t.equal(a.labels.severity, 'info', 'the resolution goes where the last firing notification went');
  t.equal(ok.notification.groupKey, n.groupKey);
  t.equal(a.fingerprint, n.alerts[0]!.fingerprint);
  t.same(ok.record, { state: 'OK', changedAt: Date.parse('2026-11-30T01:12:30Z') });
});

t.test('OK without a known start says so and shows no duration; older or repeated state changes are stale', async (t) => {
  const ok = step('OK', 'ALARM', '2026-11-30T02:00:00.000Z', undefined);
  if (ok.kind !== 'notify') throw new Error('expected a notification');
  t.equal(ok.notification.alerts[0]!.startsAt, '0001-01-01T00:00:00Z');
  t.match(ok.notification.alerts[0]!.annotations.description, /how long it lasted is unknown/);
  const rec: AlarmRecord = { state: 'ALARM', changedAt: Date.parse('2026-11-30T02:00:00Z'), since: Date.parse('2026-11-30T02:00:00Z'), severity: 'warning' };
  t.same(step('ALARM', 'OK', '2026-11-30T02:00:00.000Z', rec), { kind: 'stale' }, 'the same change again');
  t.same(step('OK', 'ALARM', '2026-11-30T01:59:00.000Z', rec), { kind: 'stale' }, 'an older change arriving late');
  t.equal(step('OK', 'ALARM', '2026-11-30T02:00:00.000Z', rec).kind, 'notify', 'another state at the same second is news');
});

t.test('severity rules: name, description, default; the group is the alarm whichever topic carried it', async (t) => {
  const sev = (o: { name?: string; description?: string }) => {
    const r = step('ALARM', 'OK', '2026-11-30T01:00:00.000Z', undefined, o);
    return r.kind === 'notify' ? r.notification.commonLabels.severity : 'stale';
  };
  t.equal(sev({ name: 'db-replica-lag' }), 'critical');
  t.equal(sev({ name: 'web-errors', description: 'Errors (severity=info)' }), 'info');
  t.equal(sev({ name: 'web-errors' }), 'warning');
  const one = parseCloudWatchAlarm(alarmMessage({ state: 'ALARM', old: 'OK', at: new Date() }))!;
  const viaOther = alarmNotification(one, undefined, { topicArn: OTHER_TOPIC, severity: policy });
  t.equal(viaOther.kind === 'notify' && viaOther.notification.groupKey, alarmGroupKey(one));
});

t.test('the Message: what is not an alarm is a notice; a broken alarm names its field', async (t) => {
  t.equal(parseCloudWatchAlarm('plain text'), undefined);
  t.equal(parseCloudWatchAlarm('{"source":"aws.ec2","detail-type":"EC2 Instance State-change Notification"}'), undefined);
  t.equal(parseCloudWatchAlarm('[1,2]'), undefined);
  const good = JSON.parse(alarmMessage({ state: 'ALARM', old: 'OK', at: new Date() })) as Record<string, unknown>;
  const broken = (patch: Record<string, unknown>) => () => parseCloudWatchAlarm(JSON.stringify({ ...good, ...patch }));
  t.throws(broken({ NewStateValue: 'BROKEN' }), /body\.Message\.NewStateValue/);
  t.throws(broken({ StateChangeTime: 'yesterday' }), /body\.Message\.StateChangeTime/);
  t.throws(broken({ StateChangeTime: undefined }), /body\.Message\.StateChangeTime: required/);
  t.throws(broken({ Trigger: { Dimensions: [{ name: 'InstanceId' }] } }), /body\.Message\.Trigger\.Dimensions\[0\]/);
  t.throws(broken({ Trigger: { Threshold: '80' } }), /body\.Message\.Trigger\.Threshold/);
  // A metric-math alarm has no MetricName; a composite alarm no Trigger.
  const math = parseCloudWatchAlarm(JSON.stringify({ ...good, Trigger: { Metrics: [{ Id: 'e1', Expression: 'm1/m2' }], ComparisonOperator: 'GreaterThanThreshold', Threshold: 1 } }))!;
  const mn = alarmNotification(math, undefined, { topicArn: TOPIC, severity: policy });
  t.equal(mn.kind === 'notify' && mn.notification.commonLabels.metric, undefined);
  t.match(mn.kind === 'notify' && mn.notification.commonAnnotations.description, /Metric: metric math GreaterThanThreshold 1/);
  const composite = parseCloudWatchAlarm(JSON.stringify({ ...good, Trigger: undefined, AlarmRule: 'ALARM(a) OR ALARM(b)' }))!;
  t.equal(alarmNotification(composite, undefined, { topicArn: TOPIC, severity: policy }).kind, 'notify');

  const m = parseSnsMessage(JSON.stringify(notification('Backup finished', { subject: 'Nightly backup', id: 'abc' })));
  const n = noticeNotification(m);
  t.equal(n.status, 'firing');
  t.equal(n.commonLabels.alertname, 'Nightly backup');
  t.equal(n.commonLabels.severity, 'info');
  t.equal(n.groupKey, `sns:${TOPIC}:abc`, 'each notice is its own group');
  t.equal(noticeNotification(parseSnsMessage(JSON.stringify(notification('x')))).commonLabels.alertname, 'SNS cloudwatch-alarms', 'without a Subject: the topic');
});

t.test('the alarm store keeps records across reopening; an unreadable file starts empty with a warning', async (t) => {
  const dir = tmpDir(t, 'tocsin-sns-store-');
  const { logger, lines } = captureLogger();
  const rec: AlarmRecord = { state: 'ALARM', changedAt: 1000, since: 1000, severity: 'critical' };
  const store = await AlarmStore.open(dir, logger);
  t.equal(await store.update('k', async () => ({ record: rec, result: 'ok' })), 'ok');
  await t.rejects(store.update('k2', async () => Promise.reject(new Error('not stored'))), /not stored/);
  t.equal(store.get('k2'), undefined, 'a failed update stores nothing');
  const again = await AlarmStore.open(dir, logger);
  t.same(again.get('k'), rec);
  t.match(readFileSync(join(dir, ALARM_STORE_FILE), 'utf8'), /"since":1000/);
  writeFileSync(join(dir, ALARM_STORE_FILE), '{"alarms": {"k": ');
  const broken = await AlarmStore.open(dir, logger);
  t.equal(broken.get('k'), undefined);
  t.ok(lines.some((l) => l.level === 40 && /unreadable/.test(l.msg)));
});
