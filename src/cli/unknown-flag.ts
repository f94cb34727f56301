// An unknown flag gets an answer that helps: which command has it, or where the setting
// lives in the config file (Tocsin keeps most settings there, unlike node_exporter, whose
// flags like --collector.filesystem.mount-points-exclude users will try first).
import { parseConfig } from '../config/load.js';

/** The config path a flag name points at, e.g. "collector.netdev.device-exclude" -> exporter.collectors.netdev.device_exclude. */
export function configPathForFlag(flag: string): { path: string; exact: boolean } | undefined {
  const parts = flag.split('.').map((p) => p.replace(/-/g, '_'));
  const [head, ...tail] = parts;
  const candidates: string[][] = [parts, ['exporter', ...parts]];
  if (head === 'collector') candidates.push(['exporter', 'collectors', ...tail]);
  if (head === 'path') candidates.push(['exporter', 'paths', ...tail]);
  if (head === 'web') candidates.push(['exporter', ...tail], ['relay', ...tail]);
  const defaults = parseConfig('', 'defaults') as unknown as Record<string, unknown>;
  let best: { path: string; exact: boolean; depth: number } | undefined;
  for (const c of candidates) {
    let node: unknown = defaults;
    let depth = 0;
    for (const key of c) {
      if (node === null || typeof node !== 'object' || Array.isArray(node) || !(key in node)) break;
      node = (node as Record<string, unknown>)[key];
      depth++;
    }
    const exact = depth === c.length;
    // A section alone ("exporter") says little: only a match two levels deep is worth naming.
    if (depth >= 2 && (!best || depth > best.depth || (exact && !best.exact))) best = { path: c.slice(0, depth).join('.'), exact, depth };
  }
  return best && { path: best.path, exact: best.exact };
}

export function unknownFlagMessage(flag: string, command: string, otherCommands: readonly string[]): string {
  if (otherCommands.length) {
    return `flag --${flag} is not a flag of "tocsin ${command}" (it is one of ${otherCommands.map((c) => `"tocsin ${c}"`).join(', ')})`;
  }
  const where = configPathForFlag(flag);
  const lead = `flag --${flag} does not exist`;
  if (where?.exact) return `${lead}: the setting lives in the config file (--config.file) as ${where.path}`;
  if (where) return `${lead}: settings like it live in the config file (--config.file) under ${where.path}`;
  return `${lead}: "tocsin ${command} --help" lists the flags; every other setting is in the config file (see examples/tocsin.yml)`;
}
