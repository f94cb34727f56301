// Runs the enabled collectors for one scrape and renders the result.
//
// - Every collector gets a fresh registry per scrape (see collectors/collector.ts): a
//   throwing collector costs only its own series.
// - The scrape is bounded by a deadline; a collector still running at the deadline is
//   reported with success 0 and its partial output is dropped.
// - A collector whose previous run is still hanging (a stuck NFS statfs, a hung Docker
//   engine) is not started again on top of itself: it reports 0 until that run ends.
// - Concurrent scrapes (two Prometheus replicas, Prometheus next to curl) share one
//   collection, whatever format each asks for: the collection is a snapshot of values,
//   rendered once per format (and once more per format gzipped) for all who share it
//   (exposition.ts: rendering never touches the live metric objects).
// - Nothing of a collection is kept once its scrapes are answered: memory does not grow
//   with the number of scrapers, only with the size of one exposition.
// - Failures are logged when a collector's state changes, not on every scrape.
import { setMaxListeners } from 'node:events';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { Registry, Gauge, type Metric } from 'prom-client';
import type { Logger } from 'pino';
import type { Collector } from '../collectors/collector.js';
import { SingleFlight } from '../util/single-flight.js';
import { withDeadline } from '../util/deadline.js';
import type { Encoding } from '../http/accept-encoding.js';
import {
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_TEXT_CONTENT_TYPE,
  renderExposition,
  type ExpositionFormat,
  type Family,
} from './exposition.js';

export const OPENMETRICS = OPENMETRICS_CONTENT_TYPE;
export const PROMETHEUS_TEXT = PROMETHEUS_TEXT_CONTENT_TYPE;
export type ContentType = ExpositionFormat;
/** How the body is sent: as is, or gzipped for a scraper that asked for it. */
export type { Encoding };

const gzip = promisify(gzipCallback);

/** What one collection found; rendered per format and encoding on demand, each at most once. */
class Collection {
  private readonly bodies = new Map<string, Promise<string | Buffer>>();

  constructor(private readonly families: readonly Family[]) {}

  render(contentType: ContentType): Promise<string> {
    return this.body(contentType, 'identity') as Promise<string>;
  }

  body(contentType: ContentType, encoding: Encoding): Promise<string | Buffer> {
    const key = `${contentType}\n${encoding}`;
    let body = this.bodies.get(key);
    if (!body) {
      body =
        encoding === 'gzip'
          ? this.render(contentType).then((text) => gzip(text))
          : Promise.resolve().then(() => renderExposition(this.families, contentType));
      this.bodies.set(key, body);
    }
    return body;
  }
}

/** The values of every metric of `registry` now. */
function snapshot(registry: Registry): Promise<Family[]> {
  return Promise.all((registry.getMetricsAsArray() as unknown as Metric[]).map((metric) => metric.get() as Promise<Family>));
}

interface Outcome {
  readonly collector: Collector;
  readonly registry: Registry | undefined;
  readonly seconds: number;
  readonly error: string | undefined;
}

export interface ScrapeOptions {
  readonly collectors: readonly Collector[];
  /** Long-lived metrics of the exporter itself (process_*, nodejs_*, tocsin_build_info). */
  readonly selfRegistry?: Registry;
  readonly logger: Logger;
}

export class Scraper {
  /** The collection in flight, shared by every scrape that arrives while it runs. */
  private readonly collection = new SingleFlight<'collection', Collection>();
  /** Each collector's run in flight, across collections (see the top of this file). */
  private readonly running = new SingleFlight<Collector, void>();
  private readonly lastError = new Map<Collector, string | undefined>();

  constructor(private options: ScrapeOptions) {}

  /** Replaces the collectors (config reload); returns the previous ones for the caller to close. */
  setCollectors(collectors: readonly Collector[]): readonly Collector[] {
    const previous = this.options.collectors;
    this.options = { ...this.options, collectors };
    return previous;
  }

  /** Renders all metrics; `timeoutSeconds` bounds the collection. Never rejects for a collector's sake. */
  async scrape(timeoutSeconds: number, contentType: ContentType = PROMETHEUS_TEXT): Promise<string> {
    return (await this.collect(timeoutSeconds)).render(contentType);
  }

  /** As scrape(), in the encoding the scraper accepts: a gzip Buffer, or the text. */
  async scrapeBody(timeoutSeconds: number, contentType: ContentType, encoding: Encoding): Promise<string | Buffer> {
    return (await this.collect(timeoutSeconds)).body(contentType, encoding);
  }

  private collect(timeoutSeconds: number): Promise<Collection> {
    return this.collection.run('collection', () => this.collectAll(timeoutSeconds));
  }

  private async collectAll(timeoutSeconds: number): Promise<Collection> {
    const controller = new AbortController();
    // Every collector waits on this one signal (and may add a listener or two of its own):
    // more than Node's default of 10 is expected here, not a leak, and would be warned of.
    setMaxListeners(4 * this.options.collectors.length + 10, controller.signal);
    const deadline = Date.now() + timeoutSeconds * 1000;
    const timer = setTimeout(() => controller.abort(new Error('scrape deadline passed')), timeoutSeconds * 1000);
    try {
      const outcomes = await Promise.all(this.options.collectors.map((c) => this.runOne(c, controller.signal, deadline)));
      return new Collection(await this.families(outcomes));
    } finally {
      clearTimeout(timer);
    }
  }

  private async runOne(collector: Collector, signal: AbortSignal, deadline: number): Promise<Outcome> {
    const started = performance.now();
    const elapsed = () => (performance.now() - started) / 1000;
    const registry = new Registry();
    const work = this.running.start(collector, () => collector.collect({ registry, signal, deadline }));
    if (!work) return this.outcome(collector, undefined, elapsed(), 'previous collection still running');
    try {
      const result = await withDeadline(work, { signal });
      if (!result.done) return this.outcome(collector, undefined, elapsed(), 'timed out');
      return this.outcome(collector, registry, elapsed(), undefined);
    } catch (err) {
      return this.outcome(collector, undefined, elapsed(), (err as Error)?.message ?? String(err));
    }
  }

  private outcome(collector: Collector, registry: Registry | undefined, seconds: number, error: string | undefined): Outcome {
    const before = this.lastError.get(collector);
    if (error !== undefined && error !== before) {
      this.options.logger.error({ collector: collector.name, err: error }, 'collector failed');
    } else if (error === undefined && before !== undefined) {
      this.options.logger.info({ collector: collector.name }, 'collector recovered');
    }
    this.lastError.set(collector, error);
    return { collector, registry, seconds, error };
  }

  /** This scrape's status series, then each collector's families, then the exporter's own. */
  private async families(outcomes: readonly Outcome[]): Promise<Family[]> {
    const status = new Registry();
    const duration = new Gauge({
      name: 'tocsin_collector_duration_seconds',
      help: 'Time a collector took in this scrape.',
      labelNames: ['collector'] as const,
      registers: [status],
    });
    const success = new Gauge({
      name: 'tocsin_collector_success',
      help: 'Whether a collector succeeded in this scrape (1) or failed or timed out (0).',
      labelNames: ['collector'] as const,
      registers: [status],
    });
    const registries: Registry[] = [status];
    for (const o of outcomes) {
      duration.set({ collector: o.collector.name }, o.seconds);
      success.set({ collector: o.collector.name }, o.error === undefined ? 1 : 0);
      if (o.registry) registries.push(o.registry);
    }
    if (this.options.selfRegistry) registries.push(this.options.selfRegistry);
    return (await Promise.all(registries.map(snapshot))).flat();
  }

  async close(): Promise<void> {
    await Promise.all(this.options.collectors.map((c) => c.close?.()));
  }
}
