// Starts `tocsin stack` (exporter, relay, real Prometheus and Alertmanager) for end-to-end
// tests, with the fake Slack behind three severity channels. The rules' `for:` windows and
// Alertmanager's waits are shortened in copies: the windows themselves are covered by the
// promtool tests in test/rules/.
import { chownSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { dump, load } from 'js-yaml';
import type { Test } from 'tap';
import { requireBinary } from './bin.js';
import { FakeSlack } from './fake-slack.js';
import { freePort } from './net.js';
import { startTocsin, type TocsinProcess } from './tocsin-process.js';
import { tmpDir } from './tmp.js';

const ROOT = new URL('../../', import.meta.url).pathname;

/**
 * Copies rules/*.yml with every `for:` (and its copy, the `for` annotation) set to `window`,
 * except for the alerts named in `keep`; thresholds stay as shipped.
 */
export function shortRules(dir: string, window: string, keep: ReadonlySet<string> = new Set()): string {
  const out = join(dir, 'rules');
  mkdirSync(out);
  for (const f of readdirSync(join(ROOT, 'rules')).filter((n) => n.endsWith('.yml'))) {
    const file = load(readFileSync(join(ROOT, 'rules', f), 'utf8')) as {
      groups: { rules: { alert?: string; for?: string; annotations?: Record<string, string> }[] }[];
    };
    for (const rule of file.groups.flatMap((g) => g.rules)) {
      if (rule.alert === undefined || rule.for === undefined || keep.has(rule.alert)) continue;
      rule.for = window;
      // The relay reads the window from the `for` annotation (when the problem began): kept equal.
      if (rule.annotations?.for !== undefined) rule.annotations = { ...rule.annotations, for: window };
    }
    writeFileSync(join(out, f), dump(file, { lineWidth: -1, noRefs: true }));
  }
  return out;
}

/** The shipped alertmanager.yml with waits of a second, so a notification comes in seconds. */
function quickAlertmanager(dir: string): string {
  const config = load(readFileSync(join(ROOT, 'alertmanager', 'alertmanager.yml'), 'utf8')) as {
    route: { group_wait?: string; group_interval?: string; routes?: { group_wait?: string; group_interval?: string }[] };
  };
  for (const r of [config.route, ...(config.route.routes ?? [])]) {
    r.group_wait = '1s';
    r.group_interval = '1s';
  }
  const file = join(dir, 'alertmanager.yml');
  writeFileSync(file, dump(config));
  return file;
}

export interface Stack {
  readonly tocsin: TocsinProcess;
  readonly slack: FakeSlack;
  /** http://127.0.0.1:PORT of the stack's Prometheus. */
  readonly prometheus: string;
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  /** Messages that reached a channel (critical, warning, info) and mention `text`. */
  messages(channel: 'critical' | 'warning' | 'info', text: string): string[];
}

export interface StackOptions {
  /** Run Tocsin (and so its Prometheus and Alertmanager) as nobody when the test is root. */
  readonly unprivileged?: boolean;
  /** Alerts whose shipped `for:` stays when forWindow shortens the others. */
  readonly keepWindowsOf?: readonly string[];
  /** The YAML of exporter.probes (probe targets), indented for that key. */
  readonly probes?: string;
}

/** nobody: the user `unprivileged` runs Tocsin as. */
const NOBODY = 65534;

/**
 * `exporterCollectors` is the YAML of exporter.collectors, indented for that key. `forWindow`
 * shortens the rules' `for:` windows (the windows themselves are covered by promtool).
 */
export async function startStack(t: Test, exporterCollectors: string, forWindow = '2s', options: StackOptions = {}): Promise<Stack> {
  requireBinary('prometheus', 'prometheus');
  requireBinary('prometheus-alertmanager', 'prometheus-alertmanager');
  const dir = tmpDir(t, 'tocsin-e2e-');
  const slack = await FakeSlack.start();
  t.teardown(() => slack.close());
  const [promPort, amPort] = [await freePort(), await freePort()];
  const configFile = join(dir, 'tocsin.yml');
  writeFileSync(
    configFile,
    `exporter:
  listen_address: 127.0.0.1:0
  collectors:
${exporterCollectors}
${options.probes !== undefined ? `  probes:\n${options.probes}\n` : ''}relay:
  listen_address: 127.0.0.1:0
  data_dir: ${dir}/relay
  time_zone: Asia/Seoul
  delivery: {min_interval: 50ms}
  destinations:
    - {name: critical, webhook_url: "\${E2E_CRITICAL}"}
    - {name: warning, webhook_url: "\${E2E_WARNING}"}
    - {name: info, webhook_url: "\${E2E_INFO}"}
  routes:
    - {matchers: ['severity="critical"'], destinations: [critical], mention: '<!here>'}
    - {matchers: ['severity="warning"'], destinations: [warning]}
    - {matchers: ['severity="info"'], destinations: [info]}
stack:
  data_dir: ${dir}/stack
  prometheus_listen_address: 127.0.0.1:${promPort}
  alertmanager_listen_address: 127.0.0.1:${amPort}
  scrape_interval: 1s
  evaluation_interval: 1s
  rules: ${shortRules(dir, forWindow, new Set(options.keepWindowsOf))}
  alertmanager_config: ${quickAlertmanager(dir)}
`,
  );
  const asNobody = options.unprivileged === true && process.getuid?.() === 0;
  if (asNobody) chownTree(dir, NOBODY);
  const tocsin = await startTocsin(['stack', `--config.file=${configFile}`], {
    ...(asNobody ? { uid: NOBODY, gid: NOBODY } : {}),
    timeoutMs: 60_000,
    readyMessage: 'stack running: Ctrl-C stops everything',
    env: { ...process.env, E2E_CRITICAL: slack.url('/critical'), E2E_WARNING: slack.url('/warning'), E2E_INFO: slack.url('/info') },
  });
  t.teardown(() => tocsin.stop());
  const prometheus = `http://127.0.0.1:${promPort}`;
  return {
    tocsin,
    slack,
    prometheus,
    async query(expr) {
      const res = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`);
      return ((await res.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } }).data.result;
    },
    messages(channel, text) {
      return slack
        .requestsTo(`/${channel}`)
        .map((r) => JSON.stringify(r.body))
        .filter((m) => m.includes(text));
    },
  };
}

function chownTree(dir: string, id: number): void {
  chownSync(dir, id, id);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) chownTree(path, id);
    else chownSync(path, id, id);
  }
}

/** Polls until `probe` returns true (or a value); fails with `what` after `timeoutMs`. */
export async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined | false> | T | undefined | false): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(250);
  }
}
