// deploy/compose, checked offline: docker-compose validates the file against the Compose
// specification's schema; every file it mounts from the repository exists; the ports and URLs
// that wire the services together are the programs' defaults and the shipped files' own; the
// secrets stay out of git.
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { load } from 'js-yaml';
import { REPO } from '../../scripts/kubernetes-files.js';
import { WEBHOOK_PATH } from '../../src/relay/routes/alertmanager.js';
import { requireBinary } from '../helpers/bin.js';
import { loadDeployConfig } from '../helpers/deploy-config.js';

const run = promisify(execFile);
const DIR = join(REPO, 'deploy/compose');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const yaml = (file: string): any => load(readFileSync(file, 'utf8'));
const compose = yaml(join(DIR, 'compose.yml'));

t.test('docker-compose validates the file against the Compose schema', async (t) => {
  const dc = requireBinary('docker-compose', 'docker-compose');
  const { stderr } = await run(dc, ['--env-file', join(DIR, '.env.example'), '-f', join(DIR, 'compose.yml'), 'config', '-q']);
  t.equal(stderr.trim(), '', 'no complaints');
});

t.test('every file mounted from the repository exists', async (t) => {
  for (const [name, svc] of Object.entries<{ volumes?: string[] }>(compose.services)) {
    for (const v of svc.volumes ?? []) {
      const source = v.split(':')[0]!;
      if (!source.startsWith('.')) continue; // named volumes and host paths (/proc, /sys, /)
      t.ok(existsSync(resolve(DIR, source)), `${name}: ${source} exists`);
    }
  }
  for (const dashboard of ['tocsin-host.json', 'tocsin-processes.json', 'tocsin-containers.json', 'tocsin-relay.json', 'tocsin-probes.json']) {
    t.ok(existsSync(join(REPO, 'grafana', dashboard)), `Grafana gets ${dashboard}`);
  }
});

t.test('the services find each other on the programs default ports', async (t) => {
  const { exporterSchema } = await import('../../src/config/schema.js');
  const exporterPort = exporterSchema.parse({}).listen_address.split(':').pop();
  const prom = yaml(join(DIR, 'prometheus.yml'));
  const target = (job: string) => prom.scrape_configs.find((c: { job_name: string }) => c.job_name === job)?.static_configs[0].targets[0];
  t.equal(target('tocsin'), `localhost:${exporterPort}`, 'Prometheus scrapes the exporter as job "tocsin" (HostDown)');
  t.equal(target('tocsin-relay'), 'localhost:9470', 'and the relay');
  t.same(prom.rule_files, ['/etc/prometheus/rules/*.yml'], 'with the shipped rules');
  t.ok(compose.services.prometheus.volumes.includes('../../rules:/etc/prometheus/rules:ro'), 'mounted from rules/');
  t.equal(prom.alerting.alertmanagers[0].static_configs[0].targets[0], 'localhost:9093', 'alerts go to Alertmanager');

  const am = yaml(join(REPO, 'alertmanager/alertmanager.yml'));
  const webhook = am.receivers.flatMap((r: { webhook_configs?: unknown[] }) => r.webhook_configs ?? [])[0];
  t.equal(webhook.url, `http://localhost:9470${WEBHOOK_PATH}`, 'Alertmanager sends to the relay');
  const tokenTarget = compose.services.alertmanager.secrets[0].target;
  t.equal(webhook.http_config.authorization.credentials_file, tokenTarget, 'with the token where the secret is mounted');

  process.env.SLACK_WEBHOOK_CRITICAL = process.env.SLACK_WEBHOOK_WARNING = process.env.SLACK_WEBHOOK_INFO = 'https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX';
  const config = await loadDeployConfig(join(DIR, 'tocsin.yml'), dirname(tokenTarget));
  t.pass('deploy/compose/tocsin.yml is a valid Tocsin config');
  t.match(readFileSync(join(DIR, 'tocsin.yml'), 'utf8'), new RegExp(`bearer_token_file: ${tokenTarget}`), 'the relay reads the same token');
  if (config) t.equal(config.relay.listen_address, ':9470', 'the relay listens on 9470');
  const grafana = yaml(join(DIR, 'grafana/provisioning/datasources/prometheus.yml'));
  t.equal(grafana.datasources[0].url, 'http://localhost:9090', 'Grafana reads Prometheus');
  for (const name of ['tocsin-exporter', 'tocsin-relay', 'prometheus', 'alertmanager', 'grafana']) {
    t.equal(compose.services[name].network_mode, 'host', `${name} runs in the host network (localhost wiring)`);
  }
  t.equal(compose.services['tocsin-exporter'].pid, 'host', 'the exporter sees the host processes');
});

t.test('the Slack URLs and the token stay out of git', async (t) => {
  const { stdout } = await run('git', ['check-ignore', 'deploy/compose/.env', 'deploy/compose/relay-token'], { cwd: REPO });
  t.same(stdout.trim().split('\n'), ['deploy/compose/.env', 'deploy/compose/relay-token'], 'both are git-ignored');
  t.match(readFileSync(join(DIR, '.env.example'), 'utf8'), /REPLACE/, '.env.example holds placeholders only');
});
