// The one interface every collector implements, in the spirit of node_exporter's
// `Collector.Update(ch)`: a collector writes this scrape's samples into the registry it
// is handed and throws when it cannot. The scrape engine (src/exporter/scrape.ts) gives
// every collector a fresh registry per scrape, so a process or mount that vanished
// never lingers with its last value, and one collector's failure cannot break another.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from 'pino';

export interface CollectContext {
  /** A registry of its own for this collector and this scrape. */
  readonly registry: Registry;
  /** Aborted when the scrape deadline passes; long collectors should check it. */
  readonly signal: AbortSignal;
  /**
   * When the scrape deadline passes (Date.now() milliseconds). A collector that waits on a
   * server (nginx, MySQL) stops waiting short of it, so it can still report the server down
   * (nginx_up 0) instead of being cut off with nothing.
   */
  readonly deadline?: number;
}

export interface Collector {
  /** The `collector` label value of tocsin_collector_success and _duration_seconds. */
  readonly name: string;
  collect(ctx: CollectContext): Promise<void>;
  /** Releases timers, sockets or watchers the collector holds (optional). */
  close?(): Promise<void> | void;
}

/** What a collector factory is handed: its own config section plus shared facilities. */
export interface CollectorDeps {
  readonly logger: Logger;
  /** Where the host's /proc, /sys and / are (node_exporter's --path.procfs & co.). */
  readonly paths: { readonly procfs: string; readonly sysfs: string; readonly rootfs: string };
}

// Small constructors so collectors read as a list of families rather than boilerplate.
// Counters get their absolute value with inc(): the registry is new every scrape.
export function gauge<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[] = [],
): Gauge<L> {
  return new Gauge({ name, help, labelNames, registers: [registry] });
}

export function counter<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[] = [],
): Counter<L> {
  return new Counter({ name, help, labelNames, registers: [registry] });
}

/** One sample of a family written as plain values. */
export interface PlainSample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  /** A histogram's samples name their series (`x_bucket`, `x_sum`, `x_count`). */
  readonly metricName?: string;
}

/**
 * Registers a family as plain values: what the scrape engine's snapshot (and prom-client's own
 * rendering) reads from a metric, i.e. name, help, type and values, without a Gauge or Counter
 * and its bookkeeping (label validation, a sorted hash key and a stored copy per sample, and a
 * second copy when read). For collectors that write thousands of samples a scrape. Samples are
 * not merged: each label set must be added once. `values` may still be filled after this call,
 * until the scrape reads it.
 */
export function plainFamily(registry: Registry, name: string, help: string, type: 'gauge' | 'counter' | 'histogram', values: PlainSample[]): void {
  const fixed = { name, help, type, aggregator: 'sum' as const };
  registry.registerMetric({ ...fixed, get: () => ({ ...fixed, values }) } as unknown as Parameters<Registry['registerMetric']>[0]);
}

/**
 * A collector whose module is loaded on first use. For collectors with heavy dependencies
 * that are off by default: dockerode and its dependency tree cost ~27 MB of RSS just by
 * being imported, which every Tocsin without the containers collector should not pay.
 */
export function lazyCollector<C>(
  name: string,
  load: () => Promise<(config: C, deps: CollectorDeps) => Collector>,
): (config: C, deps: CollectorDeps) => Collector {
  return (config, deps) => {
    let inner: Promise<Collector> | undefined;
    const get = () => (inner ??= load().then((factory) => factory(config, deps)));
    // Start loading at once, so the first scrape does not wait for the import.
    get().catch(() => undefined);
    return {
      name,
      collect: async (ctx) => (await get()).collect(ctx),
      close: async () => {
        if (inner) await (await inner).close?.();
      },
    };
  };
}
