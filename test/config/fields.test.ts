// What the value types accept: the valid side of testdata/invalid-*.yml.
import t from 'tap';
import { parseListenAddress } from '../../src/config/listen-address.js';
import { byteSize, duration, httpPath, pseudoFileSystem, TIMER_MAX_SECONDS } from '../../src/config/fields.js';

t.test('listen addresses', async (t) => {
  t.same(parseListenAddress(':9469'), { host: '::', port: 9469 });
  t.same(parseListenAddress('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
  t.same(parseListenAddress('[::1]:9469'), { host: '::1', port: 9469 });
  t.same(parseListenAddress('localhost:9469'), { host: 'localhost', port: 9469 });
  t.same(parseListenAddress('monitor-1.example.com:9470'), { host: 'monitor-1.example.com', port: 9470 });
  for (const bad of ['9469', ':', ':65536', 'a b:1', '-host:1', '[127.0.0.1]:1', '[nope]:1', '::1:9469', 'host:port', '1.2.3.4.5:1x']) {
    t.throws(() => parseListenAddress(bad), /invalid listen address/, bad);
  }
});

t.test('sizes', async (t) => {
  const size = byteSize({ min: 1024, max: 64 * 1024 ** 2 });
  t.equal(size.parse(2048), 2048);
  t.equal(size.parse('2KiB'), 2048);
  t.equal(size.parse('1MB'), 1_000_000);
  t.equal(size.parse('64MiB'), 64 * 1024 ** 2);
  for (const bad of ['0', 0, 1023, '65MiB', '1.5MiB', '1 MiB', 'lots', null, true, [], 1.5]) t.notOk(size.safeParse(bad).success, JSON.stringify(bad));
});

t.test('durations: ranges, and never beyond what a timer holds', async (t) => {
  const d = duration({ min: 0.1, max: 300 });
  t.equal(d.parse('100ms'), 0.1);
  t.equal(d.parse('5m'), 300);
  t.notOk(d.safeParse('99ms').success);
  t.notOk(d.safeParse('5m1ms').success);
  const unbounded = duration();
  t.equal(unbounded.parse('24d'), 24 * 86400);
  t.notOk(unbounded.safeParse('25d').success, '25d overflows a Node timer');
  t.equal(TIMER_MAX_SECONDS, 2147483.647);
  t.notOk(duration({ max: 365 * 86400 }).safeParse('30d').success, 'a larger max is still capped');
});

t.test('HTTP paths', async (t) => {
  for (const ok of ['/metrics', '/node/metrics', '/m-1_2.x']) t.ok(httpPath.safeParse(ok).success, ok);
  for (const bad of ['/', '/-/healthy', '/-/ready', '/-/reload', '/probe', 'metrics', '', '/a b', '//metrics', '/metrics#x']) t.notOk(httpPath.safeParse(bad).success, bad);
});

t.test('pseudo-filesystems are recognised, ordinary directories are not', async (t) => {
  t.equal(pseudoFileSystem('/proc/self/x'), 'proc');
  t.equal(pseudoFileSystem('/sys/kernel/tocsin'), 'sysfs');
  t.equal(pseudoFileSystem('data/relay'), undefined);
  t.equal(pseudoFileSystem('/'), undefined);
});
