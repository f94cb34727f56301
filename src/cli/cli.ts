// `tocsin <command> [flags]`: parses arguments, loads the config, starts what was asked.
// Returns an exit code for one-shot commands; servers run until SIGINT or SIGTERM.
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import { ConfigError, EXAMPLE_CONFIG_FILE, loadConfig, parseConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { createLogger, LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from '../telemetry/log.js';
import { parseListenAddress } from '../http/listen.js';
import { httpPath } from '../config/fields.js';
import type { RunningServer } from '../http/listen.js';
import type { ServeContext } from '../http/server.js';
import { loadWebConfig, WebSettings, type WebConfig } from '../http/web-config.js';
import { ReloadStatus } from '../telemetry/reload-status.js';
import { Reloader, type Running } from './reload.js';
// Each command loads only what it runs: an exporter does not carry the relay's modules.
const startExporter = async (...a: Parameters<typeof import('../exporter/server.js').startExporter>) =>
  (await import('../exporter/server.js')).startExporter(...a);
const startRelay = async (...a: Parameters<typeof import('../relay/server.js').startRelay>) =>
  (await import('../relay/server.js')).startRelay(...a);
const startStack = async (...a: Parameters<typeof import('../stack/stack.js').startStack>) =>
  (await import('../stack/stack.js')).startStack(...a);
import { VERSION } from '../telemetry/version.js';
import { extractCollectorToggles, FLAGS, flagHelp, resolveFlags, type FlagKey, type FlagValues } from './flags.js';
import { unknownFlagMessage } from './unknown-flag.js';

export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

interface Command {
  readonly summary: string;
  readonly usage: string;
  readonly flags: readonly FlagKey[];
  run(flags: FlagValues, positionals: string[], io: Io): Promise<number | Running>;
}

const LOG_FLAGS: readonly FlagKey[] = ['logLevel', 'logFormat'];
// Commands with these flags also take --[no-]collector.NAME.
const PATH_FLAGS: readonly FlagKey[] = ['pathProcfs', 'pathSysfs', 'pathRootfs'];
const EXPORTER_FLAGS: readonly FlagKey[] = ['configFile', 'listenAddress', 'telemetryPath', ...PATH_FLAGS, 'webConfigFile', ...LOG_FLAGS];
const RELAY_FLAGS: readonly FlagKey[] = ['configFile', 'relayListenAddress', 'webConfigFile', ...LOG_FLAGS];
const ALL_FLAGS: readonly FlagKey[] = ['configFile', 'listenAddress', 'telemetryPath', ...PATH_FLAGS, 'relayListenAddress', 'webConfigFile', ...LOG_FLAGS];
// The stack's Prometheus and Alertmanager talk to the exporter and relay over plain HTTP.
const STACK_FLAGS: readonly FlagKey[] = ['configFile', 'listenAddress', 'telemetryPath', ...PATH_FLAGS, 'relayListenAddress', ...LOG_FLAGS];

const takesCollectorFlags = (cmd: Command) => cmd.flags.includes('pathProcfs');
/** The collectors --collector.NAME can name: the config's exporter.collectors sections. */
const collectorNames = (): string[] => Object.keys(parseConfig('', 'defaults').exporter.collectors);

const COMMANDS: Record<string, Command> = {
  exporter: {
    summary: 'Serve host, process, container and probe metrics on /metrics.',
    usage: 'tocsin exporter [flags]',
    flags: EXPORTER_FLAGS,
    async run(flags) {
      const { config, logger, context, reloader } = await prepare(flags);
      return reloader.attach([await startExporter(config, logger, context)]);
    },
  },
  relay: {
    summary: 'Receive Alertmanager webhooks and post them to Slack, durably.',
    usage: 'tocsin relay [flags]',
    flags: RELAY_FLAGS,
    async run(flags) {
      const { config, logger, context, reloader } = await prepare(flags);
      return reloader.attach([await startRelay(config, logger, context)]);
    },
  },
  all: {
    summary: 'Run the exporter and the relay in one process.',
    usage: 'tocsin all [flags]',
    flags: ALL_FLAGS,
    async run(flags) {
      const { config, logger, context, reloader } = await prepare(flags);
      const exporter = await startExporter(config, logger, context);
      try {
        return reloader.attach([exporter, await startRelay(config, logger, context)]);
      } catch (err) {
        await exporter.close();
        throw err;
      }
    },
  },
  stack: {
    summary: 'The whole chain on one machine: exporter, relay, and Prometheus and Alertmanager as children.',
    usage: 'tocsin stack [flags]',
    flags: STACK_FLAGS,
    async run(flags, _positionals, io) {
      const { config, logger, context, reloader } = await prepare(flags);
      return reloader.attach(await startStack(config, logger, { ...context, warn: (text) => io.err(`${text}\n`) }));
    },
  },
  'check-config': {
    summary: 'Validate a configuration file (and a web config file); print what is wrong and exit 1, or exit 0.',
    usage: 'tocsin check-config FILE [--web.config.file=FILE]',
    flags: ['webConfigFile'],
    async run(flags, positionals, io) {
      const file = positionals[0];
      if (!file || positionals.length > 1) {
        io.err('usage: tocsin check-config FILE [--web.config.file=FILE]\n');
        return 2;
      }
      await loadConfig(file);
      io.out(`${file}: OK\n`);
      if (flags.webConfigFile !== undefined) {
        await loadWebConfig(flags.webConfigFile);
        io.out(`${flags.webConfigFile}: OK\n`);
      }
      return 0;
    },
  },
};

class UsageError extends Error {}

interface Prepared {
  readonly config: Config;
  readonly logger: Logger;
  /** What every server of the process shares: web settings, reload action and status. */
  readonly context: ServeContext;
  readonly reloader: Reloader;
}

/** Config and web config from their files, flags applied; a logger; the reload machinery. */
async function prepare(flags: FlagValues): Promise<Prepared> {
  const { config, web: webConfig } = await loadEffective(flags);
  const logger = createLogger(config.log);
  const web = new WebSettings(webConfig);
  const reloadStatus = new ReloadStatus();
  const reloader = new Reloader({ load: () => loadEffective(flags), started: config, web, status: reloadStatus, logger: logger.child({ component: 'reload' }) });
  return { config, logger, context: { web, reloadStatus, reload: () => reloader.reload() }, reloader };
}

/** The config file, then the flags that override it; the web config file. Used at start and on reload. */
async function loadEffective(flags: FlagValues): Promise<{ config: Config; web: WebConfig }> {
  const config = await loadConfig(flags.configFile ?? EXAMPLE_CONFIG_FILE);
  const web = await loadWebConfig(flags.webConfigFile);
  if (flags.listenAddress !== undefined) {
    parseListenAddress(flags.listenAddress); // fail early with the flag's own message
    config.exporter.listen_address = flags.listenAddress;
  }
  if (flags.relayListenAddress !== undefined) {
    parseListenAddress(flags.relayListenAddress);
    config.relay.listen_address = flags.relayListenAddress;
  }
  if (flags.pathProcfs !== undefined) config.exporter.paths.procfs = flags.pathProcfs;
  if (flags.pathSysfs !== undefined) config.exporter.paths.sysfs = flags.pathSysfs;
  if (flags.pathRootfs !== undefined) config.exporter.paths.rootfs = flags.pathRootfs;
  const sections = config.exporter.collectors as unknown as Record<string, { enabled: boolean }>;
  for (const [name, on] of Object.entries(flags.collectors ?? {})) {
    const section = sections[name];
    if (!section) throw new UsageError(`--${on ? '' : 'no-'}collector.${name}: no such collector (known: ${Object.keys(sections).join(', ')})`);
    section.enabled = on;
  }
  if (flags.telemetryPath !== undefined) {
    // The same check as exporter.telemetry_path: "/" or "/-/healthy" would shadow a route.
    const checked = httpPath.safeParse(flags.telemetryPath);
    if (!checked.success) throw new UsageError(`--${FLAGS.telemetryPath.name}: ${checked.error.issues[0]!.message}`);
    config.exporter.telemetry_path = flags.telemetryPath;
  }
  if (flags.logLevel !== undefined) {
    if (!(LOG_LEVELS as readonly string[]).includes(flags.logLevel)) {
      throw new UsageError(`--${FLAGS.logLevel.name} must be one of ${LOG_LEVELS.join(', ')}; got ${JSON.stringify(flags.logLevel)}`);
    }
    config.log.level = flags.logLevel as LogLevel;
  }
  if (flags.logFormat !== undefined) {
    if (!(LOG_FORMATS as readonly string[]).includes(flags.logFormat)) {
      throw new UsageError(`--${FLAGS.logFormat.name} must be one of ${LOG_FORMATS.join(', ')}; got ${JSON.stringify(flags.logFormat)}`);
    }
    config.log.format = flags.logFormat as LogFormat;
  }
  // Validate the effective listen addresses now, naming where they came from.
  for (const [where, address] of [
    ['exporter.listen_address', config.exporter.listen_address],
    ['relay.listen_address', config.relay.listen_address],
  ] as const) {
    try {
      parseListenAddress(address);
    } catch (err) {
      throw new UsageError(`${where}: ${(err as Error).message}`);
    }
  }
  return { config, web };
}

function mainHelp(): string {
  const cmds = Object.entries(COMMANDS)
    .map(([name, c]) => `  ${name.padEnd(14)}${c.summary}`)
    .join('\n');
  return `usage: tocsin <command> [flags]

Tocsin ${VERSION}: Prometheus metrics for hosts, processes, containers and probes,
and a Slack relay for Alertmanager.

Commands:
${cmds}

Run "tocsin <command> --help" for a command's flags.
`;
}

function commandHelp(name: string, cmd: Command): string {
  const list = cmd.flags.length ? `${flagHelp(cmd.flags, takesCollectorFlags(cmd) ? collectorNames() : [])}\n` : '';
  const flags = `\nFlags:\n${list}  --version\n      Print the version and exit.\n`;
  return `usage: ${cmd.usage}\n\n${cmd.summary}\n${flags}`;
}

/** Runs the CLI. Resolves to an exit code, or to the servers that keep the process alive. */
export async function runCli(argv: readonly string[], io: Io): Promise<number | Running> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(mainHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    io.out(versionText());
    return 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    io.err(`tocsin: unknown command ${JSON.stringify(name)}\n\n${mainHelp()}`);
    return 2;
  }
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  const { rest: args, toggles } = takesCollectorFlags(cmd) ? extractCollectorToggles(rest) : { rest: [...rest], toggles: {} };
  const unknown = unknownFlag(name, cmd, args);
  if (unknown) {
    io.err(`tocsin ${name}: ${unknown}\n`);
    return 2;
  }
  try {
    const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' } };
    for (const key of cmd.flags) options[FLAGS[key].name] = { type: 'string' };
    ({ values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true }));
  } catch (err) {
    io.err(`tocsin ${name}: ${(err as Error).message}\n\n${commandHelp(name, cmd)}`);
    return 2;
  }
  if (values.help) {
    io.out(commandHelp(name, cmd));
    return 0;
  }
  if (values.version) {
    io.out(versionText());
    return 0;
  }
  try {
    return await cmd.run({ ...resolveFlags(cmd.flags, values, io.env), collectors: toggles }, positionals, io);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(`${err.message}\n`);
      return 1;
    }
    if (err instanceof UsageError) {
      io.err(`tocsin ${name}: ${err.message}\n`);
      return 2;
    }
    // Startup failures such as EADDRINUSE: one line, no stack trace for the operator.
    io.err(`tocsin ${name}: ${errorText(err as NodeJS.ErrnoException)}\n`);
    return 1;
  }
}

/** The message, with the error code in front unless the message already says it ("listen EADDRINUSE: ..."). */
export function errorText(err: NodeJS.ErrnoException): string {
  const code = err.code;
  return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
}

function versionText(): string {
  return `tocsin ${VERSION} (node ${process.version})\n`;
}

/** The first --flag (before "--") that `cmd` does not have, explained; undefined if all are known. */
function unknownFlag(name: string, cmd: Command, args: readonly string[]): string | undefined {
  const known = new Set(['help', 'version', ...cmd.flags.map((k) => FLAGS[k].name)]);
  for (const arg of args) {
    if (arg === '--') break;
    if (!arg.startsWith('--')) continue;
    const flag = arg.slice(2).split('=')[0]!;
    if (known.has(flag)) continue;
    const key = (Object.keys(FLAGS) as FlagKey[]).find((k) => FLAGS[k].name === flag);
    const others = key ? Object.entries(COMMANDS).filter(([, c]) => c.flags.includes(key)).map(([n]) => n) : [];
    if (!key && /^(no-)?collector\.[a-z0-9_]+$/.test(flag) && !takesCollectorFlags(cmd)) {
      others.push(...Object.entries(COMMANDS).filter(([, c]) => takesCollectorFlags(c)).map(([n]) => n));
    }
    return unknownFlagMessage(flag, name, others);
  }
  return undefined;
}
