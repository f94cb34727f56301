// A stand-in for Amazon SNS in tests: an RSA signing key and certificate made with the openssl CLI,
// served over https from 127.0.0.1 (TLS certificate from a throwaway CA, test/helpers/certs.ts),
// which also answers SubscribeURL confirmations; and messages signed the way SNS signs them (the
// string to sign is built here from AWS's documentation, independently of the relay's code, and
// signed by `openssl dgst`).
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { requireBinary } from './bin.js';
import { makePki, type Pki } from './certs.js';

export interface SnsStandIn {
  readonly pki: Pki;
  /** https://127.0.0.1:PORT */
  readonly base: string;
  readonly certUrl: string;
  /** The same server behind a TLS certificate from a CA the relay does not trust. */
  readonly untrustedBase: string;
  /** Paths requested from the https server, in order. */
  readonly hits: string[];
  /** Signs with the served certificate's key (or `key: 'other'`, a key whose certificate is not served). */
  sign(m: Record<string, string>, o?: { version?: '1' | '2'; certUrl?: string; key?: 'signing' | 'other' }): Record<string, string>;
  close(): Promise<void>;
}

export const TOPIC = 'arn:aws:sns:ap-northeast-2:123456789012:cloudwatch-alarms';
export const OTHER_TOPIC = 'arn:aws:sns:ap-northeast-2:999999999999:someone-elses';

/** AWS's "string to sign": the listed keys that are present, in this order, each "Key\nvalue\n". */
function canonical(m: Record<string, string>): string {
  const keys =
    m.Type === 'Notification'
      ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  return keys.filter((k) => m[k] !== undefined).map((k) => `${k}\n${m[k]}\n`).join('');
}

export async function startSnsStandIn(): Promise<SnsStandIn> {
  const openssl = requireBinary('openssl', 'openssl');
  const pki = makePki();
  const p = (n: string) => join(pki.dir, n);
  const run = (...args: string[]) => execFileSync(openssl, args, { cwd: pki.dir, stdio: ['ignore', 'ignore', 'pipe'] });
  // SNS signs with RSA keys; the certificate it serves is a plain PEM.
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('signing.key'), '-out', p('signing.crt'), '-days', '2', '-subj', '/CN=sns.test');
  run('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', p('other.key'));
  const signingCert = readFileSync(p('signing.crt'), 'utf8');
  const hits: string[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    hits.push(req.url ?? '/');
    if (req.url === '/cert.pem') {
      res.writeHead(200, { 'content-type': 'application/x-pem-file' });
      res.end(signingCert);
    } else if (req.url?.startsWith('/?Action=ConfirmSubscription')) {
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end('<ConfirmSubscriptionResponse><ConfirmSubscriptionResult><SubscriptionArn>arn:aws:sns:x</SubscriptionArn></ConfirmSubscriptionResult></ConfirmSubscriptionResponse>');
    } else {
      res.writeHead(404);
      res.end();
    }
  };
  const server: Server = createServer({ cert: readFileSync(pki.serverCert), key: readFileSync(pki.serverKey) }, handler);
  const untrusted: Server = createServer({ cert: readFileSync(pki.rotatedCert), key: readFileSync(pki.rotatedKey) }, handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => untrusted.listen(0, '127.0.0.1', resolve));
  const base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    pki,
    base,
    certUrl: `${base}/cert.pem`,
    untrustedBase: `https://127.0.0.1:${(untrusted.address() as AddressInfo).port}`,
    hits,
    sign(m, o = {}) {
      const version = o.version ?? '1';
      const key = p(o.key === 'other' ? 'other.key' : 'signing.key');
      const sig = execFileSync(openssl, ['dgst', version === '1' ? '-sha1' : '-sha256', '-sign', key], { input: canonical(m) });
      return { ...m, SignatureVersion: version, Signature: sig.toString('base64'), SigningCertURL: o.certUrl ?? `${base}/cert.pem` };
    },
    async close() {
      for (const srv of [server, untrusted]) {
        srv.closeAllConnections();
        await new Promise<void>((resolve) => srv.close(() => resolve()));
      }
      pki.remove();
    },
  };
}

/** An SNS Notification (unsigned) as SNS sends it; `Timestamp` now unless given. */
export function notification(message: string, o: { subject?: string; topic?: string; id?: string; timestamp?: string } = {}): Record<string, string> {
  return {
    Type: 'Notification',
    MessageId: o.id ?? randomUUID(),
    TopicArn: o.topic ?? TOPIC,
    ...(o.subject !== undefined ? { Subject: o.subject } : {}),
    Message: message,
    Timestamp: o.timestamp ?? new Date().toISOString(),
    UnsubscribeURL: 'https://sns.ap-northeast-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x',
  };
}

/** A SubscriptionConfirmation whose SubscribeURL points at the stand-in. */
export function confirmation(base: string, topic = TOPIC, type = 'SubscriptionConfirmation'): Record<string, string> {
  const token = randomUUID().replace(/-/g, '');
  return {
    Type: type,
    MessageId: randomUUID(),
    Token: token,
    TopicArn: topic,
    Message: `You have chosen to subscribe to the topic ${topic}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
    SubscribeURL: `${base}/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(topic)}&Token=${token}`,
    Timestamp: new Date().toISOString(),
  };
}

/** CloudWatch's alarm JSON as it arrives in Message (field names, dimension shape and time format as AWS sends them). */
export function alarmMessage(o: { name?: string; state: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA'; old: string; at: Date; reason?: string; description?: string }): string {
  const name = o.name ?? 'web-high-cpu';
  // "2026-11-30T01:02:03.456+0000": CloudWatch's offset has no colon.
  const time = o.at.toISOString().replace('Z', '+0000');
  return JSON.stringify({
    AlarmName: name,
    AlarmDescription: o.description ?? 'CPU above 80% on the web server',
    AWSAccountId: '123456789012',
    AlarmConfigurationUpdatedTimestamp: '2026-11-01T00:00:00.000+0000',
    NewStateValue: o.state,
    NewStateReason: o.reason ?? `Threshold Crossed: 1 out of the last 1 datapoints [91.5 (30/11/26 01:00:00)] was greater than the threshold (80.0).`,
    StateChangeTime: time,
    Region: 'Asia Pacific (Seoul)',
    AlarmArn: `arn:aws:cloudwatch:ap-northeast-2:123456789012:alarm:${name}`,
    OldStateValue: o.old,
    OKActions: [TOPIC],
    AlarmActions: [TOPIC],
    InsufficientDataActions: [],
    Trigger: {
      MetricName: 'CPUUtilization',
      Namespace: 'AWS/EC2',
      StatisticType: 'Statistic',
      Statistic: 'AVERAGE',
      Unit: null,
      Dimensions: [{ value: 'i-0abc123', name: 'InstanceId' }],
      Period: 300,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 80.0,
      TreatMissingData: 'missing',
      EvaluateLowSampleCountPercentile: '',
    },
  });
}
