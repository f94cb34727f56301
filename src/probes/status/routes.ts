// The status page and the JSON it polls:
//   GET /status                 every target, grouped by environment, filterable
//   GET /status/{name}          one target with its recent checks
//   GET /api/v1/status          the JSON of the list (also for scripts)
//   GET /api/v1/status/{name}   the JSON of one target
// Registered inside the targets API's access rules (reads open or not, as
// exporter.probes.api_open_reads says), so the page shows no more than GET /api/v1/targets.
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { metricsEncoding } from '../../http/accept-encoding.js';
import { HttpError } from '../../http/errors.js';
import { STATUS_CSP, statusPage } from './page.js';
import { statusSummary, targetDetail, type StatusSources } from './summary.js';

const gzipAsync = promisify(gzip);
/** Below this a gzip header and trailer cost more than they save. */
const GZIP_MIN_BYTES = 1024;

export const statusRoutes: FastifyPluginAsync<StatusSources> = async (app, o) => {
  const list = statusPage({ base: './' });
  const page = (reply: FastifyReply, body: string) =>
    reply.header('content-security-policy', STATUS_CSP).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(body);
  app.get('/status', async (_request, reply) => page(reply, list));
  // The name is one path segment (a "/" in it sent as %2F), so the root is one level up.
  app.get<{ Params: { name: string } }>('/status/:name', async (request, reply) => page(reply, statusPage({ base: '../', name: request.params.name })));
  // The list is about 800 bytes a target, fetched by every open page at each refresh: gzipped
  // (about a tenth) for clients that take it, as browsers do.
  app.get('/api/v1/status', async (request, reply) => {
    reply.header('cache-control', 'no-store').header('vary', 'accept-encoding');
    const json = JSON.stringify(statusSummary(o, Date.now() / 1000));
    if (metricsEncoding(request.headers['accept-encoding']) === 'identity' || json.length < GZIP_MIN_BYTES) return reply.type('application/json; charset=utf-8').send(json);
    return reply.type('application/json; charset=utf-8').header('content-encoding', 'gzip').send(await gzipAsync(json));
  });
  app.get<{ Params: { name: string } }>('/api/v1/status/:name', async (request, reply) => {
    const detail = targetDetail(o, request.params.name, Date.now() / 1000);
    if (!detail) throw new HttpError(404, `target "${request.params.name}" not found`);
    return reply.header('cache-control', 'no-store').send(detail);
  });
};
