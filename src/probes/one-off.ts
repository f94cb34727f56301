// A check of an address with a module's settings and no schedule: what GET /probe runs, and
// what the connectivity check runs for each of its targets. The scheduling fields of a target
// are unused by the probers, so they get neutral values here, once.
import type { ProbeModuleConfig, ProbeTargetConfig } from '../config/probes.js';

export function oneOffTarget(module: ProbeModuleConfig, name: string, address: string, timeout = module.timeout): ProbeTargetConfig {
  return {
    ...module,
    name,
    address,
    timeout,
    interval: 3600,
    environment: '',
    retries: 0,
    retry_delay: 0,
    failure_threshold: 1,
    success_threshold: 1,
    notify: true,
    labels: {},
    push: { grace: 0 },
    maintenance: [],
  };
}
