// Runs collectors once through the real scrape engine and parses what they produced.
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import type { Collector } from '../../src/collectors/collector.js';
import { Scraper } from '../../src/exporter/scrape.js';
import { parseExposition, type Exposition } from './exposition.js';

export const silentLogger = pino({ level: 'silent' });

/** A logger at debug level that keeps what it writes, for tests of what is (not) logged. */
export function capturingLogger(): { logger: Logger; text: () => string } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), text: () => chunks.join('') };
}

export async function collectText(collectors: readonly Collector[], timeoutSeconds = 10): Promise<string> {
  return new Scraper({ collectors, logger: silentLogger }).scrape(timeoutSeconds);
}

export async function collect(collectors: readonly Collector[], timeoutSeconds = 10): Promise<Exposition> {
  return parseExposition(await collectText(collectors, timeoutSeconds));
}
