// The container collector against a real Docker engine (a private dockerd, see
// test/helpers/docker-engine.ts): a running container, one OOM-killed (exit 137), one that
// exits 1, one restarted by `--restart on-failure:3`, health checks failing, passing and
// not yet run, a busy loop under `-m 8m`, a container removed while the exporter runs, and
// the stats API fallback for containers whose cgroups the exporter cannot see. Values are
// checked against `docker inspect`, the stats API and /proc, read independently.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Collector } from '../../../src/collectors/collector.js';
import { createContainersCollector, type ContainersCollectorOptions } from '../../../src/collectors/containers/collector.js';
import { containerNetwork } from '../../../src/collectors/containers/pid-files.js';
import { configSchema } from '../../../src/config/schema.js';
import { collectText, silentLogger } from '../../helpers/collect.js';
import { eventually, startDockerEngine, type DockerEngine } from '../../helpers/docker-engine.js';
import { parseExposition, select, value, type Exposition } from '../../helpers/exposition.js';
import { promtoolCheckMetrics } from '../../helpers/promtool.js';

const NOWHERE = fileURLToPath(new URL('../../fixtures/cgroup/nowhere', import.meta.url));
const MiB = 1024 * 1024;

function containersCollector(engine: DockerEngine, sysfs = '/sys', options: ContainersCollectorOptions = {}): Collector {
  const config = configSchema.parse({ exporter: { collectors: { containers: { enabled: true, docker_host: engine.host } } } }).exporter.collectors
    .containers;
  return createContainersCollector(config, { logger: silentLogger, paths: { procfs: '/proc', sysfs, rootfs: '/' } }, options);
}

async function scrape(c: Collector): Promise<{ exp: Exposition; text: string }> {
  const text = await collectText([c]);
  return { exp: parseExposition(text), text };
}

/** GET on the engine's socket, parsed (an independent look at what the engine says). */
function api(engine: DockerEngine, path: string): Promise<any> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: engine.socket, path, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(JSON.parse(body)));
    });
    req.on('error', reject);
    req.end();
  });
}

const one = (exp: Exposition, name: string, labels: Record<string, string>) => {
  const found = select(exp, name, labels);
  return found.length === 1 ? found[0]!.value : undefined;
};

t.test('containers on a real engine', async (t) => {
  const engine = await startDockerEngine(t);
  const collector = containersCollector(engine);
  t.teardown(() => collector.close?.());

  const [running] = await Promise.all([
    engine.run(
      ['--name', 'running', '--label', 'com.docker.compose.project=shop', '--label', 'com.docker.compose.service=api', '--label', 'secret.not.allowed=x'],
      ['sleep', '600'],
    ),
    // Fills its 8 MiB until the kernel OOM killer ends it: exit 137, OOMKilled.
    engine.run(['--name', 'oom', '-m', '8m'], ['sh', '-c', 'a=$(yes)']),
    engine.run(['--name', 'exit1'], ['sh', '-c', 'exit 1']),
    engine.run(['--name', 'restarts', '--restart', 'on-failure:3'], ['sh', '-c', 'sleep 1; exit 3']),
    engine.run(['--name', 'unhealthy', '--health-cmd', 'exit 1', '--health-interval', '1s', '--health-retries', '1'], ['sleep', '600']),
    engine.run(['--name', 'healthy', '--health-cmd', 'exit 0', '--health-interval', '1s'], ['sleep', '600']),
    engine.run(['--name', 'starting', '--health-cmd', 'exit 0', '--health-interval', '1h'], ['sleep', '600']),
    engine.run(['--name', 'busy', '-m', '8m', '--cpus', '0.5'], ['sh', '-c', 'while :; do :; done']),
  ]);

  // Restart counts as scrapes saw them, to see the count grow.
  const restartsSeen: number[] = [];
  const settled = await eventually(
    'every container in its final state',
    async () => {
      const { exp } = await scrape(collector);
      if (value(exp, 'tocsin_collector_success', { collector: 'containers' }) !== 1) return undefined;
      const restarts = one(exp, 'tocsin_container_restarts_total', { name: 'restarts' });
      if (restarts !== undefined && restartsSeen.at(-1) !== restarts) restartsSeen.push(restarts);
      // Each condition by name, so a timeout says which one was never met.
      const conditions: Record<string, boolean> = {
        'oom exited': one(exp, 'tocsin_container_state', { name: 'oom', state: 'exited' }) === 1,
        // Docker may send the oom event after die (see ContainerCache.snapshot).
        'oom killed': one(exp, 'tocsin_container_oom_killed', { name: 'oom' }) === 1,
        'exit1 exited': one(exp, 'tocsin_container_state', { name: 'exit1', state: 'exited' }) === 1,
        'restarts exited': one(exp, 'tocsin_container_state', { name: 'restarts', state: 'exited' }) === 1,
        'restarts 3': restarts === 3,
        'unhealthy unhealthy': one(exp, 'tocsin_container_health_status', { name: 'unhealthy', status: 'unhealthy' }) === 1,
        'healthy healthy': one(exp, 'tocsin_container_health_status', { name: 'healthy', status: 'healthy' }) === 1,
        'busy memory': one(exp, 'container_memory_usage_bytes', { name: 'busy' }) !== undefined,
      };
      const unmet = Object.keys(conditions).filter((k) => !conditions[k]);
      if (unmet.length > 0) throw new Error(`not yet: ${unmet.join(', ')}`);
      return exp;
    },
    // Generous: on a loaded 2-core machine the OOM container fills its 8 MiB slowly, and
    // Docker's restart backoff grows with each restart.
    120_000,
    250,
  );

  t.test('state, exit codes, OOM kills', async (t) => {
    const exp = settled;
    for (const name of ['running', 'oom', 'exit1', 'restarts', 'unhealthy', 'healthy', 'starting', 'busy']) {
      const states = select(exp, 'tocsin_container_state', { name });
      t.equal(states.length, 7, `${name}: one series per state`);
      t.equal(states.reduce((a, s) => a + s.value, 0), 1, `${name}: exactly one current state`);
    }
    t.equal(value(exp, 'tocsin_container_state', { name: 'running', state: 'running' }), 1);
    t.equal(value(exp, 'tocsin_container_exit_code', { name: 'oom' }), 137);
    t.equal(value(exp, 'tocsin_container_oom_killed', { name: 'oom' }), 1, 'OOM-killed (OOMKilled, or an oom event and exit 137)');
    t.equal(value(exp, 'tocsin_container_exit_code', { name: 'exit1' }), 1);
    t.equal(value(exp, 'tocsin_container_oom_killed', { name: 'exit1' }), 0);
    t.equal(value(exp, 'tocsin_container_exit_code', { name: 'restarts' }), 3);
    t.equal(value(exp, 'tocsin_container_exit_code', { name: 'running' }), 0);
    t.equal(value(exp, 'tocsin_containers', { state: 'running' }), 5);
    t.equal(value(exp, 'tocsin_containers', { state: 'exited' }), 3);

    const inspected = await engine.inspect('oom');
    t.comment(`docker inspect oom: ExitCode ${inspected.State.ExitCode}, OOMKilled ${inspected.State.OOMKilled}`);
    t.equal(value(exp, 'tocsin_container_finish_time_seconds', { name: 'oom' }), Date.parse(inspected.State.FinishedAt) / 1000);
    t.equal(value(exp, 'tocsin_container_start_time_seconds', { name: 'oom' }), Date.parse(inspected.State.StartedAt) / 1000);
    t.same(select(exp, 'tocsin_container_finish_time_seconds', { name: 'running' }), [], 'no finish time before a run ended');

    // Every container the engine has, and only those.
    const ids = (await engine.docker('ps', '-aq')).split('\n').filter(Boolean).sort();
    t.same([...new Set(select(exp, 'tocsin_container_state').map((s) => s.labels.id))].sort(), ids);
  });

  t.test('restart count grows under --restart on-failure:3', async (t) => {
    t.same([...restartsSeen].sort((a, b) => a - b), restartsSeen, `never decreases (${restartsSeen.join(' -> ')})`);
    t.equal(restartsSeen.at(-1), 3);
    t.ok(restartsSeen.length >= 2, 'seen below 3 before 3 (each run lasts a second)');
    t.equal((await engine.inspect('restarts')).RestartCount, 3, 'as docker inspect says');
  });

  t.test('health: unhealthy, healthy, starting, none', async (t) => {
    const exp = settled;
    const status = (name: string) =>
      Object.fromEntries(select(exp, 'tocsin_container_health_status', { name }).map((s) => [s.labels.status, s.value]));
    t.same(status('unhealthy'), { starting: 0, healthy: 0, unhealthy: 1 });
    t.same(status('healthy'), { starting: 0, healthy: 1, unhealthy: 0 });
    t.same(status('starting'), { starting: 1, healthy: 0, unhealthy: 0 });
    t.same(status('running'), { none: 1 });
    t.same(status('oom'), {}, 'not for a stopped container');
    t.ok(value(exp, 'tocsin_container_health_failing_streak', { name: 'unhealthy' }) >= 1);
    // cAdvisor's encoding: 1 healthy, 0 unhealthy or starting, -1 no health check.
    t.equal(value(exp, 'container_health_state', { name: 'healthy' }), 1);
    t.equal(value(exp, 'container_health_state', { name: 'unhealthy' }), 0);
    t.equal(value(exp, 'container_health_state', { name: 'starting' }), 0);
    t.equal(value(exp, 'container_health_state', { name: 'running' }), -1);
  });

  t.test('identity labels and the label allow-list', async (t) => {
    const [sample] = select(settled, 'tocsin_container_exit_code', { name: 'running' });
    t.same(sample?.labels, {
      id: running.slice(0, 12),
      name: 'running',
      image: engine.image,
      container_label_com_docker_compose_project: 'shop',
      container_label_com_docker_compose_service: 'api',
      container_label_io_kubernetes_pod_namespace: '',
      container_label_io_kubernetes_pod_name: '',
      container_label_io_kubernetes_container_name: '',
    });
  });

  t.test('resources of the busy loop under -m 8m, against the stats API and docker inspect', async (t) => {
    const id = (await engine.inspect('busy')).Id as string;
    const before = await api(engine, `/containers/${id}/stats?stream=false&one-shot=true`);
    const { exp } = await scrape(collector);
    const cpu = value(exp, 'container_cpu_usage_seconds_total', { name: 'busy', cpu: 'total' });
    t.ok(cpu >= before.cpu_stats.cpu_usage.total_usage / 1e9, 'CPU seconds: at least what the stats API said just before');
    t.equal(value(exp, 'container_spec_memory_limit_bytes', { name: 'busy' }), 8 * MiB);
    t.equal(before.memory_stats.limit, 8 * MiB, 'the engine agrees on the limit');
    t.equal(value(exp, 'container_spec_memory_limit_bytes', { name: 'running' }), 0, 'unlimited is 0, as cAdvisor');
    t.equal(value(exp, 'container_spec_cpu_quota', { name: 'busy' }), 50_000, '--cpus 0.5: half of each 100 ms period');
    t.equal(value(exp, 'container_spec_cpu_period', { name: 'busy' }), 100_000);
    t.equal(select(exp, 'container_spec_cpu_quota', { name: 'running' }).length, 0, 'no CPU limit: no quota series, as cAdvisor');
    const usage = value(exp, 'container_memory_usage_bytes', { name: 'busy' });
    const ws = value(exp, 'container_memory_working_set_bytes', { name: 'busy' });
    t.ok(usage > 0 && usage <= 8 * MiB, `memory usage ${usage} within the limit`);
    t.ok(ws <= usage, 'working set <= usage');
    t.ok(value(exp, 'container_threads', { name: 'busy' }) >= 1);
    t.ok(Math.abs(value(exp, 'container_last_seen', { name: 'busy' }) - Date.now() / 1000) < 60);
    const started = Date.parse((await engine.inspect('busy')).State.StartedAt) / 1000;
    t.equal(value(exp, 'container_start_time_seconds', { name: 'busy' }), started);
    t.equal(value(exp, 'tocsin_container_resource_sources', { source: 'cgroup' }), 5, 'all from cgroup files on this machine');
    t.same(select(exp, 'container_cpu_usage_seconds_total', { name: 'oom' }), [], 'no resource series for stopped containers');

    await eventually('CPU seconds grow', async () => {
      const later = value((await scrape(collector)).exp, 'container_cpu_usage_seconds_total', { name: 'busy', cpu: 'total' });
      return later > cpu ? later : undefined;
    });
  });

  t.test('network: the container namespace holds only loopback under --network none', async (t) => {
    const pid = (await engine.inspect('running')).State.Pid as number;
    const ifaces = containerNetwork(readFileSync(`/proc/${pid}/net/dev`, 'utf8'), true)!.map((n) => n.iface);
    t.same(ifaces, ['lo'], 'the container’s /proc/<pid>/net/dev is readable');
    t.same(select(settled, 'container_network_receive_bytes_total', { name: 'running' }), [], 'loopback is left out, as cAdvisor does');
  });

  t.test('a container removed while the exporter runs disappears', async (t) => {
    await engine.run(['--name', 'doomed'], ['sleep', '600']);
    await eventually('doomed appears', async () =>
      one((await scrape(collector)).exp, 'tocsin_container_state', { name: 'doomed', state: 'running' }) === 1 ? true : undefined,
    );
    await engine.docker('rm', '-f', 'doomed');
    const exp = await eventually('doomed is gone', async () => {
      const { exp } = await scrape(collector);
      return select(exp, 'tocsin_container_state', { name: 'doomed' }).length === 0 ? exp : undefined;
    });
    t.same(select(exp, 'container_last_seen', { name: 'doomed' }), []);
    t.equal(value(exp, 'tocsin_collector_success', { collector: 'containers' }), 1);
  });

  t.test('cgroups not visible: figures from the stats API, in the background', async (t) => {
    const blind = containersCollector(engine, NOWHERE, { statsRefreshMs: 1_000 });
    t.teardown(() => blind.close?.());
    const exp = await eventually('stats API figures', async () => {
      const { exp } = await scrape(blind);
      return one(exp, 'container_cpu_usage_seconds_total', { name: 'busy', cpu: 'total' }) !== undefined &&
        one(exp, 'tocsin_container_resource_sources', { source: 'stats_api' }) === 5
        ? exp
        : undefined;
    });
    t.equal(value(exp, 'tocsin_container_resource_sources', { source: 'cgroup' }), 0);
    const usage = value(exp, 'container_memory_usage_bytes', { name: 'busy' });
    t.ok(usage > 0 && usage <= 8 * MiB);
    t.ok(value(exp, 'container_cpu_usage_seconds_total', { name: 'busy', cpu: 'total' }) > 0);
  });

  t.test('promtool check metrics', async (t) => {
    const { text } = await scrape(collector);
    const check = promtoolCheckMetrics(text);
    t.same(check.unexpected, [], 'promtool reports nothing');
    t.equal(check.status, 0);
  });
});
