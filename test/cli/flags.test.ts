// Flags like node_exporter's: --path.procfs/sysfs/rootfs, --[no-]collector.NAME, --version
// on every subcommand; unknown flags say where the setting lives; no doubled error codes.
import t, { type Test } from 'tap';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli, type Io } from '../../src/cli/cli.js';
import type { Running } from '../../src/cli/reload.js';
import { parseExposition, value } from '../helpers/exposition.js';

const PROC = fileURLToPath(new URL('../fixtures/proc', import.meta.url));
// All defaults (the shipped example would turn on process groups and more).
const dir = mkdtempSync(join(tmpdir(), 'tocsin-flags-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const EMPTY_CONFIG = join(dir, 'empty.yml');
writeFileSync(EMPTY_CONFIG, '');

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const value: Io = { out: (s) => out.push(s), err: (s) => err.push(s), env: {} };
  return { io: value, out: () => out.join(''), err: () => err.join('') };
}

async function start(t: Test, args: string[]): Promise<Running> {
  const r = io();
  const result = await runCli(args, r.io);
  if (typeof result === 'number') throw new Error(`exit ${result}: ${r.err()}`);
  t.teardown(() => Promise.all(result.servers.map((s) => s.close())));
  return result;
}

t.test('--version on every subcommand', async (t) => {
  for (const command of ['exporter', 'relay', 'all', 'stack', 'check-config']) {
    const r = io();
    t.equal(await runCli([command, '--version'], r.io), 0, command);
    t.match(r.out(), /^tocsin \d+\.\d+\.\d+ \(node v\d+/, command);
  }
  const r = io();
  await runCli(['relay', '--help'], r.io);
  t.match(r.out(), /--version/, 'the help lists it');
});

t.test('an unknown flag says it does not exist and where the setting lives', async (t) => {
  const cases: [string[], string][] = [
    [['exporter', '--relay.data-dir=/x'], 'flag --relay.data-dir does not exist: the setting lives in the config file (--config.file) as relay.data_dir'],
    [['exporter', '--collector.filesystem.mount-points-exclude=^/x'], 'as exporter.collectors.filesystem.mount_points_exclude'],
    [['exporter', '--exporter.scrape-timeout=5s'], 'as exporter.scrape_timeout'],
    [['exporter', '--collector.netdev.device-include=eth0'], 'under exporter.collectors.netdev'],
    [['relay', '--web.telemetry-path=/m'], 'flag --web.telemetry-path is not a flag of "tocsin relay" (it is one of "tocsin exporter", "tocsin all", "tocsin stack")'],
    [['relay', '--no-collector.cpu'], 'is not a flag of "tocsin relay"'],
    [['exporter', '--frobnicate'], 'flag --frobnicate does not exist: "tocsin exporter --help" lists the flags'],
    [['exporter', '--no-collector.bogus'], '--no-collector.bogus: no such collector (known: cpu, '],
  ];
  for (const [args, expected] of cases) {
    const r = io();
    t.equal(await runCli(args, r.io), 2, args.join(' '));
    t.match(r.err(), expected, args.join(' '));
  }
});

t.test('--path.procfs and --[no-]collector.NAME reach the collectors', async (t) => {
  const running = await start(t, [
    'exporter',
    `--config.file=${EMPTY_CONFIG}`,
    '--web.listen-address=127.0.0.1:0',
    `--path.procfs=${PROC}`,
    '--no-collector.cpu',
    '--no-collector.process',
    '--no-collector.filesystem',
    '--collector.loadavg',
  ]);
  const m = parseExposition(await (await fetch(`${running.servers[0]!.url}/metrics`)).text());
  t.equal(value(m, 'node_load1'), 0.62, 'loadavg read from the fixture procfs');
  t.equal(value(m, 'node_load15'), 0.11);
  t.notOk(m.samples.some((s) => s.name === 'tocsin_collector_success' && s.labels.collector === 'cpu'), '--no-collector.cpu turned it off');
  t.notOk(m.samples.some((s) => s.name === 'node_cpu_seconds_total'));
  t.ok(m.samples.some((s) => s.name === 'tocsin_collector_success' && s.labels.collector === 'meminfo'), 'others keep their default');
});

t.test('--collector.NAME turns on a collector that is off by default', async (t) => {
  const running = await start(t, ['exporter', `--config.file=${EMPTY_CONFIG}`, '--web.listen-address=127.0.0.1:0', '--collector.containers', '--no-collector.process']);
  const m = parseExposition(await (await fetch(`${running.servers[0]!.url}/metrics`)).text());
  t.ok(m.samples.some((s) => s.name === 'tocsin_collector_success' && s.labels.collector === 'containers'));
});

t.test('startup errors carry their code once (no "EADDRINUSE: listen EADDRINUSE")', async (t) => {
  const blocker = createServer();
  blocker.listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  t.teardown(() => blocker.close());
  const { port } = blocker.address() as { port: number };
  const r = io();
  t.equal(await runCli(['exporter', `--config.file=${EMPTY_CONFIG}`, `--web.listen-address=127.0.0.1:${port}`, '--no-collector.process'], r.io), 1);
  t.match(r.err(), 'EADDRINUSE');
  t.equal(r.err().split('EADDRINUSE').length - 1, 1, r.err());
});
