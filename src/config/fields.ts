// Value types shared by the sections of tocsin.yml: durations and sizes with their ranges,
// listen addresses, HTTP paths, pseudo-filesystems. Each turns what the user wrote into what the code
// uses, or adds an issue that names the key: whatever would fail or silently misbehave at start
// must fail `tocsin check-config` instead.
import { statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { DURATION_HINT, formatDurationMs, parseDurationMs } from './duration.js';
import { parseListenAddress } from './listen-address.js';

/**
 * Node's timers hold at most 2^31-1 ms (about 24.8 days); a longer delay is silently replaced
 * by 1 ms, so a 25-day timeout would abort every request at once.
 */
export const TIMER_MAX_SECONDS = (2 ** 31 - 1) / 1000;

export interface DurationRange {
  /** Smallest accepted value, in seconds (default 0). */
  readonly min?: number;
  /** Largest accepted value, in seconds (default and ceiling: TIMER_MAX_SECONDS). */
  readonly max?: number;
}

/**
 * A Prometheus duration, held as seconds. YAML numbers are refused (except 0, as Prometheus
 * allows "0"): `timeout: 90` could mean seconds or milliseconds, and Prometheus says neither.
 */
export function duration(range: DurationRange = {}) {
  // Every duration ends up in a timer somewhere, so none may exceed what a timer can hold.
  const maxMs = Math.min(range.max ?? TIMER_MAX_SECONDS, TIMER_MAX_SECONDS) * 1000;
  return z.union([z.string(), z.number()]).transform((value, ctx) => {
    const text = typeof value === 'number' ? String(value) : value;
    const ms = parseDurationMs(text);
    if (ms === undefined) {
      // A bare number: say how to write it ("90" -> "90s", "1.5" -> "1500ms"; whole numbers only).
      const n = /^\d+(\.\d+)?$/.test(text) ? Number(text) : undefined;
      const hint = n === undefined ? '' : `; a number needs a unit, e.g. "${Number.isInteger(n) ? `${n}s` : `${Math.round(n * 1000)}ms`}"`;
      ctx.addIssue({ code: 'custom', message: `expected ${DURATION_HINT}, got ${JSON.stringify(value)}${hint}` });
      return z.NEVER;
    }
    const minMs = (range.min ?? 0) * 1000;
    if (ms < minMs) {
      ctx.addIssue({ code: 'custom', message: `must be at least ${formatDurationMs(minMs)}, got ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    if (ms > maxMs) {
      ctx.addIssue({ code: 'custom', message: `must be at most ${formatDurationMs(maxMs)}, got ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    return ms / 1000;
  });
}

const SIZE_UNITS: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };
const SIZE = /^(\d+)(B|KB|MB|GB|KiB|MiB|GiB)?$/;

export interface SizeRange {
  readonly min: number;
  readonly max: number;
}

/** A size in bytes: a whole number (1048576) or a string with a unit ("1MiB", "512KB"). */
export function byteSize(range: SizeRange) {
  const hint = 'a size such as 1048576 or "1MiB" (units B, KB, MB, GB, KiB, MiB, GiB)';
  return z.unknown().transform((value, ctx) => {
    let bytes: number | undefined;
    if (typeof value === 'number' && Number.isSafeInteger(value)) bytes = value;
    else if (typeof value === 'string') {
      const m = SIZE.exec(value);
      if (m) bytes = Number(m[1]) * SIZE_UNITS[m[2] ?? 'B']!;
    }
    if (bytes === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected ${hint}, got ${JSON.stringify(value) ?? String(value)}` });
      return z.NEVER;
    }
    if (bytes < range.min || bytes > range.max) {
      ctx.addIssue({ code: 'custom', message: `must be between ${range.min} and ${range.max} bytes, got ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    return bytes;
  });
}

/** "[host]:port"; `fixedPort` refuses port 0 where the port must be known in advance. */
export function listenAddress(options: { fixedPort?: boolean } = {}) {
  return z.string().superRefine((value, ctx) => {
    try {
      const { port } = parseListenAddress(value);
      if (options.fixedPort && port === 0) ctx.addIssue({ code: 'custom', message: 'needs a fixed port: other programs are pointed at it' });
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
    }
  });
}

/** Paths the HTTP layer serves itself: a telemetry path there would shadow them or fail at start. */
const RESERVED_PATH = /^\/(-\/.*|probe)?$/;

/** A path an HTTP route is served at, such as /metrics. */
export const httpPath = z.string().superRefine((value, ctx) => {
  if (!/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/.test(value) || value.includes('//')) {
    ctx.addIssue({ code: 'custom', message: `expected an HTTP path such as "/metrics", got ${JSON.stringify(value)}` });
  } else if (RESERVED_PATH.test(value)) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is taken: "/" is the landing page, "/-/..." the health and ops routes, "/probe" the prober` });
  }
});

// Pseudo-filesystems (statfs f_type): nothing can be stored there, and writing to them can
// block or fail in odd ways (a relay on /proc hung at start).
const PSEUDO_FS: Record<number, string> = {
  0x9fa0: 'proc',
  0x62656572: 'sysfs',
  0x27e0eb: 'cgroup',
  0x63677270: 'cgroup2',
  0x64626720: 'debugfs',
  0x74726163: 'tracefs',
  0x73636673: 'securityfs',
  0x6165676c: 'pstore',
  0xcafe4a11: 'bpf',
  0x62656570: 'configfs',
  0x1cd1: 'devpts',
};

/** The pseudo-filesystem `dir` (or its nearest existing parent) is on, if any. */
export function pseudoFileSystem(dir: string): string | undefined {
  const abs = resolve(dir);
  if (/^\/(proc|sys)(\/|$)/.test(abs)) return abs.startsWith('/proc') ? 'proc' : 'sysfs';
  for (let p = abs; ; p = dirname(p)) {
    try {
      return PSEUDO_FS[statfsSync(p).type];
    } catch {
      if (p === dirname(p)) return undefined;
    }
  }
}
