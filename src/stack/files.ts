// The configuration files `tocsin stack` gives Prometheus and Alertmanager: generated for
// Prometheus, and for Alertmanager the shipped alertmanager.yml with the relay's real
// address and token file filled in. Pure functions of their inputs, so tests can read them.
import { dump, load } from 'js-yaml';

export interface PrometheusFileOptions {
  readonly scrapeInterval: number;
  readonly evaluationInterval: number;
  readonly ruleFiles: readonly string[];
  readonly alertmanager: string; // host:port
  readonly exporter: string; // host:port
  readonly relay: string; // host:port
  readonly prometheus: string; // host:port
}

const seconds = (s: number) => `${Math.max(0.001, s)}s`.replace(/(\.\d{3})\d+s$/, '$1s');

export function prometheusConfig(o: PrometheusFileOptions): string {
  const job = (job_name: string, target: string) => ({ job_name, static_configs: [{ targets: [target] }] });
  return dump({
    global: {
      scrape_interval: seconds(o.scrapeInterval),
      scrape_timeout: seconds(Math.min(10, o.scrapeInterval)),
      evaluation_interval: seconds(o.evaluationInterval),
    },
    rule_files: [...o.ruleFiles],
    alerting: { alertmanagers: [{ static_configs: [{ targets: [o.alertmanager] }] }] },
    scrape_configs: [job('tocsin', o.exporter), job('tocsin-relay', o.relay), job('prometheus', o.prometheus), job('alertmanager', o.alertmanager)],
  });
}

interface WebhookConfig {
  url?: string;
  http_config?: { authorization?: { type?: string; credentials_file?: string } };
}

/** Points every webhook receiver of `shipped` at the relay, authenticated with `tokenFile`. */
export function alertmanagerConfig(shipped: string, relayWebhookUrl: string, tokenFile: string): string {
  const config = load(shipped) as { receivers?: { webhook_configs?: WebhookConfig[] }[] };
  for (const receiver of config.receivers ?? []) {
    for (const w of receiver.webhook_configs ?? []) {
      w.url = relayWebhookUrl;
      w.http_config = { ...w.http_config, authorization: { type: 'Bearer', credentials_file: tokenFile } };
    }
  }
  return dump(config);
}
