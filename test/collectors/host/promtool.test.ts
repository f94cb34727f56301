// Everything the host collectors serve must pass `promtool check metrics` (see
// test/helpers/promtool.ts for the one lint node_exporter compatibility forces on us).
import t from 'tap';
import { fileURLToPath } from 'node:url';
import { camelCaseFamilies, promtoolCheckMetrics } from '../../helpers/promtool.js';
import { collectText } from '../../helpers/collect.js';
import { parseExposition, value } from '../../helpers/exposition.js';
import { HOST_COLLECTORS, hostCollectors } from '../../helpers/host-collectors.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/proc', import.meta.url));

for (const [title, procfs] of [
  ['this machine', '/proc'],
  ['the fixture tree', FIXTURE],
] as const) {
  t.test(`promtool check metrics on the host collectors' output (${title})`, async (t) => {
    const text = await collectText(hostCollectors(procfs));
    const exp = parseExposition(text);
    for (const name of HOST_COLLECTORS) {
      t.equal(value(exp, 'tocsin_collector_success', { collector: name }), 1, `${name} succeeded`);
    }

    const check = promtoolCheckMetrics(text);
    t.same(check.unexpected, [], 'promtool reports nothing but the camelCase meminfo names');
    t.ok(check.status === 0 || (check.status === 3 && check.camelCase.length > 0), `exit status ${check.status} (3 = lint warnings only)`);
    t.same(check.camelCase, camelCaseFamilies(exp.types.keys()), 'exactly the camelCase meminfo families');
  });
}
