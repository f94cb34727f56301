// The probes section of examples/tocsin.yml (the built-in config): its active targets check
// the example's own exporter and relay addresses and never notify, and its commented
// WebSocket target, discovery source and connectivity check are valid once uncommented.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EXAMPLE_CONFIG_FILE, loadConfig, parseConfig } from '../../src/config/load.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/tocsin.yml', import.meta.url));

/** The text with the commented block that starts with `start` uncommented in place. */
function uncomment(text: string, start: string): string {
  const lines = text.split('\n');
  const first = lines.indexOf(start);
  if (first < 0) throw new Error(`examples/tocsin.yml has no line ${JSON.stringify(start)}`);
  const indent = start.slice(0, start.indexOf('#'));
  const continuation = `${indent}#   `;
  let end = first + 1;
  while (end < lines.length && lines[end]!.startsWith(continuation)) end += 1;
  for (let i = first; i < end; i++) lines[i] = lines[i]!.replace(`${indent}# `, indent);
  return lines.join('\n');
}

t.test('the active targets check the example\'s own listeners and do not notify', async (t) => {
  const config = await loadConfig(EXAMPLE_CONFIG_FILE);
  const targets = config.exporter.probes.targets;
  t.same(targets.map((x) => x.type).sort(), ['http', 'tcp']);
  t.ok(targets.every((x) => !x.notify), 'notify: false on every example target');
  const port = (listen: string) => listen.slice(listen.lastIndexOf(':') + 1);
  t.equal(new URL(targets.find((x) => x.type === 'http')!.address).port, port(config.relay.listen_address), 'the http target is the relay of this config');
  t.equal(port(targets.find((x) => x.type === 'tcp')!.address), port(config.exporter.listen_address), 'the tcp target is the exporter of this config');
});

t.test('the commented WebSocket target, discovery and connectivity, uncommented, are valid', async (t) => {
  let text = readFileSync(EXAMPLE, 'utf8');
  text = uncomment(text, '      # - name: chat');
  text = uncomment(text, '    # discovery:');
  text = uncomment(text, '    # connectivity:');
  const config = parseConfig(text, EXAMPLE_CONFIG_FILE);
  t.same(config.exporter.probes.targets.map((x) => x.type).sort(), ['http', 'tcp', 'websocket'], 'one http, one tcp, one websocket target');
  t.equal(config.exporter.probes.discovery[0]?.name, 'cmdb');
  t.equal(config.exporter.probes.connectivity.targets[0]?.name, 'gateway');
});
