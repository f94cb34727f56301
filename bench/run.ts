// `npm run bench`: one report (bench/report.ts): Tocsin and the exporters it replaces side by
// side, the floor of its own stack, and growth tables, written to bench/results/<date>.json.
// `npm run bench -- --quick` uses smaller counts (a few minutes on two cores). Figures are
// measured here and now; nothing is asserted (shared, noisy machines): the ratios are for reading.
// The older per-area benchmarks still run by name: `npm run bench -- exporter relay containers services probes`.
import { runExporterBench } from './exporter.js';
import { runRelayBench } from './relay.js';
import { runContainersBench } from './containers.js';
import { runServicesBench } from './services.js';
import { runReport } from './report.js';
import { runProbesBench } from './probes.js';

const areas: Record<string, () => Promise<void>> = {
  exporter: runExporterBench,
  relay: async () => void (await runRelayBench()),
  containers: () => runContainersBench(),
  services: runServicesBench,
  probes: runProbesBench,
};
const args = process.argv.slice(2);
const wanted = args.filter((a) => a in areas);
if (wanted.length === 0) {
  await runReport({ quick: args.includes('--quick') });
} else {
  for (const name of wanted) {
    console.log(`\n# ${name}\n`);
    await areas[name]!();
  }
}
process.exit(0);
