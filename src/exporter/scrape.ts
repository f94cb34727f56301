// Runs the enabled collectors for one scrape and renders the result.
//
// - Every collector gets a fresh registry per scrape (see collectors/collector.ts), and
//   the registries are merged at the end: a throwing collector costs only its own series.
// - The scrape is bounded by a deadline; a collector still running at the deadline is
//   reported with success 0 and its partial output is dropped.
// - A collector whose previous run is still hanging (a stuck NFS statfs, a hung Docker
//   engine) is not started again on top of itself: it reports 0 until that run ends.
// - Concurrent scrapes (two Prometheus replicas) share one in-flight collection.
// - Failures are logged when a collector's state changes, not on every scrape.
import { Registry, Gauge } from 'prom-client';
import type { Logger } from 'pino';
import type { Collector } from '../collectors/collector.js';

export const OPENMETRICS = Registry.OPENMETRICS_CONTENT_TYPE;
export const PROMETHEUS_TEXT = Registry.PROMETHEUS_CONTENT_TYPE;
export type ContentType = typeof OPENMETRICS | typeof PROMETHEUS_TEXT;

// prom-client's typings omit the constructor's content-type argument and bind a
// registry's type parameter to the text format; the runtime supports both formats.
const RegistryWithType = Registry as unknown as new (contentType: ContentType) => Registry;

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
  private readonly inflight = new Map<ContentType, Promise<string>>();
  private readonly running = new Map<Collector, Promise<unknown>>();
  private readonly lastError = new Map<Collector, string | undefined>();

  constructor(private readonly options: ScrapeOptions) {}

  /** Renders all metrics; `timeoutSeconds` bounds the collection. Never rejects for a collector's sake. */
  scrape(timeoutSeconds: number, contentType: ContentType = PROMETHEUS_TEXT): Promise<string> {
    const existing = this.inflight.get(contentType);
    if (existing) return existing;
    const run = this.collectAll(timeoutSeconds, contentType).finally(() => this.inflight.delete(contentType));
    this.inflight.set(contentType, run);
    return run;
  }

  private async collectAll(timeoutSeconds: number, contentType: ContentType): Promise<string> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => {
        controller.abort(new Error('scrape deadline passed'));
        resolve('timeout');
      }, timeoutSeconds * 1000);
    });
    try {
      const outcomes = await Promise.all(
        this.options.collectors.map((c) => this.runOne(c, contentType, controller.signal, deadline)),
      );
      return await this.render(outcomes, contentType);
    } finally {
      clearTimeout(timer);
    }
  }

  private async runOne(
    collector: Collector,
    contentType: ContentType,
    signal: AbortSignal,
    deadline: Promise<'timeout'>,
  ): Promise<Outcome> {
    const started = performance.now();
    const elapsed = () => (performance.now() - started) / 1000;
    if (this.running.has(collector)) {
      return this.outcome(collector, undefined, elapsed(), 'previous collection still running');
    }
    const registry = new RegistryWithType(contentType);
    const work = Promise.resolve().then(() => collector.collect({ registry, signal }));
    this.running.set(collector, work);
    work.then(
      () => this.running.delete(collector),
      () => this.running.delete(collector),
    );
    try {
      const result = await Promise.race([work.then(() => 'done' as const), deadline]);
      if (result === 'timeout') return this.outcome(collector, undefined, elapsed(), 'timed out');
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

  private async render(outcomes: readonly Outcome[], contentType: ContentType): Promise<string> {
    const scrapeRegistry = new RegistryWithType(contentType);
    const duration = new Gauge({
      name: 'tocsin_collector_duration_seconds',
      help: 'Time a collector took in this scrape.',
      labelNames: ['collector'] as const,
      registers: [scrapeRegistry],
    });
    const success = new Gauge({
      name: 'tocsin_collector_success',
      help: 'Whether a collector succeeded in this scrape (1) or failed or timed out (0).',
      labelNames: ['collector'] as const,
      registers: [scrapeRegistry],
    });
    const parts: Registry[] = [scrapeRegistry];
    for (const o of outcomes) {
      duration.set({ collector: o.collector.name }, o.seconds);
      success.set({ collector: o.collector.name }, o.error === undefined ? 1 : 0);
      if (o.registry) parts.push(o.registry);
    }
    if (this.options.selfRegistry) {
      this.options.selfRegistry.setContentType(contentType as typeof PROMETHEUS_TEXT);
      parts.push(this.options.selfRegistry);
    }
    return Registry.merge(parts).metrics();
  }

  async close(): Promise<void> {
    await Promise.all(this.options.collectors.map((c) => c.close?.()));
  }
}
