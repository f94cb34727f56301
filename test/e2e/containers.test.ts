// End to end with a real Docker engine: a container that exits with 137 fires
// ContainerStopped in the critical channel and resolves when it runs again; an unhealthy
// container fires ContainerUnhealthy in the warning channel.
import t from 'tap';
import { startDockerEngine } from '../helpers/docker-engine.js';
import { startStack, until } from '../helpers/stack.js';

t.test('container stopped (137) and unhealthy, through Prometheus and Alertmanager to the fake Slack', async (t) => {
  const engine = await startDockerEngine(t);
  // Runs 8 s, then dies as if SIGKILLed; starting it again runs it anew.
  const api = await engine.run(['--name', 'e2e-api'], ['sh', '-c', 'sleep 8; exit 137']);
  await engine.run(
    ['--name', 'e2e-sick', '--health-cmd', 'false', '--health-interval', '1s', '--health-retries', '1', '--health-start-period', '0s'],
    ['sleep', '3600'],
  );
  const stack = await startStack(
    t,
    `    containers:
      enabled: true
      docker_host: ${engine.host}`,
  );

  await until('the container to have exited', 30_000, async () => {
    const r = await stack.query('tocsin_container_exit_code{name="e2e-api"}');
    return r[0] !== undefined && Number(r[0].value[1]) === 137;
  });
  t.pass('Prometheus sees exit code 137');

  const stopped = () => stack.messages('critical', 'ContainerStopped');
  await until('ContainerStopped in the critical channel', 60_000, () => stopped().some((m) => m.includes('e2e-api')));
  t.match(stopped()[0]!, /FIRING/);
  t.match(stopped()[0]!, /137/, 'the message shows the exit code');

  const sick = () => stack.messages('warning', 'ContainerUnhealthy');
  await until('ContainerUnhealthy in the warning channel', 60_000, () => sick().some((m) => m.includes('e2e-sick')));
  t.match(sick()[0]!, /FIRING/);

  // Running again: the stopped alert resolves (the container's new run lasts 8 s, enough
  // for Prometheus to see it running with a 1 s scrape interval and a 2 s window).
  await engine.docker('start', api);
  await until('ContainerStopped resolved', 60_000, () => stopped().some((m) => m.includes('RESOLVED')));
  t.pass('resolved notice in the critical channel');
});
