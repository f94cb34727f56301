// Structured JSON logs on stderr (pino, which fastify uses too), so a log shipper can
// parse them and stdout stays free for the relay's console destination.
import pino, { type Logger } from 'pino';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export function createLogger(level: LogLevel): Logger {
  return pino({ level, base: { app: 'tocsin' } }, pino.destination(2));
}
