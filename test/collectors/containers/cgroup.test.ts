// The cgroup and /proc readers on fixture trees: a cgroup v1 host with the cgroupfs driver
// (copied from this project's CI machine, a hybrid host with an empty v2 hierarchy beside
// v1), and a cgroup v2 host with the systemd driver. The real hierarchy is read in
// engine.test.ts.
import t from 'tap';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import {
  CgroupReader,
  RETRY_MS,
  candidatesFor,
  detectLayout,
  expandSlice,
  guessedPaths,
  locateCgroups,
  parseBlkioV1,
  parseFlatKeyed,
  parseIoStat,
  parseSingle,
  readCgroupSample,
  realFs,
  type FsView,
} from '../../../src/collectors/containers/cgroup.js';
import { containerNetwork, parseProcCgroup } from '../../../src/collectors/containers/pid-files.js';
import { recordFromInspect, type ContainerRecord } from '../../../src/collectors/containers/record.js';
import { isIgnoredInterface, workingSet } from '../../../src/collectors/containers/sample.js';
import { readFileSync } from 'node:fs';

const FIXTURES = fileURLToPath(new URL('../../fixtures/cgroup', import.meta.url));
const V1 = join(FIXTURES, 'v1');
const V2 = join(FIXTURES, 'v2');
const ID1 = '50881476af5a36917ba81f9bbd4ff654958ac194c131ed9a59bbc3253e876cb3';
const ID2 = '9f1c2a7b3e4d5f60718293a4b5c6d7e8f90112233445566778899aabbccddeef';

const base = recordFromInspect(JSON.parse(readFileSync(join(FIXTURES, 'api', 'inspect-running-healthy.json'), 'utf8')));
const record = (id: string, pid: number, over: Partial<ContainerRecord> = {}): ContainerRecord => ({ ...base, id, shortId: id.slice(0, 12), pid, ...over });

t.test('parseProcCgroup: v1 controllers, the v2 line, named hierarchies', async (t) => {
  const p = parseProcCgroup(readFileSync(join(V1, 'proc/4242/cgroup'), 'utf8'));
  t.equal(p.unified, `/docker/${ID1}`);
  t.equal(p.controllers.get('memory'), `/docker/${ID1}`);
  t.equal(p.controllers.get('cpuacct'), `/docker/${ID1}`);
  t.equal(p.controllers.get('name=systemd'), `/docker/${ID1}`);
  const combined = parseProcCgroup('4:cpu,cpuacct:/docker/abc\n0::/\n');
  t.equal(combined.controllers.get('cpu'), '/docker/abc');
  t.equal(combined.controllers.get('cpuacct'), '/docker/abc');
  t.equal(combined.unified, '/');
  t.same(parseProcCgroup('garbage\n\n'), { unified: undefined, controllers: new Map() });
});

t.test('containerNetwork: bytes per interface, loopback/veth/docker left out like cAdvisor', async (t) => {
  const text = readFileSync(join(V1, 'proc/4242/net/dev'), 'utf8');
  t.same(containerNetwork(text), [{ iface: 'eth0', rxBytes: 9876543, txBytes: 123456 }]);
  t.same(containerNetwork(text, true)!.map((n) => n.iface), ['lo', 'eth0']);
  t.ok(isIgnoredInterface('veth1a2b') && isIgnoredInterface('docker0') && isIgnoredInterface('lo'));
  t.notOk(isIgnoredInterface('eth0'));
  t.same(containerNetwork('Inter-| x\n face |bytes\n'), [], 'headers only: no interfaces');
  t.equal(containerNetwork('Inter-| x\n face |bytes\n  short: 1 2 3\n'), undefined, 'not /proc/net/dev (cut short): unknown, not zero');
});

t.test('small parsers', async (t) => {
  t.same([...parseFlatKeyed('usage_usec 10\nuser_usec 7\nbad\nx y\n')], [['usage_usec', 10], ['user_usec', 7]]);
  t.equal(parseSingle('123\n'), 123);
  t.equal(parseSingle('max\n'), Infinity);
  t.equal(parseSingle(''), undefined);
  t.equal(parseSingle(undefined), undefined);
  t.equal(parseSingle('nope'), undefined);
  t.same(parseIoStat('8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\nnonsense\n'), [{ major: 8, minor: 0, readBytes: 10, writeBytes: 20 }]);
  t.same(parseBlkioV1('8:0 Read 10\n8:0 Write 20\n8:0 Sync 30\n8:0 Total 30\nTotal 30\n'), [{ major: 8, minor: 0, readBytes: 10, writeBytes: 20 }]);
  t.equal(workingSet(100, 30), 70);
  t.equal(workingSet(100, 130), 0, 'never below zero');
  t.equal(workingSet(100, undefined), 100);
  t.equal(workingSet(undefined, 1), undefined);
});

t.test('detectLayout: v1 (with cpu,cpuacct symlinks), v2, lone v2 under unified, nothing', async (t) => {
  const v1 = detectLayout(join(V1, 'sys/fs/cgroup'));
  t.equal(v1?.version, 1);
  if (v1?.version === 1) {
    t.equal(v1.mounts.cpuacct, join(V1, 'sys/fs/cgroup/cpuacct'), 'the exact name wins over "cpu,cpuacct"');
    t.equal(v1.mounts.memory, join(V1, 'sys/fs/cgroup/memory'));
    t.equal(v1.mounts.pids, join(V1, 'sys/fs/cgroup/pids'));
    t.equal(v1.mounts.blkio, join(V1, 'sys/fs/cgroup/blkio'));
  }
  t.same(detectLayout(join(V2, 'sys/fs/cgroup')), { version: 2, root: join(V2, 'sys/fs/cgroup') });
  const loneUnified: FsView = {
    read: () => undefined,
    exists: (p) => p === '/s/fs/cgroup/unified/cgroup.controllers',
    list: (d) => (d === '/s/fs/cgroup' ? ['unified', 'systemd'] : []),
  };
  t.same(detectLayout('/s/fs/cgroup', loneUnified), { version: 2, root: '/s/fs/cgroup/unified' });
  t.equal(detectLayout(join(FIXTURES, 'nowhere')), undefined);
});

t.test('path helpers: systemd slices, guesses, paths seen from a private cgroup namespace', async (t) => {
  t.equal(expandSlice('system.slice'), '/system.slice');
  t.equal(expandSlice('my-app-web.slice'), '/my.slice/my-app.slice/my-app-web.slice');
  t.equal(expandSlice('-.slice'), '/');
  t.same(guessedPaths('abc', '').slice(0, 2), ['/docker/abc', '/system.slice/docker-abc.scope']);
  t.equal(guessedPaths('abc', '/ci')[0], '/ci/abc', 'cgroupfs driver with --cgroup-parent');
  t.equal(guessedPaths('abc', 'ci.slice')[0], '/ci.slice/docker-abc.scope', 'systemd driver with --cgroup-parent');
  t.same(candidatesFor('/docker/abc', ['x']), ['/docker/abc']);
  t.same(candidatesFor('/../../docker-abc.scope', ['system.slice', 'user.slice']), [
    '/docker-abc.scope',
    '/system.slice/docker-abc.scope',
    '/user.slice/docker-abc.scope',
  ]);
});

t.test('locateCgroups: from /proc/<pid>/cgroup, from a private namespace, by guess, and never a stranger', async (t) => {
  const v1 = detectLayout(join(V1, 'sys/fs/cgroup'))!;
  const own = readFileSync(join(V1, 'proc/4242/cgroup'), 'utf8');
  const found = locateCgroups(v1, record(ID1, 4242), own);
  t.ok(found.pidVerified, 'the pid is the container’s');
  t.same(found.cgroups, {
    version: 1,
    dirs: {
      cpuacct: join(V1, 'sys/fs/cgroup/cpuacct/docker', ID1),
      memory: join(V1, 'sys/fs/cgroup/memory/docker', ID1),
      pids: join(V1, 'sys/fs/cgroup/pids/docker', ID1),
      blkio: join(V1, 'sys/fs/cgroup/blkio/docker', ID1),
    },
  });

  // A pid from another PID namespace that happens to exist: its cgroup does not name the container.
  const stranger = locateCgroups(v1, record(ID1, 4242), '0::/user.slice/session-1.scope\n4:memory:/user.slice\n');
  t.notOk(stranger.pidVerified, 'a pid whose cgroup does not name the container is not trusted');
  t.same(stranger.cgroups, found.cgroups, 'the default cgroupfs layout is still found');

  const v2 = detectLayout(join(V2, 'sys/fs/cgroup'))!;
  const dir = join(V2, 'sys/fs/cgroup/system.slice', `docker-${ID2}.scope`);
  t.same(locateCgroups(v2, record(ID2, 5151), readFileSync(join(V2, 'proc/5151/cgroup'), 'utf8')), { cgroups: { version: 2, dir }, pidVerified: true });
  t.same(
    locateCgroups(v2, record(ID2, 5252), readFileSync(join(V2, 'proc/5252/cgroup'), 'utf8')),
    { cgroups: { version: 2, dir }, pidVerified: true },
    'a path relative to the exporter’s own cgroup namespace ("/../docker-<id>.scope")',
  );
  t.same(locateCgroups(v2, record(ID2, 0), undefined), { cgroups: { version: 2, dir }, pidVerified: false }, 'no pid: the systemd layout is guessed');
  t.same(locateCgroups(v2, record(ID1, 0), undefined), { cgroups: undefined, pidVerified: false }, 'not there: undefined');
});

t.test('readCgroupSample: v1 and v2 figures', async (t) => {
  const v1 = locateCgroups(detectLayout(join(V1, 'sys/fs/cgroup'))!, record(ID1, 4242), undefined).cgroups!;
  const s1 = readCgroupSample(v1);
  t.equal(s1.cpuSeconds, 468765512783 / 1e9, 'cpuacct.usage is in nanoseconds');
  t.equal(s1.memoryUsageBytes, 10485760);
  t.equal(s1.memoryWorkingSetBytes, 10485760 - 2097152, 'usage - total_inactive_file');
  t.equal(s1.threads, 1);
  t.same(s1.blkioRaw, [
    { major: 8, minor: 0, readBytes: 1048576, writeBytes: 4096 },
    { major: 253, minor: 1, readBytes: 512, writeBytes: 0 },
  ]);

  const v2 = locateCgroups(detectLayout(join(V2, 'sys/fs/cgroup'))!, record(ID2, 5151), undefined).cgroups!;
  const s2 = readCgroupSample(v2);
  t.equal(s2.cpuSeconds, 8.421337, 'cpu.stat usage_usec is in microseconds');
  t.equal(s2.memoryUsageBytes, 52428800);
  t.equal(s2.memoryWorkingSetBytes, 52428800 - 12582912, 'memory.current - inactive_file');
  t.equal(s2.threads, 7);
  t.same(s2.blkioRaw, [
    { major: 259, minor: 0, readBytes: 7340032, writeBytes: 2097152 },
    { major: 253, minor: 2, readBytes: 4096, writeBytes: 0 },
  ]);
});

t.test('CgroupReader: paths from deps, device names, network, retries and forgetting', async (t) => {
  const reader = new CgroupReader({ procfs: join(V2, 'proc'), sysfs: join(V2, 'sys') });
  const r = record(ID2, 5151);
  const loc = reader.locate(r);
  const s = reader.sample(r, loc)!;
  t.same(
    s.blkio?.map((b) => b.device),
    ['/dev/nvme0n1', '253:2'],
    'named from <sysfs>/dev/block/MAJ:MIN/uevent, else MAJ:MIN',
  );
  t.same(reader.network(r, loc), [
    { iface: 'eth0', rxBytes: 251904, txBytes: 73128 },
    { iface: 'eth1', rxBytes: 1000, txBytes: 2000 },
  ]);
  t.equal(reader.network(record(ID2, 5151), { cgroups: undefined, pidVerified: false }), undefined, 'no network from an unverified pid');

  // Not found: looked for again only after RETRY_MS.
  let now = 0;
  let reads = 0;
  const counting: FsView = { ...realFs, exists: (p) => (reads++, realFs.exists(p)) };
  const slow = new CgroupReader({ procfs: join(V2, 'proc'), sysfs: join(V2, 'sys') }, counting, () => now);
  const missing = record(ID1, 0);
  t.equal(slow.locate(missing).cgroups, undefined);
  const after = reads;
  t.equal(slow.locate(missing).cgroups, undefined);
  t.equal(reads, after, 'a miss is cached');
  now += RETRY_MS;
  slow.locate(missing);
  t.ok(reads > after, 'and retried after RETRY_MS');
  slow.retain(new Set());
});

t.test('CgroupReader on this machine: no cgroups under a sysfs without them', async (t) => {
  const reader = new CgroupReader({ procfs: '/proc', sysfs: join(FIXTURES, 'nowhere') });
  const loc = reader.locate(record(ID1, 1));
  t.equal(loc.cgroups, undefined);
  t.equal(reader.sample(record(ID1, 1), loc), undefined);
});
