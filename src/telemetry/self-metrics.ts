// The exporter's own long-lived series: prom-client's process_* and nodejs_* defaults
// (node_exporter exposes process_* and go_* for itself the same way) and tocsin_build_info.
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { VERSION } from './version.js';

export function createSelfRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // prom-client names these gauges with a _total suffix, which promtool (rightly) flags and
  // which makes rate() on them plausible and wrong. Nothing needs them: drop them.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(name);
  }
  new Gauge({
    name: 'tocsin_build_info',
    help: 'A metric with a constant 1 value labeled by the version of Tocsin and of Node.js it runs on.',
    labelNames: ['version', 'nodejs_version'] as const,
    registers: [registry],
  }).set({ version: VERSION, nodejs_version: process.version }, 1);
  return registry;
}
