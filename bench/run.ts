// `npm run bench`: every benchmark in turn, each against its anchor run side by side in
// this same run. Figures are measured here and now; nothing is asserted (shared, noisy
// machines): the ratios are for reading. `npm run bench -- exporter relay` runs a subset.
import { runExporterBench } from './exporter.js';
import { runRelayBench } from './relay.js';
import { runContainersBench } from './containers.js';
import { runServicesBench } from './services.js';

const all: Record<string, () => Promise<void>> = {
  exporter: runExporterBench,
  relay: async () => void (await runRelayBench()),
  containers: () => runContainersBench(),
  services: runServicesBench,
};
const wanted = process.argv.slice(2).filter((a) => a in all);
for (const name of wanted.length ? wanted : Object.keys(all)) {
  console.log(`\n# ${name}\n`);
  await all[name]!();
}
process.exit(0);
