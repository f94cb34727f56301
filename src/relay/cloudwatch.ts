// SNS messages -> the relay's notification model, so routing, formatting, the outbox, duplicate
// checks and resolved notices work as they do for Alertmanager. Pure: the alarm's previous state
// comes in (sns/alarm-store.ts keeps it on disk), the next state goes out.
//
// A CloudWatch alarm is one alert in a group of its own (groupKey `cloudwatch:<account>:<region>:<name>`,
// whichever topic carried it, so one alarm sent through two topics is one conversation):
//   ALARM             firing, severity from the rules (warning by default)
//   INSUFFICIENT_DATA firing, severity `insufficient_data` (info), the state in the title
//   OK                resolved; it "lasted" from when the alarm left OK (the first ALARM or
//                     INSUFFICIENT_DATA after OK) to this change. Unknown when the relay never saw
//                     the alarm leave OK: said so, and no duration is shown.
// Any other message (not an alarm's JSON) becomes a notice: firing, severity info, titled by its Subject.
import { createHash } from 'node:crypto';
import { SnsShapeError, topicName, type SnsMessage } from './sns/message.js';
import type { AlertmanagerNotification, AlertStatus } from './types.js';

export const ALARM_STATES = ['ALARM', 'OK', 'INSUFFICIENT_DATA'] as const;
export type AlarmState = (typeof ALARM_STATES)[number];
export type SnsSeverity = 'critical' | 'warning' | 'info';

/** What the relay remembers of an alarm between its state changes. */
export interface AlarmRecord {
  readonly state: AlarmState;
  /** Unix ms of the last state change accepted (StateChangeTime). */
  readonly changedAt: number;
  /** Unix ms when the alarm left OK; set while it is not OK. */
  readonly since?: number;
  /** The severity its firing notifications had, so the resolved one is routed the same way. */
  readonly severity?: SnsSeverity;
}

export interface SeverityRule {
  readonly alarmName?: RegExp;
  readonly description?: RegExp;
  readonly severity: SnsSeverity;
}

export interface SeverityPolicy {
  readonly rules: readonly SeverityRule[];
  readonly default: SnsSeverity;
  readonly insufficientData: SnsSeverity;
}

export interface CloudWatchAlarm {
  readonly AlarmName: string;
  readonly AlarmDescription?: string;
  readonly AlarmArn?: string;
  readonly AWSAccountId: string;
  readonly NewStateValue: AlarmState;
  readonly OldStateValue?: string;
  readonly NewStateReason: string;
  /** Unix ms. */
  readonly changedAt: number;
  readonly Region: string;
  readonly Trigger?: {
    readonly MetricName?: string;
    readonly Namespace?: string;
    readonly Dimensions: readonly { readonly name: string; readonly value: string }[];
    readonly Threshold?: number;
    readonly ComparisonOperator?: string;
  };
}

export const RECEIVER = 'sns';
/** Alertmanager's "not ended" and "unknown" time. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

const fail = (field: string, what: string): never => {
  throw new SnsShapeError(`body.Message.${field}: ${what}`);
};

/** CloudWatch writes "2026-11-30T01:02:03.456+0000": an offset without a colon. */
function parseChangeTime(s: string): number {
  return Date.parse(s.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
}

/**
 * The CloudWatch alarm in an SNS Message, or undefined when the Message is not one (no JSON object
 * with AlarmName and NewStateValue). A Message that is one but malformed throws SnsShapeError naming the field.
 */
export function parseCloudWatchAlarm(message: string): CloudWatchAlarm | undefined {
  let v: unknown;
  try {
    v = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.AlarmName !== 'string' || o.NewStateValue === undefined) return undefined;
  const str = (k: string, required: boolean): string | undefined => {
    const x = o[k];
    if (x === undefined || x === null) return required ? fail(k, 'required') : undefined;
    return typeof x === 'string' ? x : fail(k, 'expected a string');
  };
  if (o.AlarmName.trim() === '') fail('AlarmName', 'must not be empty');
  const state = str('NewStateValue', true)!;
  if (!(ALARM_STATES as readonly string[]).includes(state)) fail('NewStateValue', `expected one of ${ALARM_STATES.join(', ')}`);
  const changeTime = str('StateChangeTime', true)!;
  const changedAt = parseChangeTime(changeTime);
  if (Number.isNaN(changedAt)) fail('StateChangeTime', 'expected a time such as 2026-11-30T01:02:03.456+0000');

  let trigger: CloudWatchAlarm['Trigger'];
  if (o.Trigger !== undefined && o.Trigger !== null) {
    if (typeof o.Trigger !== 'object' || Array.isArray(o.Trigger)) fail('Trigger', 'expected an object');
    const t = o.Trigger as Record<string, unknown>;
    const tstr = (k: string) => (t[k] === undefined || t[k] === null ? undefined : typeof t[k] === 'string' ? (t[k] as string) : fail(`Trigger.${k}`, 'expected a string'));
    const dims = t.Dimensions ?? [];
    if (!Array.isArray(dims)) fail('Trigger.Dimensions', 'expected a list');
    const dimensions = (dims as unknown[]).map((d, i) => {
      const dd = d as Record<string, unknown> | null;
      // CloudWatch writes {"value": ..., "name": ...}; the API's own spelling is Name/Value.
      const name = dd?.name ?? dd?.Name;
      const value = dd?.value ?? dd?.Value;
      if (typeof name !== 'string' || typeof value !== 'string') fail(`Trigger.Dimensions[${i}]`, 'expected {"name": string, "value": string}');
      return { name: name as string, value: value as string };
    });
    const threshold = t.Threshold;
    if (threshold !== undefined && threshold !== null && typeof threshold !== 'number') fail('Trigger.Threshold', 'expected a number');
    trigger = {
      MetricName: tstr('MetricName'),
      Namespace: tstr('Namespace'),
      Dimensions: dimensions,
      Threshold: typeof threshold === 'number' ? threshold : undefined,
      ComparisonOperator: tstr('ComparisonOperator'),
    };
  }
  return {
    AlarmName: o.AlarmName,
    AlarmDescription: str('AlarmDescription', false),
    AlarmArn: str('AlarmArn', false),
    AWSAccountId: str('AWSAccountId', false) ?? '',
    NewStateValue: state as AlarmState,
    OldStateValue: str('OldStateValue', false),
    NewStateReason: str('NewStateReason', false) ?? '',
    changedAt,
    Region: str('Region', false) ?? '',
    Trigger: trigger,
  };
}

/** The region's code (ap-northeast-2) from the alarm's ARN; CloudWatch's Region field is a long name. */
function regionCode(a: CloudWatchAlarm): { code?: string; partition?: string } {
  const parts = (a.AlarmArn ?? '').split(':');
  return parts[0] === 'arn' && parts[3] ? { code: parts[3], partition: parts[1] } : {};
}

function consoleUrl(a: CloudWatchAlarm): string {
  const { code, partition } = regionCode(a);
  if (code === undefined || !/^[a-z0-9-]+$/.test(code)) return '';
  const host = partition === 'aws' ? `${code}.console.aws.amazon.com` : partition === 'aws-cn' ? `${code}.console.amazonaws.cn` : undefined;
  return host === undefined ? '' : `https://${host}/cloudwatch/home?region=${code}#alarmsV2:alarm/${encodeURIComponent(a.AlarmName)}`;
}

export function alarmGroupKey(a: CloudWatchAlarm): string {
  return `cloudwatch:${a.AWSAccountId}:${regionCode(a).code ?? a.Region}:${a.AlarmName}`;
}

export function severityFor(a: CloudWatchAlarm, policy: SeverityPolicy): SnsSeverity {
  for (const r of policy.rules) {
    if (r.alarmName !== undefined && !r.alarmName.test(a.AlarmName)) continue;
    if (r.description !== undefined && !r.description.test(a.AlarmDescription ?? '')) continue;
    return r.severity;
  }
  return policy.default;
}

/** Prometheus label names: dimension "AutoScalingGroupName" -> dimension_AutoScalingGroupName. */
function dimensionLabel(name: string): string {
  return `dimension_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

function triggerLine(t: NonNullable<CloudWatchAlarm['Trigger']>): string | undefined {
  const where = [t.Namespace, ...t.Dimensions.map((d) => `${d.name}=${d.value}`)].filter((x) => x);
  const what = t.MetricName ?? (where.length > 0 ? undefined : 'metric math');
  const test = [t.ComparisonOperator, t.Threshold === undefined ? undefined : String(t.Threshold)].filter((x) => x !== undefined).join(' ');
  const line = [what, where.length > 0 ? `(${where.join(', ')})` : undefined, test].filter((x) => x).join(' ');
  return line === '' ? undefined : `Metric: ${line}`;
}

export type AlarmOutcome =
  | { readonly kind: 'notify'; readonly notification: AlertmanagerNotification; readonly record: AlarmRecord }
  /** The same state change again (another topic, a replay) or an older one arriving late. */
  | { readonly kind: 'stale' };

/** The notification for an alarm's state change, given what was known of the alarm before. */
export function alarmNotification(a: CloudWatchAlarm, previous: AlarmRecord | undefined, o: { topicArn: string; severity: SeverityPolicy }): AlarmOutcome {
  if (previous !== undefined && (a.changedAt < previous.changedAt || (a.changedAt === previous.changedAt && a.NewStateValue === previous.state))) {
    return { kind: 'stale' };
  }
  const wasOut = previous !== undefined && previous.state !== 'OK' ? previous : undefined;
  const ruled = severityFor(a, o.severity);
  let status: AlertStatus;
  let severity: SnsSeverity;
  let startsAt: string;
  let endsAt = ZERO_TIME;
  let record: AlarmRecord;
  const iso = (ms: number) => new Date(ms).toISOString();
  const notes: string[] = [];
  if (a.NewStateValue === 'OK') {
    status = 'resolved';
    severity = wasOut?.severity ?? ruled;
    startsAt = wasOut?.since !== undefined ? iso(wasOut.since) : ZERO_TIME;
    endsAt = iso(a.changedAt);
    if (wasOut?.since === undefined) notes.push('The relay did not see this alarm leave OK: how long it lasted is unknown.');
    record = { state: 'OK', changedAt: a.changedAt };
  } else {
    status = 'firing';
    severity = a.NewStateValue === 'ALARM' ? ruled : o.severity.insufficientData;
    startsAt = iso(a.changedAt);
    record = { state: a.NewStateValue, changedAt: a.changedAt, since: wasOut?.since ?? a.changedAt, severity };
  }

  const region = regionCode(a).code ?? a.Region;
  const groupLabels: Record<string, string> = { alertname: a.AlarmName, ...(region ? { region } : {}), state: a.NewStateValue };
  const labels: Record<string, string> = {
    ...groupLabels,
    severity,
    source: 'cloudwatch',
    topic: topicName(o.topicArn),
    ...(a.AWSAccountId ? { account: a.AWSAccountId } : {}),
    ...(a.Trigger?.Namespace ? { namespace: a.Trigger.Namespace } : {}),
    ...(a.Trigger?.MetricName ? { metric: a.Trigger.MetricName } : {}),
  };
  for (const d of a.Trigger?.Dimensions ?? []) labels[dimensionLabel(d.name)] = d.value;

  const description = [
    a.AlarmDescription?.trim() || undefined,
    a.NewStateReason.trim() || undefined,
    a.Trigger ? triggerLine(a.Trigger) : undefined,
    [a.AWSAccountId ? `Account ${a.AWSAccountId}` : undefined, a.Region || undefined].filter((x) => x).join(' · ') || undefined,
    ...notes,
  ].filter((x): x is string => x !== undefined);
  const annotations: Record<string, string> = {
    summary: `${a.AlarmName}: ${a.OldStateValue ?? '?'} → ${a.NewStateValue}`,
    ...(description.length > 0 ? { description: description.join('\n') } : {}),
  };
  const groupKey = alarmGroupKey(a);
  const notification: AlertmanagerNotification = {
    version: '4',
    groupKey,
    status,
    receiver: RECEIVER,
    groupLabels,
    commonLabels: labels,
    commonAnnotations: annotations,
    externalURL: '',
    alerts: [
      {
        status,
        labels,
        annotations,
        startsAt,
        endsAt,
        generatorURL: consoleUrl(a),
        fingerprint: createHash('sha256').update(groupKey).digest('hex').slice(0, 16),
      },
    ],
  };
  return { kind: 'notify', notification, record };
}

/** Any other SNS message, shown as an informational notice titled by its Subject. */
export function noticeNotification(m: SnsMessage): AlertmanagerNotification {
  const topic = topicName(m.TopicArn);
  const subject = m.Subject?.trim();
  const labels: Record<string, string> = { alertname: subject || `SNS ${topic}`, severity: 'info', source: 'sns', topic };
  const annotations: Record<string, string> = { ...(m.Message.trim() ? { description: m.Message } : {}) };
  const groupKey = `sns:${m.TopicArn}:${m.MessageId}`;
  return {
    version: '4',
    groupKey,
    status: 'firing',
    receiver: RECEIVER,
    groupLabels: { alertname: labels.alertname! },
    commonLabels: labels,
    commonAnnotations: annotations,
    externalURL: '',
    alerts: [
      {
        status: 'firing',
        labels,
        annotations,
        startsAt: new Date(Date.parse(m.Timestamp)).toISOString(),
        endsAt: ZERO_TIME,
        generatorURL: '',
        fingerprint: createHash('sha256').update(groupKey).digest('hex').slice(0, 16),
      },
    ],
  };
}
