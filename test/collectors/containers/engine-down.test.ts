// When the engine is not there: socket missing, socket not permitted, engine stopped, engine
// hung (SIGSTOP: it accepts connections and never answers). Each time the container collector reports
// success 0 with one log line (not one per scrape), the scrape is served with every other
// collector, and the collector recovers by itself when the engine is back.
import t from 'tap';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { Collector } from '../../../src/collectors/collector.js';
import { createContainersCollector } from '../../../src/collectors/containers/collector.js';
import { createLoadavgCollector } from '../../../src/collectors/host/loadavg.js';
import { configSchema } from '../../../src/config/schema.js';
import { Scraper } from '../../../src/exporter/scrape.js';
import { runAsNobody, repoModule } from '../../helpers/as-nobody.js';
import { eventually, startDockerEngine } from '../../helpers/docker-engine.js';
import { parseExposition, select, value, type Exposition } from '../../helpers/exposition.js';

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly collector?: string;
  readonly err?: string;
}

/** A Scraper over the container collector and one host collector, keeping its log lines. */
function setup(t: { teardown(f: () => unknown): void }, dockerHost: string) {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as LogLine);
      done();
    },
  });
  const logger = pino({ level: 'info' }, sink);
  const collectors = configSchema.parse({ exporter: { collectors: { containers: { enabled: true, docker_host: dockerHost } } } }).exporter.collectors;
  const deps = { logger, paths: { procfs: '/proc', sysfs: '/sys', rootfs: '/' } };
  const containers: Collector = createContainersCollector(collectors.containers, deps);
  const scraper = new Scraper({ collectors: [containers, createLoadavgCollector(collectors.loadavg, deps)], logger });
  t.teardown(() => scraper.close());
  const scrape = async (): Promise<Exposition> => parseExposition(await scraper.scrape(10));
  const failures = () => lines.filter((l) => l.collector === 'containers' && l.msg === 'collector failed');
  return { scrape, lines, failures };
}

const success = (exp: Exposition, collector: string) => value(exp, 'tocsin_collector_success', { collector });

/**
 * Three scrapes by a collector in a child process running as user nobody, who may not open
 * the engine's socket (root can open any): the collector's success values and failure log lines.
 */
async function asNobody(dockerHost: string): Promise<{ successes: number[]; failures: string[] }> {
  const imports = `
    import pino from 'pino';
    import { Writable } from 'node:stream';
    import { createContainersCollector } from ${repoModule('src/collectors/containers/collector.ts')};
    import { Scraper } from ${repoModule('src/exporter/scrape.ts')};`;
  const body = `
    const failures = [];
    const sink = new Writable({ write(c, _e, done) { for (const l of c.toString().split('\\n').filter(Boolean)) { const j = JSON.parse(l); if (j.msg === 'collector failed') failures.push(j.err); } done(); } });
    const logger = pino({ level: 'info' }, sink);
    const c = createContainersCollector({ enabled: true, docker_host: process.argv[1], label_allowlist: [] }, { logger, paths: { procfs: '/proc', sysfs: '/sys', rootfs: '/' } });
    const s = new Scraper({ collectors: [c], logger });
    const successes = [];
    for (let i = 0; i < 3; i++) successes.push(Number(/tocsin_collector_success\\{collector="containers"\\} (\\d)/.exec(await s.scrape(10))[1]));
    await s.close();
    process.stdout.write(JSON.stringify({ successes, failures }));`;
  return JSON.parse(await runAsNobody(imports, body, [dockerHost])) as { successes: number[]; failures: string[] };
}

t.test('socket missing: success 0, one log line, the scrape served', async (t) => {
  const { scrape, failures } = setup(t, 'unix:///nonexistent/tocsin/docker.sock');
  for (let i = 0; i < 3; i++) {
    const exp = await scrape();
    t.equal(success(exp, 'containers'), 0, `scrape ${i + 1}: containers failed`);
    t.equal(success(exp, 'loadavg'), 1, `scrape ${i + 1}: other collectors served`);
    t.same(select(exp, 'tocsin_container_state'), []);
  }
  t.equal(failures().length, 1, 'one log line for three failed scrapes');
  t.comment(`logged: ${failures()[0]?.err}`);
  t.match(failures()[0]?.err, /^Docker engine at unix:\/\/\/nonexistent\/tocsin\/docker\.sock: socket .* does not exist/);
});

t.test('engine hung, stopped, started again', async (t) => {
  const engine = await startDockerEngine(t);
  await engine.run(['--name', 'survivor', '--restart', 'always'], ['sleep', '600']);
  const { scrape, lines, failures } = setup(t, engine.host);

  const up = async (what: string) =>
    eventually(what, async () => {
      const exp = await scrape();
      return success(exp, 'containers') === 1 && select(exp, 'tocsin_container_state', { name: 'survivor', state: 'running' })[0]?.value === 1
        ? exp
        : undefined;
    }, 40_000);
  await up('the container is seen');

  t.test('socket not permitted: success 0, one log line (run as user nobody)', async (t) => {
    const out = await asNobody(engine.host);
    t.same(out.successes, [0, 0, 0]);
    t.equal(out.failures.length, 1, 'one log line for three failed scrapes');
    t.comment(`logged: ${out.failures[0]}`);
    t.match(out.failures[0], /permission denied on the socket/);
  });

  t.test('hung: success 0 within the scrape, then back', async (t) => {
    await engine.freeze();
    try {
      for (let i = 0; i < 2; i++) {
        const exp = await scrape();
        t.equal(success(exp, 'containers'), 0, 'a hung engine fails the collector');
        t.equal(success(exp, 'loadavg'), 1, 'and nothing else');
      }
      t.equal(failures().length, 1, 'one log line');
      t.comment(`logged: ${failures()[0]?.err}`);
      t.match(failures()[0]?.err, /did not answer within/);
    } finally {
      engine.thaw();
    }
    await up('answers again after SIGCONT');
    t.ok(lines.some((l) => l.collector === 'containers' && l.msg === 'collector recovered'), 'recovery logged');
  });

  t.test('stopped: success 0; started: back with its containers', async (t) => {
    const before = failures().length;
    await engine.stop();
    for (let i = 0; i < 3; i++) {
      const exp = await scrape();
      t.equal(success(exp, 'containers'), 0, `scrape ${i + 1} with the engine stopped`);
      t.equal(success(exp, 'loadavg'), 1);
    }
    t.equal(failures().length - before, 1, 'one log line for three failed scrapes');
    t.comment(`logged: ${failures().at(-1)?.err}`);
    await engine.start();
    const exp = await up('containers seen after the engine restarted');
    t.equal(select(exp, 'tocsin_container_state', { name: 'survivor' }).length, 7);
  });
});
