// Everything the host collectors serve must pass `promtool check metrics` (see
// test/helpers/promtool.ts for the one lint node_exporter compatibility forces on us).
import t from 'tap';
import { fileURLToPath } from 'node:url';
import type { Collector, CollectorDeps } from '../../../src/collectors/collector.js';
import { configSchema } from '../../../src/config/schema.js';
import { createCpuCollector } from '../../../src/collectors/host/cpu.js';
import { createDiskstatsCollector } from '../../../src/collectors/host/diskstats.js';
import { createFilesystemCollector } from '../../../src/collectors/host/filesystem.js';
import { createLoadavgCollector } from '../../../src/collectors/host/loadavg.js';
import { createMeminfoCollector } from '../../../src/collectors/host/meminfo.js';
import { createNetdevCollector } from '../../../src/collectors/host/netdev.js';
import { createStatCollector } from '../../../src/collectors/host/stat.js';
import { camelCaseFamilies, promtoolCheckMetrics } from '../../helpers/promtool.js';
import { collectText, silentLogger } from '../../helpers/collect.js';
import { parseExposition, value } from '../../helpers/exposition.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/proc', import.meta.url));

function hostCollectors(procfs: string): Collector[] {
  const c = configSchema.parse({}).exporter.collectors;
  const deps: CollectorDeps = { logger: silentLogger, paths: { procfs, sysfs: '/sys', rootfs: '/' } };
  return [
    createCpuCollector(c.cpu, deps),
    createMeminfoCollector(c.meminfo, deps),
    createLoadavgCollector(c.loadavg, deps),
    createStatCollector(c.stat, deps),
    createFilesystemCollector(c.filesystem, deps),
    createNetdevCollector(c.netdev, deps),
    createDiskstatsCollector(c.diskstats, deps),
  ];
}

for (const [title, procfs] of [
  ['this machine', '/proc'],
  ['the fixture tree', FIXTURE],
] as const) {
  t.test(`promtool check metrics on the host collectors' output (${title})`, async (t) => {
    const text = await collectText(hostCollectors(procfs));
    const exp = parseExposition(text);
    for (const name of ['cpu', 'meminfo', 'loadavg', 'stat', 'filesystem', 'netdev', 'diskstats']) {
      t.equal(value(exp, 'vigil_collector_success', { collector: name }), 1, `${name} succeeded`);
    }

    const check = promtoolCheckMetrics(text);
    t.same(check.unexpected, [], 'promtool reports nothing but the camelCase meminfo names');
    t.ok(check.status === 0 || (check.status === 3 && check.camelCase.length > 0), `exit status ${check.status} (3 = lint warnings only)`);
    t.same(check.camelCase, camelCaseFamilies(exp.types.keys()), 'exactly the camelCase meminfo families');
  });
}
