// The operational routes every Tocsin listener serves, as Prometheus components do:
//   GET /-/healthy, GET /-/ready      200 while the process runs
//   POST|PUT /-/reload                 re-read the configuration (500 with the reason if it is bad)
//   GET /                              a landing page with links
import type { FastifyPluginAsync } from 'fastify';
import { HttpError } from './errors.js';
import { landingPage, type Link } from './landing.js';

export interface OpsOptions {
  readonly title: string;
  readonly version: string;
  /** Links of the landing page besides health and readiness (relative, e.g. "metrics"). */
  readonly links: readonly Link[];
  /** Re-reads the configuration; rejects with a message naming what is wrong. */
  readonly reload?: () => Promise<void>;
}

export const opsRoutes: FastifyPluginAsync<OpsOptions> = async (app, o) => {
  app.get('/-/healthy', async (_request, reply) => reply.type('text/plain').send('Healthy.\n'));
  app.get('/-/ready', async (_request, reply) => reply.type('text/plain').send('Ready.\n'));
  const reload = o.reload;
  if (reload) {
    const handler = async () => {
      try {
        await reload();
      } catch (err) {
        throw new HttpError(500, `failed to reload config: ${(err as Error).message}`);
      }
      return 'Reloaded.\n';
    };
    app.post('/-/reload', handler);
    app.put('/-/reload', handler);
  }
  app.get('/', async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(
      landingPage(o.title, o.version, [...o.links, { href: '-/healthy', text: 'Health' }, { href: '-/ready', text: 'Readiness' }]),
    ),
  );
};
