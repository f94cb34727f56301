// Destination type -> the integration that formats and sends for it (like blackbox_exporter's map
// of probers). A new way out (the Slack app) is one more entry here and one more destination type.
import { createConsoleIntegration, type ConsoleWrite } from './console/integration.js';
import { integrationMap, type Integrations } from './delivery/integration.js';
import { createSlackWebhookIntegration } from './slack/webhook.js';

export interface IntegrationsOptions {
  /** IANA zone for times in messages. */
  readonly timeZone: string;
  /** Per Slack request. */
  readonly webhookTimeoutMs: number;
  /** Where the console destination writes. */
  readonly consoleWrite: ConsoleWrite;
}

export function createIntegrations(o: IntegrationsOptions): Integrations {
  return integrationMap(
    createConsoleIntegration({ write: o.consoleWrite, timeZone: o.timeZone }),
    createSlackWebhookIntegration({ timeZone: o.timeZone, timeoutMs: o.webhookTimeoutMs }),
  );
}
