// deploy/kubernetes, checked offline: the kustomizations (base and overlays) render with kubectl; every object
// validates against the Kubernetes (kubernetes-models) and Prometheus Operator schemas, strictly
// (an unknown field fails: the models' TypeScript types are checked with tsc's excess-property
// check, which the runtime validators skip); every ConfigMap holds its source file; every
// ConfigMap, Secret and volume a pod names exists; ports and probe paths are the programs';
// the security settings hold, with exactly the listed host-level exceptions.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadAll } from 'js-yaml';
import { kubernetesFiles, REPO } from '../../scripts/kubernetes-files.js';
import { requireBinary } from '../helpers/bin.js';
import { loadDeployConfig } from '../helpers/deploy-config.js';
import { tmpDir } from '../helpers/tmp.js';

const run = promisify(execFile);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;

const BASE = 'deploy/kubernetes/base';
const OPERATOR = 'deploy/kubernetes/overlays/prometheus-operator';
const TWO_REPLICAS = 'deploy/kubernetes/overlays/two-replicas';
const SNS = 'deploy/kubernetes/overlays/sns';

async function render(dir: string): Promise<Obj[]> {
  const kubectl = requireBinary('kubectl', 'kubernetes-client');
  const { stdout } = await run(kubectl, ['kustomize', join(REPO, dir)], { maxBuffer: 32 << 20 });
  return (loadAll(stdout) as Obj[]).filter(Boolean);
}

// apiVersion/kind -> [module, exported class and interface name]
function modelOf(o: Obj): { module: string; kind: string } {
  const [group, version] = String(o.apiVersion).includes('/') ? String(o.apiVersion).split('/') : ['', String(o.apiVersion)];
  if (group === 'monitoring.coreos.com') return { module: `@kubernetes-models/prometheus-operator/${group}/${version}/${o.kind}`, kind: o.kind };
  const path = group === '' ? version : group === 'apps' || group === 'policy' ? `${group}/${version}` : `${group}/${version}`;
  return { module: `kubernetes-models/${path}/${o.kind}`, kind: o.kind };
}

function podsOf(objects: Obj[]): { name: string; spec: Obj }[] {
  return objects.filter((o) => o.spec?.template?.spec).map((o) => ({ name: `${o.kind}/${o.metadata.name}`, spec: o.spec.template.spec }));
}

const byKind = (objects: Obj[], kind: string) => objects.filter((o) => o.kind === kind);

t.test('every kustomization renders, and every object validates against its schema', async (t) => {
  for (const dir of [BASE, OPERATOR, TWO_REPLICAS, SNS]) {
    const objects = await render(dir);
    t.ok(objects.length > 5, `${dir}: rendered ${objects.length} objects`);
    for (const o of objects) {
      const { module, kind } = modelOf(o);
      const mod = (await import(module)) as Record<string, new (data: Obj) => { validate(): void }>;
      const Model = mod[kind];
      if (!Model) {
        t.fail(`${dir}: no model for ${o.apiVersion} ${kind}`);
        continue;
      }
      t.doesNotThrow(() => new Model(o).validate(), `${dir}: ${kind}/${o.metadata?.name} is valid`);
    }
  }
});

t.test('no unknown fields (tsc excess-property check against the models types)', async (t) => {
  const objects = [...(await render(BASE)), ...(await render(TWO_REPLICAS)), ...byKind(await render(SNS), 'Ingress'), ...byKind(await render(SNS), 'NetworkPolicy'), ...byKind(await render(OPERATOR), 'ServiceMonitor'), ...byKind(await render(OPERATOR), 'PrometheusRule'), ...byKind(await render(OPERATOR), 'AlertmanagerConfig')];
  // A canary with an unknown field proves the check can fail.
  const canary = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'canary' }, data: {}, datta: {} };
  const check = (list: Obj[]) =>
    list
      .map((o, i) => {
        const { module, kind } = modelOf(o);
        return `import type { I${kind} as T${i} } from '${module}';\nexport const o${i}: T${i} = ${JSON.stringify(o)};\n`;
      })
      .join('');
  // Inside the repository so the type imports resolve to its node_modules.
  mkdirSync(join(REPO, 'tmp'), { recursive: true });
  const dir = tmpDir(t, 'k8s-strict-', join(REPO, 'tmp'));
  const tsc = join(REPO, 'node_modules/.bin/tsc');
  const args = ['--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022'];
  writeFileSync(join(dir, 'manifests.ts'), check(objects));
  writeFileSync(join(dir, 'canary.ts'), check([canary]));
  const good = await run(tsc, [...args, join(dir, 'manifests.ts')]).then(
    () => '',
    (err: { stdout?: string }) => err.stdout ?? 'tsc failed',
  );
  t.equal(good, '', 'every rendered object type-checks with no unknown or misspelt field');
  const bad = await run(tsc, [...args, join(dir, 'canary.ts')]).then(
    () => '',
    (err: { stdout?: string }) => err.stdout ?? '',
  );
  t.match(bad, /datta/, 'an unknown field is reported (the check can fail)');
});

t.test('generated files are current, and every ConfigMap holds its source file', async (t) => {
  for (const [path, content] of kubernetesFiles()) {
    t.equal(readFileSync(join(REPO, path), 'utf8'), content, `${path} is what \`npm run kubernetes\` writes`);
  }
  const objects = await render(BASE);
  const cm = (prefix: string) => byKind(objects, 'ConfigMap').find((c) => c.metadata.name.startsWith(`${prefix}-`))?.data ?? {};
  t.equal(cm('tocsin-config')['tocsin.yml'], readFileSync(join(REPO, BASE, 'tocsin.yml'), 'utf8'), 'tocsin-config holds base/tocsin.yml');
  t.equal(cm('tocsin-alertmanager')['alertmanager.yml'], readFileSync(join(REPO, 'alertmanager/alertmanager.yml'), 'utf8'), 'the Alertmanager config is alertmanager/alertmanager.yml');
  const rules = cm('tocsin-rules');
  for (const f of readdirSync(join(REPO, 'rules')).filter((n) => n.endsWith('.yml'))) {
    t.equal(rules[f], readFileSync(join(REPO, 'rules', f), 'utf8'), `tocsin-rules holds rules/${f}`);
  }
  // And the configs load as Tocsin configs.
  for (const f of ['tocsin.yml', 'containers.yml']) {
    await t.resolves(loadDeployConfig(join(REPO, BASE, f), '/etc/tocsin/secrets/'), `${f} is a valid Tocsin config`);
  }
});

t.test('everything a pod names exists; ports and probes are the programs', async (t) => {
  const objects = await render(OPERATOR);
  const example = loadAll(readFileSync(join(REPO, BASE, 'secret.example.yaml'), 'utf8')) as Obj[];
  const configMaps = new Set(byKind(objects, 'ConfigMap').map((c) => c.metadata.name));
  const secrets = new Map<string, Obj>(byKind([...objects, ...example], 'Secret').map((s) => [s.metadata.name, s]));
  for (const { name, spec } of podsOf(objects)) {
    const owner = objects.find((o) => `${o.kind}/${o.metadata.name}` === name);
    const claimNames = new Set((owner.spec.volumeClaimTemplates ?? []).map((c: Obj) => c.metadata.name));
    const volumes = new Set<string>([...spec.volumes.map((v: Obj) => v.name), ...claimNames]);
    for (const v of spec.volumes) {
      if (v.configMap) t.ok(configMaps.has(v.configMap.name), `${name}: ConfigMap ${v.configMap.name} exists`);
      if (v.secret) t.ok(secrets.has(v.secret.secretName), `${name}: Secret ${v.secret.secretName} exists (secret.example.yaml)`);
    }
    for (const c of spec.containers) {
      for (const m of c.volumeMounts ?? []) t.ok(volumes.has(m.name), `${name}: volume ${m.name} is declared`);
      for (const p of [c.readinessProbe, c.livenessProbe]) {
        t.ok(['/-/ready', '/-/healthy'].includes(p?.httpGet?.path), `${name}: probe on ${p?.httpGet?.path}`);
        t.ok(c.ports.some((port: Obj) => port.name === p.httpGet.port), `${name}: probe port ${p?.httpGet?.port} is a container port`);
      }
      // The listen address in the args is the container port.
      const listen = c.args.find((a: string) => /^--(web|relay)\.listen-address=/.test(a));
      t.equal(Number(listen?.split(':').pop()), c.ports[0].containerPort, `${name}: listens on its container port`);
    }
  }
  // The relay's Secret holds what its config reads.
  const relayConfig = readFileSync(join(REPO, BASE, 'tocsin.yml'), 'utf8')
    .split('\n')
    .filter((l) => !l.trim().startsWith('#'))
    .join('\n');
  for (const key of relayConfig.matchAll(/\/etc\/tocsin\/secrets\/([a-z-]+)/g)) {
    t.ok(key[1]! in secrets.get('tocsin-relay').stringData, `Secret tocsin-relay has ${key[1]}`);
  }
  // Defaults of the programs: exporter 9469, relay 9470.
  const { exporterSchema } = await import('../../src/config/schema.js');
  t.equal(exporterSchema.parse({}).listen_address, ':9469', 'the exporter default port is the one the manifests use');
  // The ServiceMonitors select Services that exist, by a port those Services have, and give
  // the host exporter job="tocsin", the job HostDown matches.
  const services = byKind(objects, 'Service');
  for (const sm of byKind(objects, 'ServiceMonitor')) {
    const svc = services.find((s) => Object.entries(sm.spec.selector.matchLabels).every(([k, v]) => s.metadata.labels?.[k] === v));
    t.ok(svc, `ServiceMonitor ${sm.metadata.name} selects a Service`);
    t.ok(svc?.spec.ports.some((p: Obj) => p.name === sm.spec.endpoints[0].port), `ServiceMonitor ${sm.metadata.name}: the port exists`);
    t.ok(svc?.metadata.labels?.[sm.spec.jobLabel], `ServiceMonitor ${sm.metadata.name}: the Service carries its jobLabel`);
  }
  const exporterSvc = services.find((s) => s.metadata.name === 'tocsin-exporter');
  t.equal(exporterSvc?.metadata.labels['tocsin.io/job'], 'tocsin', 'the host exporter scrape job is "tocsin" (HostDown)');
  t.match(readFileSync(join(REPO, 'rules/host.yml'), 'utf8'), /up\{job="tocsin"\}/, 'HostDown matches that job');
});

t.test('security settings, with exactly the listed host-level exceptions', async (t) => {
  const objects = await render(BASE);
  const exceptions: string[] = [];
  for (const { name, spec } of podsOf(objects)) {
    t.equal(spec.automountServiceAccountToken, false, `${name}: no service account token`);
    t.equal(spec.securityContext?.seccompProfile?.type, 'RuntimeDefault', `${name}: seccomp RuntimeDefault`);
    if (spec.hostNetwork) exceptions.push(`${name}: hostNetwork`);
    if (spec.hostPID) exceptions.push(`${name}: hostPID`);
    for (const v of spec.volumes) if (v.hostPath) exceptions.push(`${name}: hostPath ${v.hostPath.path}`);
    if (spec.securityContext?.runAsNonRoot !== true) exceptions.push(`${name}: runs as root`);
    for (const c of spec.containers) {
      t.equal(c.securityContext?.allowPrivilegeEscalation, false, `${name}/${c.name}: no privilege escalation`);
      t.equal(c.securityContext?.readOnlyRootFilesystem, true, `${name}/${c.name}: read-only root file system`);
      t.same(c.securityContext?.capabilities?.drop, ['ALL'], `${name}/${c.name}: every capability dropped`);
      t.ok(c.resources?.requests?.memory && c.resources?.limits?.memory, `${name}/${c.name}: memory request and limit`);
      for (const m of c.volumeMounts ?? []) {
        const v = spec.volumes.find((x: Obj) => x.name === m.name);
        if (v?.hostPath) t.equal(m.readOnly, true, `${name}/${c.name}: host path ${v.hostPath.path} mounted read-only`);
      }
    }
  }
  // Each with its reason in the manifests' comments (exporter.yaml, containers.yaml).
  t.same(exceptions.sort(), [
    'DaemonSet/tocsin-containers: hostPath /var/run/docker.sock',
    'DaemonSet/tocsin-containers: runs as root',
    'DaemonSet/tocsin-exporter: hostNetwork',
    'DaemonSet/tocsin-exporter: hostPID',
    'DaemonSet/tocsin-exporter: hostPath /',
    'DaemonSet/tocsin-exporter: hostPath /proc',
    'DaemonSet/tocsin-exporter: hostPath /sys',
  ].sort(), 'the host-level exceptions are exactly the listed ones');
  const exporter = objects.find((o) => o.metadata.name === 'tocsin-exporter' && o.kind === 'DaemonSet');
  t.same(exporter.spec.template.spec.tolerations, [{ operator: 'Exists' }], 'the exporter runs on every node');
  const relay = objects.find((o) => o.kind === 'StatefulSet');
  const imageUser = /^USER (\d+):(\d+)$/m.exec(readFileSync(join(REPO, 'deploy/image/Dockerfile'), 'utf8'));
  t.equal(String(relay.spec.template.spec.securityContext.runAsUser), imageUser?.[1], 'the relay runs as the image user');
  t.equal(String(relay.spec.template.spec.securityContext.fsGroup), imageUser?.[2], 'fsGroup lets that user write the volume and read the Secret');
  t.ok(byKind(objects, 'PodDisruptionBudget').length === 1, 'a PodDisruptionBudget for the relay');
  const policy = byKind(objects, 'NetworkPolicy')[0];
  t.same(policy?.spec.ingress[0].from[0].podSelector.matchExpressions[0].values, ['alertmanager', 'prometheus'], 'only Alertmanager and Prometheus reach the relay');
});

t.test('the SNS overlay: only the SNS path published, to the relay Service, the controller let in, relay.sns configured', async (t) => {
  const objects = await render(SNS);
  const ingress = byKind(objects, 'Ingress');
  t.equal(ingress.length, 1, 'one Ingress');
  const paths = ingress[0].spec.rules.flatMap((r: Obj) => r.http.paths);
  const { SNS_PATH } = await import('../../src/relay/routes/sns.js');
  t.same(paths.map((p: Obj) => [p.path, p.pathType]), [[SNS_PATH, 'Exact']], 'exactly the relay\'s SNS path, nothing else of the relay');
  const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === paths[0].backend.service.name);
  t.ok(service, 'the backend Service exists');
  t.ok(service?.spec.ports.some((p: Obj) => p.name === paths[0].backend.service.port.name), 'with the named port');
  const relay = objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'tocsin-relay');
  const labels = relay.spec.template.metadata.labels;
  const matches = (selector: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
  t.ok(matches(service.spec.selector), 'which selects the relay');
  t.ok(ingress[0].spec.tls?.[0]?.secretName, 'served over TLS (SNS needs a certificate it can verify)');
  const policies = byKind(objects, 'NetworkPolicy').filter((p) => matches(p.spec.podSelector.matchLabels));
  t.equal(policies.length, 2, 'the base policy and one that lets the ingress controller in');
  t.ok(policies.some((p) => p.spec.ingress[0].from[0].namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name']), 'by the controller\'s namespace');
  const baseFile = join(REPO, BASE, 'tocsin.yml');
  const overlayFile = join(REPO, SNS, 'tocsin.yml');
  const { relay: baseRelay, ...baseRest } = loadAll(readFileSync(baseFile, 'utf8'))[0] as Obj;
  const { relay: overlayRelay, ...overlayRest } = loadAll(readFileSync(overlayFile, 'utf8'))[0] as Obj;
  const { sns, ...overlayRelayRest } = overlayRelay;
  t.same({ ...overlayRest, relay: overlayRelayRest }, { ...baseRest, relay: baseRelay }, 'tocsin.yml is the base one plus relay.sns');
  t.ok(sns.topics.length > 0, 'with a topic allow-list');
  const config = byKind(objects, 'ConfigMap').find((c) => c.metadata.name.startsWith('tocsin-config-'));
  t.equal(config?.data['tocsin.yml'], readFileSync(overlayFile, 'utf8'), 'the ConfigMap holds it');
  await t.resolves(loadDeployConfig(overlayFile, '/etc/tocsin/'), 'it is a valid Tocsin config');
});

t.test('the two-replicas overlay: two relays, Redis behind its Service, the config pointing at it, only the relays reaching it', async (t) => {
  const objects = await render(TWO_REPLICAS);
  const named = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
  const relay = named('StatefulSet', 'tocsin-relay');
  const redis = named('StatefulSet', 'tocsin-redis');
  t.equal(relay?.spec.replicas, 2, 'two relay replicas');
  t.ok(relay?.spec.volumeClaimTemplates?.some((c: Obj) => c.metadata.name === 'data'), 'each with its own outbox volume');
  t.equal(redis?.spec.replicas, 1, 'one Redis');
  const matches = (selector: Record<string, string>, labels: Record<string, string> | undefined) => Object.entries(selector).every(([k, v]) => labels?.[k] === v);
  const relayLabels = relay.spec.template.metadata.labels;
  const redisLabels = redis.spec.template.metadata.labels;
  t.notOk(matches(relay.spec.selector.matchLabels, redisLabels), 'the relay Service and selectors do not take in the Redis pod');

  // The config: the base's, plus shared_state pointing at the Redis Service.
  const baseFile = join(REPO, BASE, 'tocsin.yml');
  const overlayFile = join(REPO, TWO_REPLICAS, 'tocsin.yml');
  const { relay: baseRelay, ...baseRest } = loadAll(readFileSync(baseFile, 'utf8'))[0] as Obj;
  const { relay: overlayRelay, ...overlayRest } = loadAll(readFileSync(overlayFile, 'utf8'))[0] as Obj;
  const { shared_state: shared, ...overlayRelayRest } = overlayRelay;
  t.same({ ...overlayRest, relay: overlayRelayRest }, { ...baseRest, relay: baseRelay }, 'tocsin.yml is the base one plus relay.shared_state');
  const config = byKind(objects, 'ConfigMap').find((c) => c.metadata.name.startsWith('tocsin-config-'));
  t.equal(config?.data['tocsin.yml'], readFileSync(overlayFile, 'utf8'), 'the ConfigMap holds it');
  t.equal(new Set(byKind(objects, 'ConfigMap').filter((c) => c.metadata.name.startsWith('tocsin-config-')).map((c) => c.metadata.name)).size, 1, 'one tocsin-config (replaced, not added)');
  await t.resolves(loadDeployConfig(overlayFile, '/etc/tocsin/'), 'it is a valid Tocsin config');
  const [host, port] = String(shared.redis.address).split(':');
  const service = named('Service', host!);
  t.ok(service, `the Service ${host} exists`);
  t.ok(service && matches(service.spec.selector, redisLabels), 'and selects the Redis pod');
  const servicePort = service?.spec.ports.find((p: Obj) => p.port === Number(port));
  t.ok(servicePort, `on port ${port}`);
  const redisContainer = redis.spec.template.spec.containers[0];
  t.ok(redisContainer.ports.some((p: Obj) => p.name === servicePort?.targetPort && p.containerPort === 6379), 'to the Redis container port');
  t.match(redisContainer.args.join(' '), /--port 6379\b/, 'where redis-server listens');

  // The password file the relay reads is the Secret the Redis pod reads.
  const relaySpec = relay.spec.template.spec;
  const passwordFile = String(shared.redis.password_file);
  const mount = relaySpec.containers[0].volumeMounts.find((m: Obj) => passwordFile.startsWith(`${m.mountPath}/`));
  const volume = relaySpec.volumes.find((v: Obj) => v.name === mount?.name);
  t.ok(volume?.secret, `${passwordFile} is on a Secret volume`);
  const redisSecret = redis.spec.template.spec.volumes.find((v: Obj) => v.secret)?.secret.secretName;
  t.equal(volume?.secret?.secretName, redisSecret, 'the same Secret Redis reads its password from');
  const example = loadAll(readFileSync(join(REPO, TWO_REPLICAS, 'secret.example.yaml'), 'utf8'))[0] as Obj;
  t.equal(example.metadata.name, redisSecret, 'secret.example.yaml shows that Secret');
  t.ok(passwordFile.slice(mount.mountPath.length + 1) in example.stringData, 'with the key the relay reads');
  t.match(redisContainer.args.join(' '), /cat \/etc\/redis-secret\/password\) ?"? ?\| exec redis-server -/, 'the password reaches redis-server on standard input, not its command line');
  for (const { name, spec } of podsOf(objects)) {
    const owner = objects.find((o) => `${o.kind}/${o.metadata.name}` === name);
    const volumes = new Set<string>([...spec.volumes.map((v: Obj) => v.name), ...(owner.spec.volumeClaimTemplates ?? []).map((c: Obj) => c.metadata.name)]);
    for (const c of spec.containers) for (const m of c.volumeMounts ?? []) t.ok(volumes.has(m.name), `${name}: volume ${m.name} is declared`);
  }

  // Only the relays reach Redis.
  const policy = named('NetworkPolicy', 'tocsin-redis');
  t.ok(policy && matches(policy.spec.podSelector.matchLabels, redisLabels), 'a NetworkPolicy covers the Redis pod');
  t.same(policy?.spec.policyTypes, ['Ingress'], 'for ingress');
  t.equal(policy?.spec.ingress.length, 1, 'one rule');
  const from = policy?.spec.ingress[0].from;
  t.equal(from?.length, 1, 'one source');
  t.same(from?.[0], { podSelector: { matchLabels: relay.spec.selector.matchLabels } }, 'the relay pods of this namespace, nothing else');
  t.ok(matches(from?.[0].podSelector.matchLabels, relayLabels), 'which are the relay pods');
  t.same(policy?.spec.ingress[0].ports, [{ port: 'redis', protocol: 'TCP' }], 'on the Redis port only');

  // Redis gets the same security settings as the relay.
  const spec = redis.spec.template.spec;
  t.equal(spec.automountServiceAccountToken, false, 'Redis: no service account token');
  t.equal(spec.securityContext.runAsNonRoot, true, 'Redis: not root');
  t.equal(spec.securityContext.seccompProfile.type, 'RuntimeDefault', 'Redis: seccomp RuntimeDefault');
  t.equal(redisContainer.securityContext.readOnlyRootFilesystem, true, 'Redis: read-only root file system');
  t.equal(redisContainer.securityContext.allowPrivilegeEscalation, false, 'Redis: no privilege escalation');
  t.same(redisContainer.securityContext.capabilities.drop, ['ALL'], 'Redis: every capability dropped');
  t.ok(redisContainer.resources.limits.memory, 'Redis: a memory limit');
});
