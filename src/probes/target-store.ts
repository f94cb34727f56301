// Targets added through /api/v1/targets, which targets are paused, and maintenance windows set
// through /api/v1/targets/{name}/maintenance (for any target, the config file's too). Kept in
// `targets.json` in exporter.probes.data_dir, written atomically (a crash leaves the old or the
// new file, never half of one) and read back at start, so API targets survive restarts.
// Each target is stored as the request body that created it, and validated with the config
// file's schema for one target whenever it is read, so the file and the API accept the same.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { probeTargetSchema, type ProbeTargetConfig } from '../config/probes.js';
import { maintenanceWindowSchema, type MaintenanceWindow } from '../config/maintenance.js';
import { z } from 'zod';
import { removeStaleTempFiles, writeFileAtomic } from '../util/atomic-file.js';

export type TargetBody = Record<string, unknown>;

interface StoreFile {
  readonly version: 1;
  readonly targets: TargetBody[];
  readonly paused: string[];
  /** Maintenance windows set through the API, per target name, as the request gave them. */
  readonly maintenance?: Record<string, unknown[]>;
}

export class TargetStoreError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

// Credentials resolved from ${ENV} or a file would let an API caller send the exporter's
// environment or files to a URL of their choosing: only the config file may name them.
const REFUSED: readonly (readonly string[])[] = [
  ['http', 'basic_auth'],
  ['http', 'bearer_token'],
  ['http', 'bearer_token_file'],
  ['tls', 'ca_file'],
];

/** Validates one target body as the config file would; throws 400 naming the field. */
export function parseTargetBody(body: unknown): ProbeTargetConfig {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new TargetStoreError(400, 'body must be a JSON object');
  for (const [section, key] of REFUSED) {
    const s = (body as TargetBody)[section!];
    if (typeof s === 'object' && s !== null && key! in s) {
      throw new TargetStoreError(400, `body.${section}.${key}: credentials and files cannot be set through the API; declare this target in the config file`);
    }
  }
  const parsed = probeTargetSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    // An unknown field is named by its own path, as the config file's errors name it.
    const unknown = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
    const path = ['body', ...issue.path, ...(unknown !== undefined ? [unknown] : [])].join('.');
    throw new TargetStoreError(400, `${path}: ${unknown !== undefined ? 'unknown field' : issue.message}`);
  }
  return parsed.data;
}

const windowsSchema = z.array(maintenanceWindowSchema).max(100);

/** Validates the windows of PUT /api/v1/targets/{name}/maintenance; throws 400 naming the field. */
export function parseWindows(windows: unknown): MaintenanceWindow[] {
  const parsed = windowsSchema.safeParse(windows);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const unknown = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
    const path = ['body', 'windows', ...issue.path, ...(unknown !== undefined ? [unknown] : [])].join('.');
    throw new TargetStoreError(400, `${path}: ${unknown !== undefined ? 'unknown field' : issue.message}`);
  }
  return parsed.data as MaintenanceWindow[];
}

export class TargetStore {
  private bodies = new Map<string, TargetBody>();
  private parsed = new Map<string, ProbeTargetConfig>();
  private pausedNames = new Set<string>();
  private windowBodies = new Map<string, unknown[]>();
  private windows = new Map<string, MaintenanceWindow[]>();
  // Serialises writes so two API calls never interleave their read-modify-write.
  private writing: Promise<void> = Promise.resolve();

  private constructor(readonly file: string) {}

  /** Reads `targets.json` in `dir` (none yet: empty); a stored target that no longer validates is logged and skipped. */
  static async open(dir: string, logger: Logger): Promise<TargetStore> {
    const store = new TargetStore(join(dir, 'targets.json'));
    await removeStaleTempFiles(store.file);
    let text: string;
    try {
      text = await readFile(store.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return store;
      throw err;
    }
    let data: StoreFile;
    try {
      data = JSON.parse(text) as StoreFile;
    } catch (err) {
      throw new Error(`${store.file}: not valid JSON (${(err as Error).message}); fix or remove it`);
    }
    for (const body of data.targets ?? []) {
      try {
        const target = parseTargetBody(body);
        store.bodies.set(target.name, body);
        store.parsed.set(target.name, target);
      } catch (err) {
        logger.error({ file: store.file, target: (body as TargetBody)?.name, err: (err as Error).message }, 'stored API target is invalid: skipped');
      }
    }
    for (const name of data.paused ?? []) if (typeof name === 'string') store.pausedNames.add(name);
    for (const [name, bodies] of Object.entries(data.maintenance ?? {})) {
      try {
        store.windows.set(name, parseWindows(bodies));
        store.windowBodies.set(name, bodies);
      } catch (err) {
        logger.error({ file: store.file, target: name, err: (err as Error).message }, 'stored maintenance windows are invalid: skipped');
      }
    }
    return store;
  }

  targets(): ProbeTargetConfig[] {
    return [...this.parsed.values()];
  }

  get(name: string): { body: TargetBody; target: ProbeTargetConfig } | undefined {
    const body = this.bodies.get(name);
    return body ? { body, target: this.parsed.get(name)! } : undefined;
  }

  paused(name: string): boolean {
    return this.pausedNames.has(name);
  }

  /** The maintenance windows set through the API for `name` (parsed), none by default. */
  maintenanceWindows(name: string): readonly MaintenanceWindow[] {
    return this.windows.get(name) ?? [];
  }

  /** The same, as the request gave them (for GET). */
  maintenanceBodies(name: string): readonly unknown[] {
    return this.windowBodies.get(name) ?? [];
  }

  /** Sets (an empty list: clears) the API's windows of `name`, already validated. */
  setMaintenance(name: string, bodies: unknown[], windows: MaintenanceWindow[]): Promise<void> {
    return this.change(() => {
      if (bodies.length === 0) {
        this.windowBodies.delete(name);
        this.windows.delete(name);
      } else {
        this.windowBodies.set(name, bodies);
        this.windows.set(name, windows);
      }
    });
  }

  /** Adds or replaces a target (already validated, its name checked against the config file). */
  put(body: TargetBody, target: ProbeTargetConfig): Promise<void> {
    return this.change(() => {
      this.bodies.set(target.name, body);
      this.parsed.set(target.name, target);
    });
  }

  delete(name: string): Promise<void> {
    return this.change(() => {
      this.bodies.delete(name);
      this.parsed.delete(name);
      this.pausedNames.delete(name);
      this.windowBodies.delete(name);
      this.windows.delete(name);
    });
  }

  setPaused(name: string, paused: boolean): Promise<void> {
    return this.change(() => (paused ? this.pausedNames.add(name) : this.pausedNames.delete(name)));
  }

  /** Applies `edit` and writes the file; on a failed write the memory is rolled back. */
  private change(edit: () => void): Promise<void> {
    const run = async () => {
      const before = { bodies: new Map(this.bodies), parsed: new Map(this.parsed), paused: new Set(this.pausedNames), windowBodies: new Map(this.windowBodies), windows: new Map(this.windows) };
      edit();
      try {
        const data: StoreFile = {
          version: 1,
          targets: [...this.bodies.values()],
          paused: [...this.pausedNames],
          ...(this.windowBodies.size > 0 ? { maintenance: Object.fromEntries(this.windowBodies) } : {}),
        };
        await mkdir(join(this.file, '..'), { recursive: true, mode: 0o700 });
        await writeFileAtomic(this.file, JSON.stringify(data, null, 2) + '\n');
      } catch (err) {
        this.bodies = before.bodies;
        this.parsed = before.parsed;
        this.pausedNames = before.paused;
        this.windowBodies = before.windowBodies;
        this.windows = before.windows;
        throw new TargetStoreError(503, `the targets store could not be written (${(err as NodeJS.ErrnoException).code ?? 'error'}): nothing was changed`);
      }
    };
    const next = this.writing.then(run, run);
    this.writing = next.catch(() => undefined);
    return next;
  }
}
