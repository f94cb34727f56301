// The relay's durable outbox (see outbox.ts): what intake, dispatcher, routes and metrics use.
export {
  DEFAULT_COMPACT_MIN_BYTES,
  DEFAULT_MAX_DEAD_LETTERS,
  DEFAULT_OUTBOX_MAX_BYTES,
  OUTBOX_FILE,
  Outbox,
  type DeadLetter,
  type OutboxOptions,
  type OutboxStats,
} from './outbox.js';
export { OutboxClosedError, OutboxFullError, OutboxWriteError } from './errors.js';
export { nodeFs, type OutboxFile, type OutboxFs } from './fs.js';
export { parseLog, type ParsedLog } from './log-format.js';
export type { OutboxRecord } from './records.js';
