// How late checks start against their slot: a cumulative histogram kept by the scheduler and
// served as tocsin_probe_schedule_lateness_seconds, so "lateness p99 under 100 ms at 1,000
// targets" can be read from a running exporter (histogram_quantile), not only from a bench.
// Fixed buckets and four numbers per observation: no samples kept, nothing grows.
import type { PlainSample } from '../collectors/collector.js';

/** Seconds; a check more than 10 s late counts only in +Inf. */
export const LATENESS_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

export class LatenessHistogram {
  private readonly counts = new Float64Array(LATENESS_BUCKETS.length);
  private count = 0;
  private sum = 0;

  observe(ms: number): void {
    const seconds = Math.max(0, ms) / 1000;
    this.count += 1;
    this.sum += seconds;
    for (let i = 0; i < LATENESS_BUCKETS.length; i++) if (seconds <= LATENESS_BUCKETS[i]!) this.counts[i]! += 1;
  }

  /** The histogram's series, cumulative as Prometheus expects. */
  samples(name: string): PlainSample[] {
    const out: PlainSample[] = LATENESS_BUCKETS.map((le, i) => ({ labels: { le: String(le) }, value: this.counts[i]!, metricName: `${name}_bucket` }));
    out.push({ labels: { le: '+Inf' }, value: this.count, metricName: `${name}_bucket` });
    out.push({ labels: {}, value: this.sum, metricName: `${name}_sum` });
    out.push({ labels: {}, value: this.count, metricName: `${name}_count` });
    return out;
  }
}
