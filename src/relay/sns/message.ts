// The JSON document Amazon SNS posts to an HTTP(S) subscriber, its checks, and the string SNS
// signs. Reference: AWS SNS developer guide, "HTTP/HTTPS notification JSON format" and
// "Verifying the signatures of Amazon SNS messages". SNS posts it as text/plain.

export const SNS_TYPES = ['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation'] as const;
export type SnsType = (typeof SNS_TYPES)[number];

export interface SnsMessage {
  readonly Type: SnsType;
  readonly MessageId: string;
  readonly TopicArn: string;
  readonly Message: string;
  /** ISO 8601, when SNS published the message. */
  readonly Timestamp: string;
  readonly Subject?: string;
  /** Confirmations only. */
  readonly Token?: string;
  readonly SubscribeURL?: string;
  readonly SignatureVersion?: string;
  readonly Signature?: string;
  readonly SigningCertURL?: string;
  readonly UnsubscribeURL?: string;
}

/** A request body that is not an SNS message: answered 400 with this text (it names the field). */
export class SnsShapeError extends Error {}

const MAX_FIELD = 256 * 1024; // SNS messages are at most 256 KB

/** Parses and checks a posted body; throws SnsShapeError naming the field. Signature fields stay optional (checked by the verifier). */
export function parseSnsMessage(raw: string): SnsMessage {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new SnsShapeError('body: not valid JSON (expected an SNS message)');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SnsShapeError('body: expected a JSON object (an SNS message)');
  const o = value as Record<string, unknown>;
  const str = (field: string, required: boolean): string | undefined => {
    const v = o[field];
    if (v === undefined || v === null) {
      if (required) throw new SnsShapeError(`body.${field}: required`);
      return undefined;
    }
    if (typeof v !== 'string') throw new SnsShapeError(`body.${field}: expected a string`);
    if (v.length > MAX_FIELD) throw new SnsShapeError(`body.${field}: longer than ${MAX_FIELD} characters`);
    return v;
  };
  const type = str('Type', true)!;
  if (!(SNS_TYPES as readonly string[]).includes(type)) throw new SnsShapeError(`body.Type: expected one of ${SNS_TYPES.join(', ')}`);
  const confirmation = type !== 'Notification';
  const m: Record<string, string | undefined> = {
    Type: type,
    MessageId: str('MessageId', true),
    TopicArn: str('TopicArn', true),
    Message: str('Message', true),
    Timestamp: str('Timestamp', true),
    Subject: str('Subject', false),
    Token: str('Token', confirmation),
    SubscribeURL: str('SubscribeURL', confirmation),
    SignatureVersion: str('SignatureVersion', false),
    Signature: str('Signature', false),
    SigningCertURL: str('SigningCertURL', false),
    UnsubscribeURL: str('UnsubscribeURL', false),
  };
  if (Number.isNaN(Date.parse(m.Timestamp!))) throw new SnsShapeError('body.Timestamp: expected an ISO 8601 time');
  for (const k of Object.keys(m)) if (m[k] === undefined) delete m[k];
  return m as unknown as SnsMessage;
}

// The fields SNS signs, in this (byte) order, each as "Name\nvalue\n"; an absent Subject is left out.
const SIGNED_NOTIFICATION = ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] as const;
const SIGNED_CONFIRMATION = ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'] as const;

/** The string SNS signed for this message. */
export function stringToSign(m: SnsMessage): string {
  const fields = m.Type === 'Notification' ? SIGNED_NOTIFICATION : SIGNED_CONFIRMATION;
  let out = '';
  for (const f of fields) {
    const v = m[f];
    if (v !== undefined) out += `${f}\n${v}\n`;
  }
  return out;
}

/** The topic's name: the ARN's last part. */
export function topicName(arn: string): string {
  return arn.slice(arn.lastIndexOf(':') + 1);
}
