// A probe target as the config file would give it (defaults applied by the real schema).
import { probeTargetSchema, type ProbeTargetConfig } from '../../src/config/probes.js';

export function target(fields: Record<string, unknown>): ProbeTargetConfig {
  return probeTargetSchema.parse({ name: 't', timeout: '1s', interval: '10s', ...fields });
}
