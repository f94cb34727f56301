// The relay's durable outbox (see outbox.ts): what intake, dispatcher, routes and metrics use.
export {
  DEFAULT_COMPACT_MIN_BYTES,
  DEFAULT_MAX_DEAD_LETTERS,
  DEFAULT_OUTBOX_MAX_BYTES,
  DEFAULT_RETRY_INTERVAL_MS,
  OUTBOX_FILE,
  Outbox,
  PURGED,
  type PurgeResult,
  type OutboxOptions,
  type OutboxStats,
} from './outbox.js';
export type { DeadLetter } from './dead-letters.js';
export { OutboxClosedError, OutboxFullError, OutboxWriteError, PurgeWouldForgetError } from './errors.js';
export { nodeFs, type OutboxFile, type OutboxFs } from './fs.js';
export { parseLog, type ParsedLog, type RejectedRange } from './log-format.js';
export { REJECTED_PREFIX } from './rejected.js';
export type { OutboxRecord } from './records.js';
