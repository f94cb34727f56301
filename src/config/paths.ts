// Relative paths in tocsin.yml (data directories, *_file secrets, the stack's rules and
// Alertmanager config) are relative to the directory of the file that names them, as in
// prometheus.yml: under systemd the working directory is "/", and a config that works from
// one directory must work from any. Defaults of the shipped files point into the package.
import { readdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { pseudoFileSystem } from './fields.js';

/** The package's root directory (the one holding rules/, alertmanager/, examples/). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

// The directory relative paths resolve against while a config is being parsed. zod passes no
// context to its transforms, and parsing is synchronous, so a value set around the parse is
// enough; outside withBaseDir() it is the working directory.
let baseDir: string | undefined;

/** Runs `parse` with relative paths resolving against `dir`. */
export function withBaseDir<T>(dir: string, parse: () => T): T {
  const previous = baseDir;
  baseDir = dir;
  try {
    return parse();
  } finally {
    baseDir = previous;
  }
}

/** `dir` for a config file: its directory. */
export function baseDirOf(file: string): string {
  return dirname(resolve(file));
}

/** A file or directory named in the config, made absolute. */
export const configPath = z
  .string()
  .min(1, 'must not be empty')
  .transform((p) => resolve(baseDir ?? process.cwd(), p));

/** A directory Tocsin writes to: not empty, not on /proc, /sys or a similar pseudo-filesystem. */
export const dataDirectory = z
  .string()
  .min(1, 'must not be empty: give a directory that survives restarts')
  .transform((p) => resolve(baseDir ?? process.cwd(), p))
  .superRefine((dir, ctx) => {
    const fs = pseudoFileSystem(dir);
    if (fs) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(dir)} is on ${fs}, a pseudo-filesystem: nothing can be stored there` });
  });

/** A file that must exist when the config is loaded (a program is started with it). */
export const existingFile = configPath.superRefine((file, ctx) => {
  try {
    if (!statSync(file).isFile()) ctx.addIssue({ code: 'custom', message: `not a file: ${file}` });
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}` });
  }
});

/** A directory of YAML files (rule files) that must hold at least one. */
export const yamlDirectory = configPath.superRefine((dir, ctx) => {
  try {
    if (!readdirSync(dir).some((f) => f.endsWith('.yml') || f.endsWith('.yaml'))) ctx.addIssue({ code: 'custom', message: `holds no .yml files: ${dir}` });
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `cannot read directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? 'error'}` });
  }
});
