// `tocsin <command> [flags]`: parses arguments, loads the config, starts what was asked.
// Returns an exit code for one-shot commands; servers run until SIGINT or SIGTERM.
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import { ConfigError, EXAMPLE_CONFIG_FILE, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { createLogger, type LogLevel } from '../telemetry/log.js';
import { parseListenAddress } from '../http/listen.js';
import { httpPath } from '../config/fields.js';
import type { RunningServer } from '../http/listen.js';
// Each command loads only what it runs: an exporter does not carry the relay's modules.
const startExporter = async (...a: Parameters<typeof import('../exporter/server.js').startExporter>) =>
  (await import('../exporter/server.js')).startExporter(...a);
const startRelay = async (...a: Parameters<typeof import('../relay/server.js').startRelay>) =>
  (await import('../relay/server.js')).startRelay(...a);
const startStack = async (...a: Parameters<typeof import('../stack/stack.js').startStack>) =>
  (await import('../stack/stack.js')).startStack(...a);
import { VERSION } from '../telemetry/version.js';
import { FLAGS, flagHelp, resolveFlags, type FlagKey, type FlagValues } from './flags.js';

export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

interface Command {
  readonly summary: string;
  readonly usage: string;
  readonly flags: readonly FlagKey[];
  run(flags: FlagValues, positionals: string[], io: Io): Promise<number | RunningServer[]>;
}

const EXPORTER_FLAGS: readonly FlagKey[] = ['configFile', 'listenAddress', 'telemetryPath', 'logLevel'];
const RELAY_FLAGS: readonly FlagKey[] = ['configFile', 'relayListenAddress', 'logLevel'];
const ALL_FLAGS: readonly FlagKey[] = ['configFile', 'listenAddress', 'telemetryPath', 'relayListenAddress', 'logLevel'];

const COMMANDS: Record<string, Command> = {
  exporter: {
    summary: 'Serve host, process, container and probe metrics on /metrics.',
    usage: 'tocsin exporter [flags]',
    flags: EXPORTER_FLAGS,
    async run(flags) {
      const { config, logger } = await prepare(flags);
      return [await startExporter(config, logger)];
    },
  },
  relay: {
    summary: 'Receive Alertmanager webhooks and post them to Slack, durably.',
    usage: 'tocsin relay [flags]',
    flags: RELAY_FLAGS,
    async run(flags) {
      const { config, logger } = await prepare(flags);
      return [await startRelay(config, logger)];
    },
  },
  all: {
    summary: 'Run the exporter and the relay in one process.',
    usage: 'tocsin all [flags]',
    flags: ALL_FLAGS,
    async run(flags) {
      const { config, logger } = await prepare(flags);
      const exporter = await startExporter(config, logger);
      try {
        return [exporter, await startRelay(config, logger)];
      } catch (err) {
        await exporter.close();
        throw err;
      }
    },
  },
  stack: {
    summary: 'The whole chain on one machine: exporter, relay, and Prometheus and Alertmanager as children.',
    usage: 'tocsin stack [flags]',
    flags: ALL_FLAGS,
    async run(flags, _positionals, io) {
      const { config, logger } = await prepare(flags);
      return startStack(config, logger, { warn: (text) => io.err(`${text}\n`) });
    },
  },
  'check-config': {
    summary: 'Validate a configuration file; print what is wrong and exit 1, or exit 0.',
    usage: 'tocsin check-config FILE',
    flags: [],
    async run(_flags, positionals, io) {
      const file = positionals[0];
      if (!file || positionals.length > 1) {
        io.err('usage: tocsin check-config FILE\n');
        return 2;
      }
      await loadConfig(file);
      io.out(`${file}: OK\n`);
      return 0;
    },
  },
};

class UsageError extends Error {}

/** Config from file, then the flags that override it; a logger at the effective level. */
async function prepare(flags: FlagValues): Promise<{ config: Config; logger: Logger }> {
  const config = await loadConfig(flags.configFile ?? EXAMPLE_CONFIG_FILE);
  if (flags.listenAddress !== undefined) {
    parseListenAddress(flags.listenAddress); // fail early with the flag's own message
    config.exporter.listen_address = flags.listenAddress;
  }
  if (flags.relayListenAddress !== undefined) {
    parseListenAddress(flags.relayListenAddress);
    config.relay.listen_address = flags.relayListenAddress;
  }
  if (flags.telemetryPath !== undefined) {
    // The same check as exporter.telemetry_path: "/" or "/-/healthy" would shadow a route.
    const checked = httpPath.safeParse(flags.telemetryPath);
    if (!checked.success) throw new UsageError(`--${FLAGS.telemetryPath.name}: ${checked.error.issues[0]!.message}`);
    config.exporter.telemetry_path = flags.telemetryPath;
  }
  if (flags.logLevel !== undefined) {
    if (!['debug', 'info', 'warn', 'error'].includes(flags.logLevel)) {
      throw new UsageError(`--${FLAGS.logLevel.name} must be one of debug, info, warn, error; got ${JSON.stringify(flags.logLevel)}`);
    }
    config.log.level = flags.logLevel as LogLevel;
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
  return { config, logger: createLogger(config.log.level) };
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
  const flags = cmd.flags.length ? `\nFlags:\n${flagHelp(cmd.flags)}\n` : '';
  return `usage: ${cmd.usage}\n\n${cmd.summary}\n${flags}`;
}

/** Runs the CLI. Resolves to an exit code, or to the servers that keep the process alive. */
export async function runCli(argv: readonly string[], io: Io): Promise<number | RunningServer[]> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(mainHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    io.out(`tocsin ${VERSION} (node ${process.version})\n`);
    return 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    io.err(`tocsin: unknown command ${JSON.stringify(name)}\n\n${mainHelp()}`);
    return 2;
  }
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
    for (const key of cmd.flags) options[FLAGS[key].name] = { type: 'string' };
    ({ values, positionals } = parseArgs({ args: [...rest], options, allowPositionals: true, strict: true }));
  } catch (err) {
    io.err(`tocsin ${name}: ${(err as Error).message}\n\n${commandHelp(name, cmd)}`);
    return 2;
  }
  if (values.help) {
    io.out(commandHelp(name, cmd));
    return 0;
  }
  try {
    return await cmd.run(resolveFlags(cmd.flags, values, io.env), positionals, io);
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
    const code = (err as NodeJS.ErrnoException).code;
    io.err(`tocsin ${name}: ${code ? `${code}: ` : ''}${(err as Error).message}\n`);
    return 1;
  }
}
