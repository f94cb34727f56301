// Small helpers shared by the host collectors. Every path is resolved under the
// configured procfs/sysfs/rootfs, never a literal "/proc", so the same code reads a
// container's bind-mounted /host/proc or a test fixture tree.
//
// The host collectors read /proc and /sys themselves rather than through systeminformation:
// its currentLoad() blocks the event loop in execSync and fsSize() spawns `df`, both on
// the scrape path, and reading these few files directly is cheaper than any process.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The kernel's clock-tick unit for /proc/stat. node_exporter (through procfs) hard-codes
 * it rather than asking sysconf(_SC_CLK_TCK), since Linux fixes USER_HZ at 100 on every
 * architecture that matters; doing the same keeps the values identical.
 */
export const USER_HZ = 100;

/** Reads a file under the procfs root, e.g. readProcFile(procfs, 'net/dev'). */
export function readProcFile(procfs: string, name: string, signal?: AbortSignal): Promise<string> {
  return readFile(join(procfs, name), { encoding: 'utf8', signal });
}

/** A line's whitespace-separated fields (Go's strings.Fields). */
export function fields(line: string): string[] {
  const trimmed = line.trim();
  return trimmed === '' ? [] : trimmed.split(/\s+/);
}

/** Parses a field that must be a number; a corrupt file is an error, not a silent 0. */
export function num(text: string | undefined, what: string): number {
  const value = text === undefined || text === '' ? NaN : Number(text);
  if (!Number.isFinite(value)) throw new Error(`invalid ${what}: ${JSON.stringify(text)}`);
  return value;
}

/** An optional exclude pattern, unanchored like Go's regexp.MatchString. */
export function excluder(pattern: string | undefined): (name: string) => boolean {
  if (pattern === undefined || pattern === '') return () => false;
  const re = new RegExp(pattern);
  return (name) => re.test(name);
}
