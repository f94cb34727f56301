// Wire types of the relay: what Alertmanager posts (webhook payload version 4, as sent by
// Alertmanager 0.25; see test/fixtures/alertmanager) and what the outbox stores.

export type AlertStatus = 'firing' | 'resolved';

export interface AlertmanagerAlert {
  readonly status: AlertStatus;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** RFC 3339. */
  readonly startsAt: string;
  /** RFC 3339; "0001-01-01T00:00:00Z" while firing. */
  readonly endsAt: string;
  readonly generatorURL: string;
  readonly fingerprint: string;
}

export interface AlertmanagerNotification {
  readonly version: string;
  readonly groupKey: string;
  /** Alerts Alertmanager left out because of the receiver's max_alerts. */
  readonly truncatedAlerts?: number;
  readonly status: AlertStatus;
  readonly receiver: string;
  readonly groupLabels: Readonly<Record<string, string>>;
  readonly commonLabels: Readonly<Record<string, string>>;
  readonly commonAnnotations: Readonly<Record<string, string>>;
  readonly externalURL: string;
  readonly alerts: readonly AlertmanagerAlert[];
}

/** How a route wants its messages to look; stored with each outbox entry. */
export interface Presentation {
  /** Slack mention put in front of firing critical messages, e.g. "<!here>" or "<!subteam^S123>". */
  readonly mention?: string;
  /** User templates (see src/relay/slack/template.ts) overriding the title and text. */
  readonly titleTemplate?: string;
  readonly textTemplate?: string;
}

/** One notification to deliver to one destination: the unit the outbox stores. */
export interface OutboxEntry {
  readonly id: string;
  /** Unix milliseconds when the relay accepted it. */
  readonly acceptedAt: number;
  readonly destination: string;
  readonly presentation: Presentation;
  readonly notification: AlertmanagerNotification;
}

/** A Slack message as posted to an incoming webhook or chat.postMessage. */
export interface SlackMessage {
  /** Fallback text for notifications and clients without Block Kit. */
  readonly text: string;
  readonly blocks?: readonly Record<string, unknown>[];
  readonly attachments?: readonly Record<string, unknown>[];
}
