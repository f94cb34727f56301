// A pino logger whose lines are kept (parsed) for assertions on what was logged and how often.
import pino, { type Logger } from 'pino';

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

export function captureLogger(level = 'debug'): { logger: Logger; lines: LogLine[]; atLeast: (level: 'warn' | 'error') => LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
  const numeric = { warn: 40, error: 50 } as const;
  return { logger, lines, atLeast: (l) => lines.filter((x) => x.level >= numeric[l]) };
}
