// Structured logs on stderr (pino, which fastify uses too), so stdout stays free for the
// relay's console destination. Two formats, as Prometheus components offer: JSON (one
// object a line, for log shippers) and logfmt (key=value, for people and journald).
// Levels are written as names ("info"), not pino's numbers (30).
import pino, { type DestinationStream, type Logger } from 'pino';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'json' | 'logfmt';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'logfmt'];

export interface LogOptions {
  readonly level: LogLevel;
  readonly format?: LogFormat;
}

/** `destination` is for tests; the default is stderr (fd 2), written synchronously. */
export function createLogger(o: LogOptions, destination: DestinationStream = pino.destination(2)): Logger {
  const stream = o.format === 'logfmt' ? logfmtStream(destination) : destination;
  return pino(
    {
      level: o.level,
      base: { app: 'tocsin' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
}

/** Re-encodes pino's JSON lines as logfmt: time, level and msg first, then the rest flattened with dots. */
function logfmtStream(out: DestinationStream): DestinationStream {
  return {
    write(line: string) {
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        out.write(line);
        return;
      }
      const { time, level, msg, ...rest } = record;
      const pairs: string[] = [];
      if (time !== undefined) pairs.push(`ts=${logfmtValue(time)}`);
      if (level !== undefined) pairs.push(`level=${logfmtValue(level)}`);
      if (msg !== undefined) pairs.push(`msg=${logfmtValue(msg)}`);
      flatten('', rest, pairs);
      out.write(`${pairs.join(' ')}\n`);
    },
  };
}

function flatten(prefix: string, value: unknown, pairs: string[]): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(prefix ? `${prefix}.${k}` : k, v, pairs);
    return;
  }
  pairs.push(`${prefix}=${logfmtValue(value)}`);
}

export function logfmtValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? '';
  // Quote what would otherwise split the pair or be ambiguous; escape like go-logfmt does.
  return text === '' || /[\s="\\\u0000-\u001f]/.test(text) ? JSON.stringify(text) : text;
}
