// Process entry point: wires the CLI to the real stdio, environment and signals.
import { runCli } from './cli/cli.js';

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
    await Promise.allSettled(result.map((s) => s.close()));
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
