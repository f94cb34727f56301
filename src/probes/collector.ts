// The probe collector: serves the latest result of every scheduled target. Checks run on the
// scheduler's own clock, never during a scrape, so a scrape costs only the writing of series.
import { gauge, type Collector } from '../collectors/collector.js';
import { ProbeFamilies, targetLabels } from './metrics.js';
import type { ProbeScheduler } from './scheduler.js';

export function createProbeCollector(scheduler: ProbeScheduler): Collector {
  return {
    name: 'probes',
    async collect({ registry }) {
      const families = new ProbeFamilies(registry);
      const load = scheduler.load();
      gauge(registry, 'tocsin_probe_checks_running', 'Checks running now.').set(load.running);
      // Above 0 only when there are more targets than exporter.probes.max_concurrent.
      gauge(registry, 'tocsin_probe_checks_waiting', 'Checks waiting for a slot under exporter.probes.max_concurrent.').set(load.waiting);
      for (const s of scheduler.statuses()) {
        const labels = targetLabels(s.config);
        families.status(s, labels);
        if (s.last) families.result(s.config, s.last, labels);
      }
    },
  };
}
