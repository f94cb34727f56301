import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configSchema } from '../../../src/config/schema.js';
import { createNetdevCollector } from '../../../src/collectors/host/netdev.js';
import { NETDEV_FIELDS, parseNetDev } from '../../../src/collectors/procfs.js';
import { collect, silentLogger } from '../../helpers/collect.js';
import { select, value } from '../../helpers/exposition.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/proc', import.meta.url));
const defaults = configSchema.parse({}).exporter.collectors.netdev;
const deps = (procfs: string) => ({ logger: silentLogger, paths: { procfs, sysfs: '/sys', rootfs: '/' } });

t.test('parseNetDev', async (t) => {
  const dev = parseNetDev(readFileSync(`${FIXTURE}/net/dev`, 'utf8'));
  t.same([...dev.keys()], ['lo', 'eth0', 'wlan0', 'veth4b09a']);
  t.same(dev.get('eth0'), {
    receive_bytes: 197386426,
    receive_packets: 6087,
    receive_errs: 1,
    receive_drop: 2,
    receive_fifo: 3,
    receive_frame: 4,
    receive_compressed: 5,
    receive_multicast: 6,
    transmit_bytes: 596207,
    transmit_packets: 3990,
    transmit_errs: 7,
    transmit_drop: 8,
    transmit_fifo: 9,
    transmit_colls: 10,
    transmit_carrier: 11,
    transmit_compressed: 12,
  });
  t.equal(dev.get('wlan0')!.receive_bytes, 2 ** 64, 'no space after the colon, a counter at 2^64-1 (as a float, like node_exporter)');
  t.same(NETDEV_FIELDS.map((f) => dev.get('veth4b09a')![f]), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], 'columns in kernel order');
  t.throws(() => parseNetDev('h1\nh2\n  eth0: 1 2 3\n'), /unexpected \/proc\/net\/dev line/);
});

t.test('the collector on a fixture', async (t) => {
  const exp = await collect([createNetdevCollector(defaults, deps(FIXTURE))]);
  t.equal(value(exp, 'tocsin_collector_success', { collector: 'netdev' }), 1);
  for (const field of NETDEV_FIELDS) {
    const name = `node_network_${field}_total`;
    t.equal(exp.types.get(name), 'counter', name);
    t.equal(exp.helps.get(name), `Network device statistic ${field}.`);
    t.same(select(exp, name).map((s) => s.labels.device).sort(), ['eth0', 'lo', 'veth4b09a', 'wlan0'], 'no device excluded by default');
  }
  t.equal(value(exp, 'node_network_transmit_carrier_total', { device: 'eth0' }), 11);
  t.equal(value(exp, 'node_network_receive_bytes_total', { device: 'lo' }), 34922);
});

t.test('device_exclude', async (t) => {
  const config = configSchema.parse({ exporter: { collectors: { netdev: { device_exclude: '^(lo|veth.*)$' } } } }).exporter.collectors.netdev;
  const exp = await collect([createNetdevCollector(config, deps(FIXTURE))]);
  t.same(select(exp, 'node_network_receive_bytes_total').map((s) => s.labels.device).sort(), ['eth0', 'wlan0']);
  const none = configSchema.parse({ exporter: { collectors: { netdev: { device_exclude: '.' } } } }).exporter.collectors.netdev;
  const empty = await collect([createNetdevCollector(none, deps(FIXTURE))]);
  t.equal(value(empty, 'tocsin_collector_success', { collector: 'netdev' }), 1);
  t.notOk(empty.types.has('node_network_receive_bytes_total'), 'no devices: no empty families');
});

t.test('the collector on this machine', async (t) => {
  const exp = await collect([createNetdevCollector(defaults, deps('/proc'))]);
  t.equal(value(exp, 'tocsin_collector_success', { collector: 'netdev' }), 1);
  const devices = [...parseNetDev(readFileSync('/proc/net/dev', 'utf8')).keys()].sort();
  t.same(select(exp, 'node_network_receive_bytes_total').map((s) => s.labels.device).sort(), devices);
});
