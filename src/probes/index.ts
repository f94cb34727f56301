// The probes feature as the exporter sees it: a scheduler for the configured targets and the
// collector that serves their results. Reconfigured in place on reload, so targets that did
// not change keep their state and schedule.
import type { Logger } from 'pino';
import type { Collector } from '../collectors/collector.js';
import type { ProbesConfig } from '../config/probes.js';
import { createProbeCollector } from './collector.js';
import { ProbeScheduler } from './scheduler.js';
import { StatusHistory } from './status/history.js';

export interface Probes {
  readonly collector: Collector;
  readonly scheduler: ProbeScheduler;
  /** Uptime and latency history for the status page. */
  readonly history: StatusHistory;
  reconfigure(config: ProbesConfig): void;
  close(): void;
}

export function createProbes(config: ProbesConfig, logger: Logger): Probes {
  const history = new StatusHistory();
  const scheduler = new ProbeScheduler({ logger, maxConcurrent: config.max_concurrent, onResult: (name, result, at) => history.record(name, at, result) });
  scheduler.setTargets(config.targets);
  const collector = createProbeCollector(scheduler);
  return {
    collector,
    scheduler,
    history,
    reconfigure: (next) => {
      scheduler.setMaxConcurrent(next.max_concurrent);
      scheduler.setTargets(next.targets);
    },
    close: () => scheduler.close(),
  };
}
