// `promtool check metrics` on an exposition, accepting one lint we cannot satisfy:
// node_exporter's /proc/meminfo names are camelCase (node_memory_MemTotal_bytes),
// promtool 2.42 wants snake_case and has no switch to turn that lint off, and
// compatibility with node_exporter's dashboards and alerts wins. node_exporter's own
// output draws the same complaints. Those lines, and only those, are accepted.
import { spawnSync } from 'node:child_process';
import { requireBinary } from './bin.js';

const CAMEL_CASE_LINT = /^(node_memory_[a-zA-Z0-9_]+) metric names should be written in 'snake_case' not 'camelCase'$/;

export interface PromtoolResult {
  /** Everything promtool printed except the accepted camelCase meminfo lint. */
  readonly unexpected: readonly string[];
  /** Family names promtool flagged as camelCase. */
  readonly camelCase: readonly string[];
  /** 0 clean, 3 lint warnings, anything else a failure to parse. */
  readonly status: number | null;
}

export function promtoolCheckMetrics(text: string): PromtoolResult {
  const promtool = requireBinary('promtool', 'prometheus');
  const check = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 20_000 });
  if (check.error) throw check.error;
  const lines = `${check.stdout}${check.stderr}`.split('\n').filter((l) => l !== '');
  return {
    unexpected: lines.filter((l) => !CAMEL_CASE_LINT.test(l)),
    camelCase: lines.flatMap((l) => CAMEL_CASE_LINT.exec(l)?.[1] ?? []).sort(),
    status: check.status,
  };
}

/** Families that node_exporter names in camelCase (so promtool flags them). */
export function camelCaseFamilies(names: Iterable<string>): string[] {
  return [...names].filter((n) => n.startsWith('node_memory_') && /[a-z][A-Z]/.test(n)).sort();
}
