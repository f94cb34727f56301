// A Scraper over one service collector (nginx, mysql) built from its config section, keeping
// the collector's log lines, for the service collectors' tests.
import { Writable } from 'node:stream';
import pino from 'pino';
import type { Collector, CollectorDeps } from '../../src/collectors/collector.js';
import { configSchema, type Config } from '../../src/config/schema.js';
import { Scraper } from '../../src/exporter/scrape.js';
import { parseExposition, type Exposition } from './exposition.js';

export interface LogLine {
  readonly level: number | string;
  readonly msg: string;
  readonly target?: string;
  readonly err?: string;
}

type Services = 'nginx' | 'mysql';

/** `env` is set while the section is parsed (for `${ENV}` secrets), then restored. */
export function serviceScraper<N extends Services>(
  t: { teardown(f: () => unknown): void },
  name: N,
  create: (config: Config['exporter']['collectors'][N], deps: CollectorDeps) => Collector,
  section: Record<string, unknown>,
  env: NodeJS.ProcessEnv = {},
) {
  const lines: LogLine[] = [];
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) {
        raw.push(l);
        lines.push(JSON.parse(l) as LogLine);
      }
      done();
    },
  });
  const logger = pino({ level: 'info' }, sink);
  const saved = { ...process.env };
  Object.assign(process.env, env);
  let config: Config['exporter']['collectors'][N];
  try {
    config = configSchema.parse({ exporter: { collectors: { [name]: { enabled: true, ...section } } } }).exporter.collectors[name];
  } finally {
    process.env = saved;
  }
  const collector = create(config, { logger, paths: { procfs: '/proc', sysfs: '/sys', rootfs: '/' } });
  const scraper = new Scraper({ collectors: [collector], logger });
  t.teardown(() => scraper.close());
  const scrape = async (timeout = 10): Promise<Exposition> => parseExposition(await scraper.scrape(timeout));
  return { scrape, lines, raw };
}
