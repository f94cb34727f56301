// The contract between the dispatcher and the ways out. Each destination type (console, Slack
// incoming webhook, later the Slack app) has one integration: it formats what it is handed (one
// notification, or several as a digest), sends it, and says what happened as a typed outcome. It
// decides *whether* a failure is worth retrying; the dispatcher (the shared retry stage: pacing,
// backoff, Retry-After, digests, dead letters) decides *when*, as Alertmanager's notify package does.
//
// Integrations never throw for delivery failures and never put secrets (webhook URLs, tokens) in an
// outcome's `detail`.
import type { OutboxEntry } from '../types.js';

/** Why an attempt failed: a small fixed set, used as a metric label. */
export type FailureReason = 'rateLimited' | 'serverError' | 'clientError' | 'authError' | 'timeout' | 'network';

export const FAILURE_REASONS: readonly FailureReason[] = [
  'rateLimited',
  'serverError',
  'clientError',
  'authError',
  'timeout',
  'network',
] as const;

export type DeliveryOutcome =
  | { readonly kind: 'delivered' }
  /** Not delivered; the same message may succeed later (5xx, 429, a closed output). */
  | {
      readonly kind: 'retry';
      readonly reason: FailureReason;
      /** How long the destination asked us to wait (Retry-After); else the dispatcher's backoff. */
      readonly retryAfterMs?: number;
      readonly detail: string;
    }
  /** Not delivered, and sending the same message again would fail the same way (Slack's reason in detail). */
  | { readonly kind: 'permanent'; readonly reason: FailureReason; readonly detail: string }
  /**
   * No clear answer (timeout, network error, an answer that is not the destination's): the message
   * may have reached the channel. Retried like `retry`, but a restart counts the resend as a
   * possible duplicate.
   */
  | { readonly kind: 'unknown'; readonly reason: FailureReason; readonly detail: string }
  /** The message could not be built (a bad template): nothing was sent. */
  | { readonly kind: 'unformattable'; readonly detail: string };

export type FailedOutcome = Exclude<DeliveryOutcome, { kind: 'delivered' }>;

/** Where a message goes, as the channel store describes it. */
export interface Destination {
  readonly name: string;
  /** Selects the integration. */
  readonly type: string;
  readonly enabled: boolean;
  /** Slack incoming webhook URL, for the webhook integration. */
  readonly webhookUrl?: { reveal(): string } | undefined;
  /** Bot token and channel, for the Slack app integration (type slack_app). */
  readonly slackApp?: SlackAppSettings | undefined;
}

export interface SlackAppSettings {
  readonly botToken: { reveal(): string };
  /** Slack channel ID. */
  readonly channel: string;
  /** Resolution replies are also shown in the channel (reply_broadcast). */
  readonly broadcastResolved: boolean;
  /** A group firing again within this long after it resolved continues its old thread; 0: never. */
  readonly reuseThreadWithinMs: number;
  /** Slack's Web API base URL. */
  readonly apiUrl: string;
}

export interface DeliveryRequest {
  readonly destination: Destination;
  /** One entry: a message for it; several (same destination, acceptance order): a digest. */
  readonly entries: readonly OutboxEntry[];
  /**
   * Alertmanager's group key of the notification when one is sent alone (the Slack app needs it to
   * find an incident's thread); undefined for a digest, whose entries carry their own.
   */
  readonly groupKey: string | undefined;
  /**
   * Entries for the same destination accepted after these and still waiting (a few at most), so a
   * message delivered late can say what they changed (an alert resolved meanwhile).
   */
  readonly newer?: readonly OutboxEntry[];
  /** Aborted at shutdown: stop and answer `unknown` (or `retry` when nothing was sent). */
  readonly signal: AbortSignal;
}

export interface Integration {
  /** The destination type it serves, e.g. "slack" or "console"; also used in logs. */
  readonly type: string;
  deliver(request: DeliveryRequest): Promise<DeliveryOutcome>;
}

/** The integrations by destination type (like blackbox_exporter's map of probers). */
export type Integrations = ReadonlyMap<string, Integration>;

export function integrationMap(...integrations: readonly Integration[]): Integrations {
  return new Map(integrations.map((i) => [i.type, i]));
}
