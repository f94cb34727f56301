// The files under deploy/kubernetes/ that are made from the repository's own sources, since
// kustomize reads nothing outside its folder: copies of rules/*.yml and
// alertmanager/alertmanager.yml for the base's ConfigMaps, and the Operator overlay's
// PrometheusRule holding every group of rules/. `npm run kubernetes` writes them;
// test/deploy/kubernetes.test.ts fails when a committed one differs from what this makes.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dump, load } from 'js-yaml';

export const REPO = fileURLToPath(new URL('../', import.meta.url));
const RULES = join(REPO, 'rules');

const HEADER = `# Written by \`npm run kubernetes\` from rules/*.yml: do not edit (edit rules/ and run it again).
`;

/** Repository-relative path -> content, for every generated file. */
export function kubernetesFiles(): Map<string, string> {
  const out = new Map<string, string>();
  const ruleFiles = readdirSync(RULES).filter((f) => f.endsWith('.yml')).sort();
  const groups: unknown[] = [];
  for (const f of ruleFiles) {
    const text = readFileSync(join(RULES, f), 'utf8');
    out.set(`deploy/kubernetes/base/files/rules/${f}`, text);
    groups.push(...((load(text) as { groups: unknown[] }).groups ?? []));
  }
  out.set('deploy/kubernetes/base/files/alertmanager.yml', readFileSync(join(REPO, 'alertmanager/alertmanager.yml'), 'utf8'));
  const rule = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name: 'tocsin',
      // kube-prometheus's Prometheus selects rules with these labels; set yours to match.
      labels: { 'app.kubernetes.io/name': 'tocsin', prometheus: 'k8s', role: 'alert-rules' },
    },
    spec: { groups },
  };
  out.set('deploy/kubernetes/overlays/prometheus-operator/prometheusrule.yaml', HEADER + dump(rule, { lineWidth: -1, noRefs: true }));
  return out;
}
