// Which group a process belongs to, from the `exporter.collectors.process.groups` config.
//
// Matching rules (the README is written from these):
// - Groups are tried in config order; a process belongs to the FIRST group that matches,
//   or to none. It is decided when the process is first seen (re-decided while the process
//   is younger than a few seconds, see collector.ts), not on every scrape.
// - A group lists up to three matcher kinds: `comm`, `exe`, `cmdline`. Every kind given
//   must match (AND). Within `comm` and `exe`, any of the list may match (OR); within
//   `cmdline`, every regex must match (AND), as in process-exporter, so a config moved from
//   it keeps its meaning: `cmdline: ['java', '-jar kafka']` needs both.
// - `comm` regexes must match the whole comm (the name in /proc/<pid>/stat, at most 15
//   bytes, e.g. "postgres" or "kworker/0:1"): `mysqld` does not match "mysqld_safe".
// - `exe` regexes must match the whole executable path or the whole basename:
//   `/usr/sbin/nginx` and `nginx` both match /usr/sbin/nginx. The path is the target of
//   /proc/<pid>/exe (" (deleted)" dropped; argv[0] when the link cannot be read, i.e.
//   another user's process while Tocsin is not root). When the executable does not match,
//   argv[0] and its basename are tried too, as process-exporter only looks at argv[0]:
//   `python3` still matches /usr/bin/python3 -> python3.11 started as "python3 app.py".
// - `cmdline` regexes are searched anywhere in the argv joined by single spaces, as
//   process-exporter does: `-jar\s+kafka` matches "java -Xmx1g -jar kafka.jar".
// - A group `name` is fixed ("mysqld") or a template with placeholders that makes one
//   group per distinct value: {comm}, {exebase} (basename of the executable), {exefull}
//   (its full path), {matches.NAME} (the named capture group `(?<NAME>...)` of the cmdline
//   regexes; empty when it did not participate). For a process with no
//   executable (kernel threads) {exefull} and {exebase} are its comm.
// - A fixed group is always reported, with num_procs 0 when nothing matches, so "mysqld
//   is not running" is alertable; a template group exists only while it has processes.
import type { ProcessGroupConfig } from '../../config/schema.js';

/** What matching may look at; exe and argv are read lazily, only if some group needs them. */
export interface ProcessFacts {
  readonly comm: string;
  /** The executable's path; undefined when there is none (kernel threads). */
  exe(): string | undefined;
  /** argv from /proc/<pid>/cmdline; empty for kernel threads and zombies. */
  argv(): readonly string[];
}

export class GroupConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GroupConfigError';
  }
}

type Placeholder = { readonly kind: 'comm' | 'exebase' | 'exefull' } | { readonly kind: 'match'; readonly name: string };
type Part = string | Placeholder;

interface CompiledGroup {
  readonly name: string;
  /** undefined for a fixed name. */
  readonly template: readonly Part[] | undefined;
  readonly comm: readonly RegExp[] | undefined;
  readonly exe: readonly RegExp[] | undefined;
  readonly cmdline: readonly RegExp[] | undefined;
}

const PLACEHOLDER = /\{([^{}]*)\}/g;

function anchored(source: string): RegExp {
  return new RegExp(`^(?:${source})$`);
}

/** The named capture groups of a regex: an empty alternative matches '' and lists them all. */
function namedGroups(source: string): string[] {
  return Object.keys(new RegExp(`(?:${source})|`).exec('')!.groups ?? {});
}

function parseTemplate(group: ProcessGroupConfig): Part[] | undefined {
  const parts: Part[] = [];
  let last = 0;
  for (const m of group.name.matchAll(PLACEHOLDER)) {
    if (m.index > last) parts.push(group.name.slice(last, m.index));
    last = m.index + m[0].length;
    const key = m[1]!;
    if (key === 'comm' || key === 'exebase' || key === 'exefull') {
      parts.push({ kind: key });
    } else if (key.startsWith('matches.') && key.length > 'matches.'.length) {
      const name = key.slice('matches.'.length);
      if (!(group.cmdline ?? []).some((re) => namedGroups(re).includes(name))) {
        throw new GroupConfigError(
          `process group "${group.name}": {${key}} needs a cmdline regex with a named group (?<${name}>...)`,
        );
      }
      parts.push({ kind: 'match', name });
    } else {
      throw new GroupConfigError(
        `process group "${group.name}": unknown placeholder {${key}}; use {comm}, {exebase}, {exefull} or {matches.NAME}`,
      );
    }
  }
  if (parts.length === 0) return undefined;
  if (last < group.name.length) parts.push(group.name.slice(last));
  return parts;
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function matchesPath(regexes: readonly RegExp[], path: string | undefined): boolean {
  if (!path) return false;
  const base = basename(path);
  return regexes.some((re) => re.test(path) || re.test(base));
}

export class GroupMatcher {
  private readonly groups: readonly CompiledGroup[];
  /** Names of the groups without placeholders: reported even when empty. */
  readonly fixedNames: readonly string[];

  constructor(config: readonly ProcessGroupConfig[]) {
    this.groups = config.map((g) => ({
      name: g.name,
      template: parseTemplate(g),
      comm: g.comm?.map(anchored),
      exe: g.exe?.map(anchored),
      cmdline: g.cmdline?.map((re) => new RegExp(re)),
    }));
    this.fixedNames = [...new Set(this.groups.filter((g) => !g.template).map((g) => g.name))];
  }

  get size(): number {
    return this.groups.length;
  }

  /** The name of the first group the process matches, or undefined. May throw what `exe()`/`argv()` throw. */
  match(p: ProcessFacts): string | undefined {
    for (const g of this.groups) {
      // Cheapest first: comm is already known; exe and argv may cost a read each.
      if (g.comm && !g.comm.some((re) => re.test(p.comm))) continue;
      if (g.exe && !matchesPath(g.exe, p.exe()) && !matchesPath(g.exe, p.argv()[0])) continue;
      let captures: Record<string, string | undefined> | undefined;
      if (g.cmdline) {
        const joined = p.argv().join(' ');
        const found = g.cmdline.map((re) => re.exec(joined));
        if (found.some((m) => m === null)) continue;
        captures = {};
        for (const m of found) {
          for (const [k, v] of Object.entries(m!.groups ?? {})) if (v !== undefined) captures[k] = v;
        }
      }
      return g.template ? render(g.template, p, captures) : g.name;
    }
    return undefined;
  }
}

function render(template: readonly Part[], p: ProcessFacts, captures: Record<string, string | undefined> | undefined): string {
  let out = '';
  for (const part of template) {
    if (typeof part === 'string') out += part;
    else if (part.kind === 'comm') out += p.comm;
    else if (part.kind === 'match') out += captures?.[part.name] ?? '';
    else {
      const exe = p.exe();
      out += exe === undefined ? p.comm : part.kind === 'exefull' ? exe : basename(exe);
    }
  }
  return out;
}

export function compileGroups(config: readonly ProcessGroupConfig[]): GroupMatcher {
  return new GroupMatcher(config);
}
