// Pure pieces around the Engine API, on answers recorded from Debian's docker.io 20.10
// (inspect, stats on cgroup v1) and a stats answer in the cgroup v2 shape: records, stats
// samples, where the engine is, how failures read, label names.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import {
  EngineConfigError,
  describeEngineError,
  resolveEndpoint,
} from '../../../src/collectors/containers/docker-client.js';
import { containerLabelName, labelSchema, writeFamilies } from '../../../src/collectors/containers/families.js';
import { normaliseState, parseDockerTime, recordFromInspect } from '../../../src/collectors/containers/record.js';
import { sampleFromStats } from '../../../src/collectors/containers/stats-fallback.js';
import { configSchema } from '../../../src/config/schema.js';
import { parseExposition, select, value } from '../../helpers/exposition.js';

const API = fileURLToPath(new URL('../../fixtures/cgroup/api', import.meta.url));
const json = (name: string): unknown => JSON.parse(readFileSync(join(API, name), 'utf8'));

t.test('recordFromInspect: a running container with a health check, and an OOM-killed one', async (t) => {
  const healthy = recordFromInspect(json('inspect-running-healthy.json'));
  t.match(healthy, {
    shortId: healthy.id.slice(0, 12),
    name: 'hc',
    image: 'tocsin-busybox:test',
    state: 'running',
    exitCode: 0,
    oomKilled: false,
    restartCount: 0,
    health: { status: 'healthy', failingStreak: 0 },
    memoryLimitBytes: 64 * 1024 * 1024,
    networkMode: 'none',
    cgroupParent: '',
    finishedAt: undefined,
  });
  t.equal(healthy.labels['com.docker.compose.project'], 'shop');
  t.ok(healthy.pid > 0);
  t.ok(healthy.startedAt! > 1.7e9);

  const oom = recordFromInspect(json('inspect-oom-killed.json'));
  t.match(oom, { name: 'oom', state: 'exited', exitCode: 137, oomKilled: true, pid: 0, health: undefined, memoryLimitBytes: 8 * 1024 * 1024 });
  t.ok(oom.finishedAt! >= oom.startedAt!);
  t.throws(() => recordFromInspect({ Id: 42 }), /without a container id/);
});

t.test('states and times', async (t) => {
  t.equal(normaliseState('running'), 'running');
  t.equal(normaliseState('Exited'), 'exited');
  t.equal(normaliseState('configured'), 'created', 'Podman');
  t.equal(normaliseState('stopped'), 'exited', 'Podman');
  t.equal(normaliseState('weird', true), 'running');
  t.equal(normaliseState(undefined), 'exited');
  t.equal(parseDockerTime('0001-01-01T00:00:00Z'), undefined, "Go's zero time");
  t.equal(parseDockerTime('2026-11-21T15:13:51.959307072Z'), Date.UTC(2026, 10, 21, 15, 13, 51, 959) / 1000);
  t.equal(parseDockerTime(''), undefined);
  t.equal(parseDockerTime(7), undefined);
});

t.test('sampleFromStats: cgroup v1 and v2 answers', async (t) => {
  const v1 = sampleFromStats(json('stats-cgroup-v1.json'));
  t.equal(v1.cpuSeconds, 481602795211 / 1e9);
  t.equal(v1.memoryUsageBytes, 327680);
  t.equal(v1.memoryWorkingSetBytes, 327680, 'total_inactive_file 0');
  t.equal(v1.threads, 1);
  t.same(v1.blkio, []);
  t.equal(v1.network, undefined, '--network none: no networks object, no interfaces');

  const v2 = sampleFromStats(json('stats-cgroup-v2.json'));
  t.equal(v2.cpuSeconds, 8.421337);
  t.equal(v2.memoryWorkingSetBytes, 52428800 - 12582912, 'inactive_file on v2');
  t.equal(v2.threads, 12);
  t.same(v2.blkio, [
    { device: '259:0', major: 259, minor: 0, readBytes: 7340032, writeBytes: 2097152 },
    { device: '253:2', major: 253, minor: 2, readBytes: 4096, writeBytes: 0 },
  ]);
  t.same(v2.network, [{ iface: 'eth0', rxBytes: 251904, txBytes: 73128 }]);
  t.same(sampleFromStats(null), { cpuSeconds: undefined, memoryUsageBytes: undefined, memoryWorkingSetBytes: undefined, threads: undefined, blkio: [], network: undefined });
});

t.test('resolveEndpoint: config, DOCKER_HOST, TLS', async (t) => {
  t.same(resolveEndpoint(undefined, undefined, {}), { display: 'unix:///var/run/docker.sock', socketPath: '/var/run/docker.sock' });
  t.same(resolveEndpoint('unix:///run/user/1000/podman/podman.sock', undefined, {}), {
    display: 'unix:///run/user/1000/podman/podman.sock',
    socketPath: '/run/user/1000/podman/podman.sock',
  });
  t.same(resolveEndpoint('/tmp/d.sock', undefined, {}), { display: 'unix:///tmp/d.sock', socketPath: '/tmp/d.sock' });
  t.same(resolveEndpoint(undefined, undefined, { DOCKER_HOST: 'unix:///x.sock' }), { display: 'unix:///x.sock', socketPath: '/x.sock' });
  t.same(resolveEndpoint('tcp://10.0.0.5', undefined, {}), { display: 'tcp://10.0.0.5:2375', host: '10.0.0.5', port: 2375 });

  const files: Record<string, string> = { '/c/ca.pem': 'CA', '/c/cert.pem': 'CERT', '/c/key.pem': 'KEY' };
  const read = (p: string) => files[p] ?? '';
  t.same(resolveEndpoint('tcp://docker.example:2376', { ca_file: '/c/ca.pem', cert_file: '/c/cert.pem', key_file: '/c/key.pem' }, {}, read), {
    display: 'tcp://docker.example:2376',
    host: 'docker.example',
    port: 2376,
    tls: { ca: 'CA', cert: 'CERT', key: 'KEY' },
  });
  t.same(
    resolveEndpoint(undefined, undefined, { DOCKER_HOST: 'tcp://h', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/c' }, read).tls,
    { ca: 'CA', cert: 'CERT', key: 'KEY' },
    "like the docker CLI: DOCKER_TLS_VERIFY with DOCKER_CERT_PATH; port 2376",
  );
  t.equal(resolveEndpoint('https://h', undefined, {}).port, 2376);
  t.throws(() => resolveEndpoint('ssh://me@h', undefined, {}), EngineConfigError);
  t.throws(() => resolveEndpoint('not an address', undefined, {}), /not an address such as/);
  t.throws(() => resolveEndpoint('tcp://h', { ca_file: '/nonexistent/ca.pem' }, {}), /docker TLS ca file \/nonexistent\/ca.pem/);
  const parse = (docker_host: string) => configSchema.safeParse({ exporter: { collectors: { containers: { docker_host } } } });
  t.ok(parse('unix:///run/docker.sock').success && parse('tcp://h:2376').success && parse('/run/docker.sock').success);
  t.match(parse('docker.sock').error?.issues[0]?.message, /expected an address such as unix:\/\/\/var\/run\/docker.sock/, 'check-config catches it');
});

t.test('describeEngineError: one stable sentence per cause', async (t) => {
  const ep = { display: 'unix:///run/docker.sock', socketPath: '/run/docker.sock' };
  const err = (code: string) => Object.assign(new Error(`connect ${code} /run/docker.sock`), { code });
  t.match(describeEngineError(err('ENOENT'), ep), /^Docker engine at unix:\/\/\/run\/docker.sock: socket \/run\/docker.sock does not exist/);
  t.match(describeEngineError(err('EACCES'), ep), /permission denied on the socket/);
  t.match(describeEngineError(err('ECONNREFUSED'), ep), /connection refused/);
  t.match(describeEngineError(new Error('aborted'), ep, 2000), /did not answer within 2000 ms/);
  t.match(describeEngineError(Object.assign(new Error('x'), { statusCode: 500, json: { message: 'boom' } }), ep), /HTTP 500 \(boom\)/);
  t.equal(describeEngineError(err('ENOENT'), ep), describeEngineError(err('ENOENT'), ep));
});

t.test('label names: cAdvisor prefix and sanitising, collisions dropped', async (t) => {
  t.equal(containerLabelName('com.docker.compose.project'), 'container_label_com_docker_compose_project');
  t.equal(containerLabelName('io.kubernetes.pod.name'), 'container_label_io_kubernetes_pod_name');
  const schema = labelSchema(['a.b', 'a_b', 'c-d']);
  t.same(schema.names, ['id', 'name', 'image', 'container_label_a_b', 'container_label_c_d']);
  t.same(schema.collisions, ['a_b']);
});

t.test('writeFamilies: stopped containers get state series only; no empty families', async (t) => {
  const exited = recordFromInspect(json('inspect-oom-killed.json'));
  const registry = new Registry();
  writeFamilies(registry, { containers: [exited], resources: new Map(), sources: { cgroup: 0, stats_api: 0, none: 0 }, nowSeconds: 1 }, labelSchema([]));
  const exp = parseExposition(await registry.metrics());
  t.equal(select(exp, 'tocsin_container_state').length, 7);
  t.equal(value(exp, 'tocsin_container_state', { name: 'oom', state: 'exited' }), 1);
  t.equal(value(exp, 'tocsin_containers', { state: 'exited' }), 1);
  t.equal(value(exp, 'tocsin_container_exit_code', { name: 'oom' }), 137);
  t.equal(value(exp, 'tocsin_container_oom_killed', { name: 'oom' }), 1);
  t.notOk([...exp.types.keys()].some((n) => n.startsWith('container_')), 'no cAdvisor family for a stopped container');
  t.notOk(exp.types.has('tocsin_container_health_status'), 'no health for a stopped container');
});
