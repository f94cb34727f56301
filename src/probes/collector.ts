// The probe collector: serves the latest result of every scheduled target. Checks run on the
// scheduler's own clock, never during a scrape, so a scrape costs only the writing of series.
import type { Collector } from '../collectors/collector.js';
import { ProbeFamilies, targetLabels } from './metrics.js';
import type { ProbeScheduler } from './scheduler.js';

export function createProbeCollector(scheduler: ProbeScheduler): Collector {
  return {
    name: 'probes',
    async collect({ registry }) {
      const statuses = [...scheduler.statuses()];
      const names = new Set<string>();
      for (const s of statuses) for (const k of Object.keys(targetLabels(s.config))) names.add(k);
      const families = new ProbeFamilies(registry, [...names]);
      for (const s of statuses) {
        const labels = targetLabels(s.config);
        families.status(s, labels);
        if (s.last) families.result(s.config, s.last, labels);
      }
    },
  };
}
