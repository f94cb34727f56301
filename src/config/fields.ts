// Value types shared by the sections of tocsin.yml: durations and their ranges. Each turns
// what the user wrote into what the code uses, or adds an issue that names the key.
import { z } from 'zod';
import { DURATION_HINT, formatDurationMs, parseDurationMs } from './duration.js';

export interface DurationRange {
  /** Smallest accepted value, in seconds (default 0). */
  readonly min?: number;
  /** Largest accepted value, in seconds. */
  readonly max?: number;
}

/**
 * A Prometheus duration, held as seconds. YAML numbers are refused (except 0, as Prometheus
 * allows "0"): `timeout: 90` could mean seconds or milliseconds, and Prometheus says neither.
 */
export function duration(range: DurationRange = {}) {
  return z.union([z.string(), z.number()]).transform((value, ctx) => {
    const text = typeof value === 'number' ? String(value) : value;
    const ms = parseDurationMs(text);
    if (ms === undefined) {
      const bare = typeof value === 'number' || /^\d+(\.\d+)?$/.test(text);
      ctx.addIssue({
        code: 'custom',
        message: `expected ${DURATION_HINT}, got ${JSON.stringify(value)}${bare ? `; a number needs a unit, e.g. "${text}s"` : ''}`,
      });
      return z.NEVER;
    }
    const minMs = (range.min ?? 0) * 1000;
    if (ms < minMs) {
      ctx.addIssue({ code: 'custom', message: `must be at least ${formatDurationMs(minMs)}, got ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    if (range.max !== undefined && ms > range.max * 1000) {
      ctx.addIssue({ code: 'custom', message: `must be at most ${formatDurationMs(range.max * 1000)}, got ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    return ms / 1000;
  });
}
