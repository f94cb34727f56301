// Runs collectors once through the real scrape engine and parses what they produced.
import pino from 'pino';
import type { Collector } from '../../src/collectors/collector.js';
import { Scraper } from '../../src/exporter/scrape.js';
import { parseExposition, type Exposition } from './exposition.js';

export const silentLogger = pino({ level: 'silent' });

export async function collectText(collectors: readonly Collector[], timeoutSeconds = 10): Promise<string> {
  return new Scraper({ collectors, logger: silentLogger }).scrape(timeoutSeconds);
}

export async function collect(collectors: readonly Collector[], timeoutSeconds = 10): Promise<Exposition> {
  return parseExposition(await collectText(collectors, timeoutSeconds));
}
