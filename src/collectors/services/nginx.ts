// nginx's stub_status pages under nginx-prometheus-exporter's names, labels and HELP texts
// (its 0.11 collector/nginx.go, Debian's prometheus-nginx-exporter), so its dashboards and
// rules work unchanged:
//
//   nginx_up                         1 when the page answered and parsed, else 0
//   nginx_connections_active         stub_status "Active connections"
//   nginx_connections_reading        "Reading"
//   nginx_connections_writing        "Writing"
//   nginx_connections_waiting        "Waiting"
//   nginx_connections_accepted       "accepts" (a counter; served as a gauge, see below)
//   nginx_connections_handled        "handled" (idem)
//   nginx_http_requests_total        "requests"
//
// nginx-prometheus-exporter types accepted and handled as counters without the _total suffix.
// prom-client renames such counters to *_total when Prometheus asks for OpenMetrics, which
// would break the names, so they are gauges here (as node_vmstat_*; rate() does not look
// at the type).
//
// Several endpoints: each series gets an `endpoint` label, the endpoint's `name` or else its
// URL's host:port. With one endpoint there is no such label, exactly as the exporter serves.
// (`instance` is Prometheus's own label for the scrape target and would be renamed.)
//
// A failing endpoint (refused, timeout, not 200, not a stub_status page) gives nginx_up 0 for
// it, one log line when it changes state, and never a failed scrape: the collector succeeds.
import type { Collector, CollectorDeps } from '../collector.js';
import { gauge, counter } from '../collector.js';
import type { CollectorsConfig } from '../../config/schema.js';
import { getText } from './http-get.js';
import { loadTls } from './tls-files.js';
import { StateLog } from './state-log.js';
import { waitBudgetMs } from './wait-budget.js';
import { parseStubStatus, type StubStatus } from './stub-status.js';

type NginxConfig = CollectorsConfig['nginx'];

interface Endpoint {
  readonly url: URL;
  readonly label: string;
  readonly tls: ReturnType<typeof loadTls>;
  readonly config: NginxConfig['endpoints'][number];
}

export function createNginxCollector(config: NginxConfig, deps: CollectorDeps): Collector {
  const endpoints: Endpoint[] = config.endpoints.map((e) => {
    const url = new URL(e.url);
    return { url, label: e.name ?? url.host, tls: loadTls(e.tls), config: e };
  });
  const labelled = endpoints.length > 1;
  const states = new StateLog(deps.logger);
  const timeoutMs = config.timeout * 1000;

  return {
    name: 'nginx',
    async collect({ registry, signal, deadline }) {
      const labelNames = labelled ? (['endpoint'] as const) : ([] as const);
      const g = (name: string, help: string) => gauge(registry, name, help, labelNames);
      const up = g('nginx_up', 'Status of the last metric scrape');
      const accepted = g('nginx_connections_accepted', 'Accepted client connections');
      const active = g('nginx_connections_active', 'Active client connections');
      const handled = g('nginx_connections_handled', 'Handled client connections');
      const reading = g('nginx_connections_reading', 'Connections where NGINX is reading the request header');
      const waiting = g('nginx_connections_waiting', 'Idle client connections');
      const writing = g('nginx_connections_writing', 'Connections where NGINX is writing the response back to the client');
      const requests = counter(registry, 'nginx_http_requests_total', 'Total http requests', labelNames);

      const budget = waitBudgetMs(timeoutMs, deadline);
      const results = await Promise.all(endpoints.map((e) => read(e, signal, budget)));
      results.forEach((result, i) => {
        const e = endpoints[i]!;
        const labels = labelled ? { endpoint: e.label } : {};
        states.report(e.label, typeof result === 'string' ? result : undefined, { url: display(e.url) });
        if (typeof result === 'string') {
          up.set(labels, 0);
          return;
        }
        up.set(labels, 1);
        accepted.set(labels, result.accepted);
        active.set(labels, result.active);
        handled.set(labels, result.handled);
        reading.set(labels, result.reading);
        waiting.set(labels, result.waiting);
        writing.set(labels, result.writing);
        requests.inc(labels, result.requests);
      });
    },
  };
}

/** The page, parsed, or the reason it could not be read. */
async function read(e: Endpoint, signal: AbortSignal, timeoutMs: number): Promise<StubStatus | string> {
  try {
    const text = await getText(e.url, { timeoutMs, signal, basicAuth: e.config.basic_auth }, e.tls);
    return parseStubStatus(text);
  } catch (err) {
    return `${display(e.url)} ${(err as Error).message}`;
  }
}

/** The URL for messages: no query string (it could carry a token). */
function display(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}
