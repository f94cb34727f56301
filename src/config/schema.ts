// The schema of vigil.yml: one file for the whole of Vigil. Unknown keys are errors
// (a misspelt `mount_points_exlude` silently doing nothing is worse than a refusal),
// and every default lives here so `vigil check-config` can show the effective config.
import { z } from 'zod';
import { parseDuration } from './duration.js';

const regex = z.string().superRefine((value, ctx) => {
  try {
    new RegExp(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `invalid regular expression: ${(err as Error).message}` });
  }
});

const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const seconds = typeof value === 'number' ? value : parseDuration(value);
  if (seconds === undefined || seconds < 0) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as "10s" or "1m30s", got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return seconds;
});

const enabled = { enabled: z.boolean().default(true) };
const simpleCollector = z.strictObject(enabled).prefault({});

// node_exporter 1.5's defaults, so Vigil and node_exporter report the same mounts and devices.
export const DEFAULT_MOUNT_POINTS_EXCLUDE =
  '^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)';
export const DEFAULT_FS_TYPES_EXCLUDE =
  '^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs)$';
export const DEFAULT_DISKSTATS_DEVICE_EXCLUDE = '^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\\d+n\\d+p)\\d+$';

const processGroup = z
  .strictObject({
    // A fixed name ("mysqld") or a template ("{comm}") that makes one group per value.
    name: z.string().min(1),
    comm: z.array(regex).min(1).optional(),
    exe: z.array(regex).min(1).optional(),
    cmdline: z.array(regex).min(1).optional(),
  })
  .refine((g) => g.comm || g.exe || g.cmdline, {
    message: 'a group needs at least one matcher: comm, exe or cmdline',
  });

export const exporterSchema = z.strictObject({
  listen_address: z.string().default(':9469'),
  telemetry_path: z.string().startsWith('/').default('/metrics'),
  // Used when the scraper sends no X-Prometheus-Scrape-Timeout-Seconds header.
  scrape_timeout: duration.default(10),
  paths: z
    .strictObject({
      procfs: z.string().default('/proc'),
      sysfs: z.string().default('/sys'),
      rootfs: z.string().default('/'),
    })
    .prefault({}),
  collectors: z
    .strictObject({
      cpu: simpleCollector,
      meminfo: simpleCollector,
      loadavg: simpleCollector,
      stat: simpleCollector,
      filesystem: z
        .strictObject({
          ...enabled,
          mount_points_exclude: regex.default(DEFAULT_MOUNT_POINTS_EXCLUDE),
          fs_types_exclude: regex.default(DEFAULT_FS_TYPES_EXCLUDE),
        })
        .prefault({}),
      netdev: z
        .strictObject({ ...enabled, device_exclude: regex.optional() })
        .prefault({}),
      diskstats: z
        .strictObject({ ...enabled, device_exclude: regex.default(DEFAULT_DISKSTATS_DEVICE_EXCLUDE) })
        .prefault({}),
      process: z
        .strictObject({ ...enabled, groups: z.array(processGroup).default([]) })
        .prefault({}),
    })
    .prefault({}),
});

export const configSchema = z.strictObject({
  log: z.strictObject({ level: z.enum(['debug', 'info', 'warn', 'error']).default('info') }).prefault({}),
  exporter: exporterSchema.prefault({}),
  // Filled in by the relay issue; accepted (and checked to be a mapping) so one file serves both.
  relay: z.record(z.string(), z.unknown()).optional(),
});

export type Config = z.infer<typeof configSchema>;
export type ExporterConfig = Config['exporter'];
export type CollectorsConfig = ExporterConfig['collectors'];
export type ProcessGroupConfig = z.infer<typeof processGroup>;
