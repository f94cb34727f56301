// What the probe tests share to read a real exporter: its collectors switched off but for
// probes, and /metrics scraped until a condition holds.
import { setTimeout as sleep } from 'node:timers/promises';
import { parseExposition, type Exposition } from '../helpers/exposition.js';

/** exporter.collectors with every host and process collector off: only probe series. */
export const NO_HOST_COLLECTORS =
  '{cpu: {enabled: false}, meminfo: {enabled: false}, loadavg: {enabled: false}, stat: {enabled: false}, vmstat: {enabled: false}, pressure: {enabled: false}, filesystem: {enabled: false}, netdev: {enabled: false}, diskstats: {enabled: false}, process: {enabled: false}}';

export interface ScrapeUntilOptions {
  /** Scrapes at most (default 60) and the pause between them (default 300 ms). */
  readonly tries?: number;
  readonly everyMs?: number;
  /** The series shown when it never holds (default: probe_success and tocsin_probe_*). */
  readonly show?: (name: string) => boolean;
}

/** /metrics of `url`, scraped until `ready` holds; bounded by tries × (everyMs + the scrape). */
export async function scrapeUntil(url: string, ready: (e: Exposition) => boolean, o: ScrapeUntilOptions = {}): Promise<Exposition> {
  const tries = o.tries ?? 60;
  const show = o.show ?? ((name: string) => name === 'probe_success' || name.startsWith('tocsin_probe_'));
  let last: Exposition | undefined;
  for (let i = 0; i < tries; i++) {
    last = parseExposition(await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })).text());
    if (ready(last)) return last;
    await sleep(o.everyMs ?? 300);
  }
  throw new Error(`not ready after ${tries} scrapes; last: ${JSON.stringify(last?.samples.filter((s) => show(s.name)))}`);
}
