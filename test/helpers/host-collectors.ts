// Tocsin's collectors as its exporter builds them (src/collectors/index.ts: COLLECTORS and
// createCollectors), for tests that run many at once:
// - HOST_COLLECTORS: every collector on by default but process (it wants process groups), in
//   COLLECTORS order; each is named like its node_exporter counterpart. Collectors that need
//   something to watch (containers: a Docker engine; nginx and the other services) are off
//   by default and so not among them;
// - hostCollectors(procfs): those, with their default settings, reading procfs.
// A host collector added to COLLECTORS is run by every test that uses these, with no list to update.
import type { Collector } from '../../src/collectors/collector.js';
import { COLLECTORS, createCollectors } from '../../src/collectors/index.js';
import { configSchema, type CollectorsConfig } from '../../src/config/schema.js';
import { silentLogger } from './collect.js';

export type CollectorName = keyof CollectorsConfig;

const DEFAULTS = configSchema.parse({}).exporter.collectors;

/** The host collectors' names (each one's `collector` label), in COLLECTORS order. */
export const HOST_COLLECTORS: readonly CollectorName[] = (Object.keys(COLLECTORS) as CollectorName[]).filter(
  (name) => name !== 'process' && DEFAULTS[name].enabled,
);

/**
 * The collectors `names`, built by createCollectors from `config` (default: every default
 * setting) with only those enabled, reading `procfs` (/sys and / as they are).
 */
export function buildCollectors(
  names: readonly CollectorName[],
  procfs = '/proc',
  config: CollectorsConfig = configSchema.parse({}).exporter.collectors,
): Collector[] {
  const only = Object.fromEntries(
    (Object.keys(config) as CollectorName[]).map((name) => [name, { ...config[name], enabled: names.includes(name) }]),
  ) as CollectorsConfig;
  return createCollectors(only, { logger: silentLogger, paths: { procfs, sysfs: '/sys', rootfs: '/' } });
}

/** Every host collector with its default settings, reading `procfs`. */
export function hostCollectors(procfs = '/proc'): Collector[] {
  return buildCollectors(HOST_COLLECTORS, procfs);
}
