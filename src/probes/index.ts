// The probes feature as the exporter sees it: a scheduler for the configured targets and the
// collector that serves their results. Reconfigured in place on reload, so targets that did
// not change keep their state and schedule.
import type { Logger } from 'pino';
import type { Collector } from '../collectors/collector.js';
import type { ProbesConfig } from '../config/probes.js';
import type { MaintenanceWindow } from '../config/maintenance.js';
import { createProbeCollector } from './collector.js';
import { MaintenanceCalendar } from './maintenance.js';
import { ProbeScheduler } from './scheduler.js';

export interface Probes {
  readonly collector: Collector;
  readonly scheduler: ProbeScheduler;
  /** exporter.probes.maintenance and each target's own windows. */
  readonly calendar: MaintenanceCalendar;
  reconfigure(config: ProbesConfig): void;
  close(): void;
}

export function createProbes(config: ProbesConfig, logger: Logger, options: { readonly maintenance?: (name: string) => readonly MaintenanceWindow[] } = {}): Probes {
  const scheduler = new ProbeScheduler({ logger, maxConcurrent: config.max_concurrent });
  scheduler.setTargets(config.targets);
  const calendar = new MaintenanceCalendar(options.maintenance);
  calendar.set(config.maintenance);
  calendar.setTargets(config.targets);
  const collector = createProbeCollector(scheduler, calendar);
  return {
    collector,
    scheduler,
    calendar,
    reconfigure: (next) => {
      calendar.set(next.maintenance);
      calendar.setTargets(next.targets);
      scheduler.setMaxConcurrent(next.max_concurrent);
      scheduler.setTargets(next.targets);
    },
    close: () => scheduler.close(),
  };
}
