// Destination type -> the integration that formats and sends for it (like blackbox_exporter's map
// of probers). A new way out (the Slack app) is one more entry here and one more destination type.
import { createConsoleIntegration, type ConsoleWrite } from './console/integration.js';
import { integrationMap, type Integrations } from './delivery/integration.js';
import { createSlackWebhookIntegration } from './slack/webhook.js';
import type { Logger } from 'pino';
import { createSlackAppIntegration } from './slack-app/integration.js';
import type { ThreadMap } from './replica-state/threads.js';
import type { SlackAppAuth } from './slack-app/auth-check.js';
import type { SlackAppMetrics } from './slack-app/metrics.js';

export interface IntegrationsOptions {
  /** IANA zone for times in messages. */
  readonly timeZone: string;
  /** Per Slack request. */
  readonly webhookTimeoutMs: number;
  /** Where the console destination writes. */
  readonly consoleWrite: ConsoleWrite;
  /** Where the Slack app keeps each incident's thread (opened once per relay, kept across reloads). */
  readonly threads?: ThreadMap;
  readonly slackAppMetrics?: SlackAppMetrics;
  readonly slackAppAuth?: SlackAppAuth;
  readonly logger?: Logger;
}

export function createIntegrations(o: IntegrationsOptions): Integrations {
  return integrationMap(
    createConsoleIntegration({ write: o.consoleWrite, timeZone: o.timeZone }),
    createSlackWebhookIntegration({ timeZone: o.timeZone, timeoutMs: o.webhookTimeoutMs }),
    ...(o.threads
      ? [
          createSlackAppIntegration({
            timeZone: o.timeZone,
            timeoutMs: o.webhookTimeoutMs,
            threads: o.threads,
            ...(o.logger ? { logger: o.logger } : {}),
            ...(o.slackAppMetrics ? { metrics: o.slackAppMetrics } : {}),
            ...(o.slackAppAuth ? { auth: o.slackAppAuth } : {}),
          }),
        ]
      : []),
  );
}
