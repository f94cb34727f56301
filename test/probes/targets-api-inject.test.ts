// /api/v1/targets through app.inject(): users of the web config file may write without
// exporter.probes.api_auth (the server checked them), and the audit log names them.
import t from 'tap';
import bcrypt from 'bcryptjs';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildExporterApp } from '../../src/exporter/app.js';
import { Scraper } from '../../src/exporter/scrape.js';
import { loadWebConfig, WebSettings } from '../../src/http/web-config.js';
import { ProbeScheduler } from '../../src/probes/scheduler.js';
import { TargetStore } from '../../src/probes/target-store.js';
import { capturingLogger, silentLogger } from '../helpers/collect.js';
import { tmpDir } from '../helpers/tmp.js';

const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

t.test('web-config users may write; the audit log names them', async (t) => {
  const dir = tmpDir(t, 'tocsin-targets-inject-');
  writeFileSync(join(dir, 'web.yml'), `basic_auth_users:\n  alice: ${JSON.stringify(bcrypt.hashSync('alice-password', 4))}\n`);
  const web = new WebSettings(await loadWebConfig(join(dir, 'web.yml')));
  const { logger, text } = capturingLogger();
  const store = await TargetStore.open(join(dir, 'store'), silentLogger);
  const scheduler = new ProbeScheduler({ logger: silentLogger, maxConcurrent: 10 });
  t.teardown(() => scheduler.close());
  const app = buildExporterApp({
    logger,
    web,
    scraper: new Scraper({ collectors: [], logger: silentLogger }),
    telemetryPath: '/metrics',
    defaultTimeout: 5,
    targetsApi: {
      store,
      configTargets: () => [],
      status: (name) => scheduler.status(name),
      apply: () => scheduler.setTargets(store.targets()),
      credentials: () => ({}),
      openReads: () => true,
    },
  });
  t.teardown(() => app.close());
  const body = { name: 'db', type: 'tcp', address: '127.0.0.1:1', interval: '30s', timeout: '1s' };
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/targets', payload: body })).statusCode, 401, 'no user: the server refuses');
  const res = await app.inject({ method: 'POST', url: '/api/v1/targets', payload: body, headers: basic('alice', 'alice-password') });
  t.equal(res.statusCode, 201, res.body);
  t.ok(scheduler.status('db'), 'scheduled at once');
  t.match(text(), /"audit":"target","user":"alice","action":"create","target":"db"/);
  t.notMatch(text(), 'alice-password');
  const status = await app.inject({ url: '/api/v1/targets/db/status', headers: basic('alice', 'alice-password') });
  t.match(status.json(), { name: 'db', state: 'unknown', last_check: null, recent: [] });
});
