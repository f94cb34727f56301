// The probe collector: serves the latest result of every scheduled target. Checks run on the
// scheduler's own clock, never during a scrape, so a scrape costs only the writing of series.
import type { Registry } from 'prom-client';
import { gauge, plainFamily, type Collector } from '../collectors/collector.js';
import { ProbeFamilies, targetLabels } from './metrics.js';
import type { MaintenanceCalendar } from './maintenance.js';
import type { ProbeScheduler } from './scheduler.js';

/** `more` writes series of the probes feature that are not per target (discovery, connectivity). */
export function createProbeCollector(scheduler: ProbeScheduler, calendar?: MaintenanceCalendar, more: (registry: Registry) => void = () => undefined): Collector {
  return {
    name: 'probes',
    async collect({ registry }) {
      const families = new ProbeFamilies(registry);
      const load = scheduler.load();
      gauge(registry, 'tocsin_probe_checks_running', 'Checks running now.').set(load.running);
      // Above 0 only when there are more targets than exporter.probes.max_concurrent.
      gauge(registry, 'tocsin_probe_checks_waiting', 'Checks waiting for a slot under exporter.probes.max_concurrent.').set(load.waiting);
      const lateness = 'tocsin_probe_schedule_lateness_seconds';
      plainFamily(registry, lateness, 'How late checks started after their slot (a busy event loop, or waiting under max_concurrent).', 'histogram', scheduler.latenessHistogram.samples(lateness));
      const openFor = calendar?.at(Date.now());
      for (const s of scheduler.statuses()) {
        const labels = targetLabels(s.config);
        families.status(s, labels);
        if (openFor) families.maintenance(labels, openFor(s.config) !== undefined);
        if (s.last) families.result(s.config, s.last, labels);
      }
      more(registry);
    },
  };
}
