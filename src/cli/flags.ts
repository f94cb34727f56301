// Command-line flags in the exporters' style (--web.listen-address, --config.file, ...).
// Each can also come from an environment variable, which is what container and systemd
// deployments reach for; a flag given on the command line wins over its variable.
export interface Flag {
  readonly name: string;
  readonly env: string;
  readonly help: string;
  readonly placeholder: string;
}

export const FLAGS = {
  configFile: {
    name: 'config.file',
    env: 'TOCSIN_CONFIG_FILE',
    help: 'Tocsin configuration file (default: the built-in examples/tocsin.yml).',
    placeholder: 'FILE',
  },
  listenAddress: {
    name: 'web.listen-address',
    env: 'TOCSIN_WEB_LISTEN_ADDRESS',
    help: 'Address to listen on for the exporter\'s web interface and telemetry (default ":9469", or exporter.listen_address).',
    placeholder: 'ADDR',
  },
  relayListenAddress: {
    name: 'relay.listen-address',
    env: 'TOCSIN_RELAY_LISTEN_ADDRESS',
    help: 'Address the relay listens on for Alertmanager webhooks and its API (default ":9470", or relay.listen_address).',
    placeholder: 'ADDR',
  },
  telemetryPath: {
    name: 'web.telemetry-path',
    env: 'TOCSIN_WEB_TELEMETRY_PATH',
    help: 'Path under which to expose metrics (default "/metrics", or exporter.telemetry_path).',
    placeholder: 'PATH',
  },
  pathProcfs: {
    name: 'path.procfs',
    env: 'TOCSIN_PATH_PROCFS',
    help: 'procfs mountpoint (default /proc, or exporter.paths.procfs).',
    placeholder: 'PATH',
  },
  pathSysfs: {
    name: 'path.sysfs',
    env: 'TOCSIN_PATH_SYSFS',
    help: 'sysfs mountpoint (default /sys, or exporter.paths.sysfs).',
    placeholder: 'PATH',
  },
  pathRootfs: {
    name: 'path.rootfs',
    env: 'TOCSIN_PATH_ROOTFS',
    help: 'rootfs mountpoint, e.g. /host in a container (default /, or exporter.paths.rootfs).',
    placeholder: 'PATH',
  },
  webConfigFile: {
    name: 'web.config.file',
    env: 'TOCSIN_WEB_CONFIG_FILE',
    help: 'Web config file (TLS, basic auth, headers) in the Prometheus exporter-toolkit format; applies to every listener of the process.',
    placeholder: 'FILE',
  },
  logLevel: {
    name: 'log.level',
    env: 'TOCSIN_LOG_LEVEL',
    help: 'Only log messages with the given severity or above: debug, info, warn, error (default info, or log.level).',
    placeholder: 'LEVEL',
  },
  logFormat: {
    name: 'log.format',
    env: 'TOCSIN_LOG_FORMAT',
    help: 'Output format of log messages: json or logfmt (default json, or log.format).',
    placeholder: 'FORMAT',
  },
} as const satisfies Record<string, Flag>;

export type FlagKey = keyof typeof FLAGS;
export type FlagValues = Partial<Record<FlagKey, string>> & {
  /** --collector.NAME (true) and --no-collector.NAME (false), as node_exporter spells them. */
  readonly collectors?: Readonly<Record<string, boolean>>;
};

const COLLECTOR_TOGGLE = /^--(no-)?collector\.([a-z0-9_]+)$/;

/**
 * Takes --collector.NAME and --no-collector.NAME out of `args` (before "--"): node's
 * parseArgs cannot express a dynamic family of boolean flags with a negated form.
 */
export function extractCollectorToggles(args: readonly string[]): { rest: string[]; toggles: Record<string, boolean> } {
  const rest: string[] = [];
  const toggles: Record<string, boolean> = {};
  let ended = false;
  for (const arg of args) {
    const m = ended ? null : COLLECTOR_TOGGLE.exec(arg);
    if (arg === '--') ended = true;
    if (m) toggles[m[2]!] = m[1] === undefined;
    else rest.push(arg);
  }
  return { rest, toggles };
}

/** Flag value from the command line, else from its environment variable. */
export function resolveFlags(
  keys: readonly FlagKey[],
  parsed: Record<string, string | boolean | undefined>,
  env: NodeJS.ProcessEnv,
): FlagValues {
  const out: FlagValues = {};
  for (const key of keys) {
    const flag = FLAGS[key];
    const value = parsed[flag.name] ?? env[flag.env];
    if (typeof value === 'string' && value !== '') out[key] = value;
  }
  return out;
}

export function flagHelp(keys: readonly FlagKey[], collectors: readonly string[] = []): string {
  const toggles = collectors.length
    ? `\n  --[no-]collector.NAME\n      Turn a collector on or off (exporter.collectors.NAME.enabled); NAME is one of:\n      ${collectors.join(', ')}`
    : '';
  return keys
    .map((k) => {
      const f = FLAGS[k];
      return `  --${f.name}=${f.placeholder}\n      ${f.help}\n      Environment: ${f.env}`;
    })
    .join('\n') + toggles;
}
