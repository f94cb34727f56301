// Process entry point: wires the CLI to the real stdio, environment and signals.
//
// Signals, as for Prometheus and Alertmanager: SIGTERM and SIGINT stop Tocsin gracefully
// (a second one stops it at once), SIGHUP reloads the configuration, and no other signal
// stops it. Node's defaults would let SIGHUP and SIGUSR2 (and the timer and I/O signals)
// end the process silently (exit 129, 140, ...), which under systemd's Restart=on-failure
// is not even restarted after a SIGHUP.
import { runCli } from './cli/cli.js';

/**
 * Signals whose default action ends the process but which mean nothing to Tocsin. Not here:
 * SIGPIPE (Node already ignores it), SIGUSR1 (Node's inspector), SIGPROF (V8's profiler), and
 * the fault signals (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP), which report a crash.
 */
const IGNORED_SIGNALS: readonly NodeJS.Signals[] = ['SIGQUIT', 'SIGUSR2', 'SIGALRM', 'SIGVTALRM', 'SIGIO', 'SIGPWR', 'SIGSTKFLT', 'SIGXCPU', 'SIGXFSZ'];

const result = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
});

if (typeof result === 'number') {
  process.exitCode = result;
} else {
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1); // a second Ctrl-C means "now"
    stopping = true;
    process.stderr.write(`tocsin: ${signal} received, shutting down\n`);
    await Promise.allSettled(result.servers.map((s) => s.close()));
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // The outcome (and what is wrong with a bad file) is logged by the reloader.
  process.on('SIGHUP', () => void result.reload().catch(() => undefined));
  for (const signal of IGNORED_SIGNALS) {
    process.on(signal, () => process.stderr.write(`tocsin: ${signal} received and ignored (SIGTERM or SIGINT stop Tocsin, SIGHUP reloads)\n`));
  }
}
