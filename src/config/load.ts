// Reads, parses and validates tocsin.yml. Every failure becomes a ConfigError whose
// message names the file and the dotted path of the bad field, which is what the CLI
// prints before exiting 1.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { load as loadYaml } from 'js-yaml';
import type { z } from 'zod';
import { baseDirOf, withBaseDir } from './paths.js';
import { configSchema, type Config } from './schema.js';
import { describeYamlError, SECRET_VALUE } from './yaml-error.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`${file}: invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

/** The example config shipped with Tocsin, used when no --config.file is given. */
export const EXAMPLE_CONFIG_FILE = fileURLToPath(new URL('../../examples/tocsin.yml', import.meta.url));

/** `exporter.collectors.process.groups[2].cmdline`, the way a user would point at it. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || '(top level)';
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    const where = issue.path.length ? `${formatPath(issue.path)}: ` : '';
    // A mis-indented line can turn a pasted webhook URL into a key: do not echo it.
    const keys = issue.keys.map((k) => (SECRET_VALUE.test(k) ? '(a key that looks like a secret)' : JSON.stringify(k)));
    return `${where}unknown key${issue.keys.length > 1 ? 's' : ''} ${keys.join(', ')}`;
  }
  return `${formatPath(issue.path)}: ${issue.message}`;
}

/**
 * Parses `text`, read from `file`. Relative paths in it resolve against `baseDir`: the file's
 * directory, or the working directory for the built-in example (its location inside the
 * package is no place for data).
 */
export function parseConfig(text: string, file: string, baseDir = file === EXAMPLE_CONFIG_FILE ? process.cwd() : baseDirOf(file)): Config {
  let raw: unknown;
  try {
    // An empty file means "all defaults", not an error.
    raw = text.trim() === '' ? {} : (loadYaml(text, { filename: file }) ?? {});
  } catch (err) {
    throw new ConfigError(file, [describeYamlError(err, text)]);
  }
  const result = withBaseDir(baseDir, () => configSchema.safeParse(raw));
  if (!result.success) throw new ConfigError(file, result.error.issues.map(describe));
  return result.data;
}

export async function loadConfig(file: string = EXAMPLE_CONFIG_FILE): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
  }
  return parseConfig(text, file);
}
