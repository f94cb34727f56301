// GET /probe?target=...&module=...: one check now, answered with that check's series only,
// as blackbox_exporter's /probe, so a Prometheus set up for blackbox_exporter can point here
// (and shard targets across several Tocsins with its own hashmod relabelling).
import type { FastifyPluginAsync } from 'fastify';
import { Registry } from 'prom-client';
import { addressProblem, type ProbeModuleConfig } from '../config/probes.js';
import { HttpError } from '../http/errors.js';
import { ProbeFamilies } from './metrics.js';
import { runProbe } from './probers/index.js';
import { oneOffTarget } from './one-off.js';

export interface ProbeRouteOptions {
  /** The modules now (they change on reload). */
  readonly modules: () => Readonly<Record<string, ProbeModuleConfig>>;
  /** Seconds the scraper allows (from X-Prometheus-Scrape-Timeout-Seconds), if it says. */
  readonly scrapeTimeout: (header: string | string[] | undefined) => number | undefined;
}

export const probeRoute: FastifyPluginAsync<ProbeRouteOptions> = async (app, o) => {
  app.get('/probe', async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const address = query.target;
    if (typeof address !== 'string' || address === '') throw new HttpError(400, 'target: a target parameter is required, e.g. /probe?target=https://example.com/&module=http_2xx');
    const moduleName = typeof query.module === 'string' && query.module !== '' ? query.module : 'http_2xx';
    const module = o.modules()[moduleName];
    if (!module) throw new HttpError(400, `module: unknown module ${JSON.stringify(moduleName)} (known: ${Object.keys(o.modules()).join(', ')})`);
    // The scraper's own timeout wins when shorter, as blackbox_exporter's.
    const allowed = o.scrapeTimeout(request.headers['x-prometheus-scrape-timeout-seconds']);
    const timeout = Math.min(module.timeout, allowed ?? Infinity);
    const problem = addressProblem(module.type, address);
    if (problem) throw new HttpError(400, `target: ${problem}`);
    const target = oneOffTarget(module, 'probe', address, timeout);
    const result = await runProbe(target);
    const registry = new Registry();
    new ProbeFamilies(registry).result(target, result, {});
    return reply.type(registry.contentType).send(await registry.metrics());
  });
};
