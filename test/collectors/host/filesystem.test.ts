import t from 'tap';
import { readFileSync, statfsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_FS_TYPES_EXCLUDE, DEFAULT_MOUNT_POINTS_EXCLUDE, configSchema } from '../../../src/config/schema.js';
import {
  createFilesystemCollector,
  isReadOnly,
  parseMounts,
  selectMounts,
  statfsPath,
  stripRootfs,
  type StatfsResult,
} from '../../../src/collectors/host/filesystem.js';
import { excluder } from '../../../src/collectors/procfs.js';
import { collect, silentLogger } from '../../helpers/collect.js';
import { select, value } from '../../helpers/exposition.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/proc', import.meta.url));
const defaults = configSchema.parse({}).exporter.collectors.filesystem;
const deps = (procfs: string, rootfs = '/') => ({ logger: silentLogger, paths: { procfs, sysfs: '/sys', rootfs } });

/** A statfs that answers from a table; a path not in it fails like a missing directory. */
function fakeStatfs(table: Record<string, StatfsResult | 'hang'>) {
  const calls: string[] = [];
  const answered: StatfsResult = { bsize: 1, blocks: 1, bfree: 1, bavail: 1, files: 1, ffree: 1 };
  let release: (() => void) | undefined;
  let released = false;
  const statfs = (path: string): Promise<StatfsResult> => {
    calls.push(path);
    const entry = table[path];
    if (entry === 'hang') {
      if (released) return Promise.resolve(answered);
      return new Promise((resolve) => {
        release = () => {
          released = true;
          resolve(answered);
        };
      });
    }
    if (entry) return Promise.resolve(entry);
    return Promise.reject(Object.assign(new Error(`ENOENT: no such file or directory, statfs '${path}'`), { code: 'ENOENT' }));
  };
  return { statfs, calls, release: () => release?.() };
}

const disk = (blocks: number, bfree: number, bavail: number, files: number, ffree: number): StatfsResult => ({
  bsize: 4096,
  blocks,
  bfree,
  bavail,
  files,
  ffree,
});

t.test('parseMounts decodes space and tab, and strips the rootfs prefix', async (t) => {
  const mounts = parseMounts(readFileSync(`${FIXTURE}/1/mounts`, 'utf8'));
  t.equal(mounts.length, 13);
  t.same(mounts[7], { device: '/dev/sdb1', mountPoint: '/srv/My Files', fsType: 'ext4', options: 'rw' });
  t.same(parseMounts('tmpfs /a\\011b tmpfs rw 0 0\n')[0]!.mountPoint, '/a\tb');
  t.same(parseMounts('/dev/x /weird\\134name ext4 rw 0 0\n')[0]!.mountPoint, '/weird\\134name', 'other escapes are left, as node_exporter does');
  t.throws(() => parseMounts('/dev/sda1 / ext4\n'), /malformed mount point information/);

  const inContainer = parseMounts('/dev/sda1 /host/root ext4 rw 0 0\n/dev/sda2 /host/root/boot ext4 rw 0 0\noverlay / overlay rw 0 0\n', '/host/root');
  t.same(inContainer.map((m) => m.mountPoint), ['/', '/boot', '/']);
});

t.test('stripRootfs matches whole path components', async (t) => {
  t.equal(stripRootfs('/boot', '/'), '/boot');
  t.equal(stripRootfs('/host/root/boot', '/host/root'), '/boot');
  t.equal(stripRootfs('/host/root/boot', '/host/root/'), '/boot');
  t.equal(stripRootfs('/host/root', '/host/root'), '/');
  t.equal(stripRootfs('/host/rootfs', '/host/root'), '/host/rootfs', 'not a prefix of a longer name');
  t.equal(stripRootfs('/srv', '/host/root'), '/srv');
});

t.test('statfsPath', async (t) => {
  t.equal(statfsPath('/', '/'), '/');
  t.equal(statfsPath('/', '/boot'), '/boot');
  t.equal(statfsPath('/host/root', '/'), '/host/root');
  t.equal(statfsPath('/host/root/', '/srv/My Files'), '/host/root/srv/My Files');
});

t.test('isReadOnly looks for the "ro" option', async (t) => {
  t.ok(isReadOnly('ro,relatime'));
  t.ok(isReadOnly('nosuid,ro'));
  t.notOk(isReadOnly('rw,errors=remount-ro'));
});

t.test('selectMounts applies the default excludes and dedupes', async (t) => {
  const mounts = selectMounts(
    parseMounts(readFileSync(`${FIXTURE}/1/mounts`, 'utf8')),
    excluder(DEFAULT_MOUNT_POINTS_EXCLUDE),
    excluder(DEFAULT_FS_TYPES_EXCLUDE),
  );
  t.same(
    mounts.map((m) => m.mountPoint),
    ['/', '/boot', '/run', '/srv/My Files', '/mnt/nfs', '/var/lib/docker'],
    'proc, sys, dev, run/credentials/*, docker internals and overlays are left out',
  );
  t.equal(mounts.find((m) => m.mountPoint === '/srv/My Files')!.options, 'rw', 'the first of two identical mounts wins');
});

t.test('the collector on a fixture, with a hung and a failing statfs', async (t) => {
  const fake = fakeStatfs({
    '/': disk(1000, 600, 500, 100, 40),
    '/boot': disk(100, 50, 50, 10, 5),
    '/run': disk(10, 10, 10, 1000, 999),
    '/srv/My Files': disk(2000, 1000, 900, 200, 100),
    '/mnt/nfs': 'hang',
    // /var/lib/docker is missing from the table: statfs fails with ENOENT.
  });
  const collector = createFilesystemCollector(defaults, deps(FIXTURE), { statfs: fake.statfs, mountTimeoutMs: 50 });
  const started = performance.now();
  const exp = await collect([collector]);
  t.ok(performance.now() - started < 2000, 'a hung statfs costs the mount timeout, not the scrape');
  t.equal(value(exp, 'tocsin_collector_success', { collector: 'filesystem' }), 1, 'failing mounts do not fail the collector');

  const root = { device: '/dev/sda1', fstype: 'ext4', mountpoint: '/' };
  t.equal(value(exp, 'node_filesystem_size_bytes', root), 1000 * 4096);
  t.equal(value(exp, 'node_filesystem_free_bytes', root), 600 * 4096);
  t.equal(value(exp, 'node_filesystem_avail_bytes', root), 500 * 4096);
  t.equal(value(exp, 'node_filesystem_files', root), 100);
  t.equal(value(exp, 'node_filesystem_files_free', root), 40);
  t.equal(value(exp, 'node_filesystem_readonly', root), 0);
  t.equal(value(exp, 'node_filesystem_device_error', root), 0);
  t.equal(value(exp, 'node_filesystem_readonly', { mountpoint: '/boot' }), 1);
  t.equal(value(exp, 'node_filesystem_readonly', { mountpoint: '/srv/My Files' }), 0);

  const nfs = { device: 'server:/export', fstype: 'nfs4', mountpoint: '/mnt/nfs' };
  t.equal(value(exp, 'node_filesystem_device_error', nfs), 1, 'timed out');
  t.equal(select(exp, 'node_filesystem_size_bytes', { mountpoint: '/mnt/nfs' }).length, 0, 'no figures for it');
  t.equal(value(exp, 'node_filesystem_device_error', { mountpoint: '/var/lib/docker' }), 1, 'statfs failed');
  t.equal(select(exp, 'node_filesystem_readonly', { mountpoint: '/var/lib/docker' }).length, 0);
  t.equal(select(exp, 'node_filesystem_device_error').length, 6);
  for (const name of ['size_bytes', 'free_bytes', 'avail_bytes', 'files', 'files_free', 'readonly', 'device_error']) {
    t.equal(exp.types.get(`node_filesystem_${name}`), 'gauge', name);
  }
  t.equal(exp.helps.get('node_filesystem_avail_bytes'), 'Filesystem space available to non-root users in bytes.');

  const again = await collect([collector]);
  t.equal(fake.calls.filter((p) => p === '/mnt/nfs').length, 1, 'a statfs still hanging is not issued again');
  t.equal(value(again, 'node_filesystem_device_error', nfs), 1);

  fake.release();
  await new Promise((resolve) => setImmediate(resolve));
  const recovered = await collect([collector]);
  t.equal(fake.calls.filter((p) => p === '/mnt/nfs').length, 2, 'once it returned, the mount is tried again');
  t.equal(value(recovered, 'node_filesystem_device_error', nfs), 0);
});

t.test('a rootfs other than /: statfs under it, labels as on the host', async (t) => {
  const procfs = t.testdir({
    '1': { mounts: '/dev/sda1 /host/root ext4 rw 0 0\n/dev/sda2 /host/root/boot ext4 ro 0 0\noverlay / overlay rw 0 0\n' },
  });
  const fake = fakeStatfs({ '/host/root': disk(10, 5, 4, 3, 2), '/host/root/boot': disk(20, 10, 8, 6, 4) });
  const exp = await collect([createFilesystemCollector(defaults, deps(procfs, '/host/root'), { statfs: fake.statfs })]);
  t.same(fake.calls.sort(), ['/host/root', '/host/root/boot'], 'paths cleaned like filepath.Join');
  t.equal(value(exp, 'node_filesystem_size_bytes', { mountpoint: '/', device: '/dev/sda1' }), 10 * 4096);
  t.equal(value(exp, 'node_filesystem_size_bytes', { mountpoint: '/boot' }), 20 * 4096);
  t.equal(select(exp, 'node_filesystem_device_error').length, 2, "the container's own overlay / is excluded by type");
});

t.test('a mount point mounted over: both entries reported, one statfs', async (t) => {
  const procfs = t.testdir({ '1': { mounts: '/dev/sdb1 /data ext4 rw 0 0\n/dev/sdc1 /data xfs rw 0 0\n' } });
  const fake = fakeStatfs({ '/data': disk(10, 5, 4, 3, 2) });
  const exp = await collect([createFilesystemCollector(defaults, deps(procfs), { statfs: fake.statfs })]);
  t.same(fake.calls, ['/data']);
  t.equal(value(exp, 'node_filesystem_device_error', { device: '/dev/sdb1' }), 0);
  t.equal(value(exp, 'node_filesystem_device_error', { device: '/dev/sdc1' }), 0);
  t.equal(value(exp, 'node_filesystem_size_bytes', { device: '/dev/sdc1', fstype: 'xfs' }), 10 * 4096);
});

t.test('without /proc/1 (hidepid) the collector reads <procfs>/mounts', async (t) => {
  const fake = fakeStatfs({ '/': disk(10, 5, 4, 3, 2) });
  const exp = await collect([createFilesystemCollector(defaults, deps(`${FIXTURE}/hidepid`), { statfs: fake.statfs })]);
  t.equal(value(exp, 'node_filesystem_size_bytes', { device: '/dev/vdb', fstype: 'xfs', mountpoint: '/' }), 10 * 4096);
});

t.test('when every statfs fails only device_error is served', async (t) => {
  const fake = fakeStatfs({});
  const exp = await collect([createFilesystemCollector(defaults, deps(FIXTURE), { statfs: fake.statfs })]);
  t.equal(value(exp, 'tocsin_collector_success', { collector: 'filesystem' }), 1);
  t.equal(select(exp, 'node_filesystem_device_error').length, 6);
  t.notOk(exp.types.has('node_filesystem_size_bytes'));
});

t.test('mount_points_exclude and fs_types_exclude from config', async (t) => {
  const config = configSchema.parse({
    exporter: { collectors: { filesystem: { mount_points_exclude: '^/(srv|mnt)/', fs_types_exclude: '^(tmpfs|proc|sysfs|overlay)$' } } },
  }).exporter.collectors.filesystem;
  const fake = fakeStatfs({});
  const exp = await collect([createFilesystemCollector(config, deps(FIXTURE), { statfs: fake.statfs })]);
  t.same(
    select(exp, 'node_filesystem_device_error').map((s) => s.labels.mountpoint).sort(),
    ['/', '/boot', '/var/lib/docker', '/var/lib/docker/volumes'],
  );
});

t.test('the collector on this machine', async (t) => {
  const exp = await collect([createFilesystemCollector(defaults, deps('/proc'))]);
  t.equal(value(exp, 'tocsin_collector_success', { collector: 'filesystem' }), 1);
  const roots = select(exp, 'node_filesystem_size_bytes', { mountpoint: '/' });
  t.equal(roots.length, 1, 'the root filesystem is reported');
  const s = statfsSync('/');
  t.equal(roots[0]!.value, s.blocks * s.bsize);
  t.equal(value(exp, 'node_filesystem_device_error', roots[0]!.labels), 0);
  t.equal(value(exp, 'node_filesystem_files', roots[0]!.labels), s.files);
});
