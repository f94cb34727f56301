// What append() and the marks reject with. Each carries the HTTP status the receiver answers, so
// Alertmanager retries later (503) instead of taking a notification as delivered.

/** The outbox is full: answer 503 so Alertmanager retries later. */
export class OutboxFullError extends Error {
  override readonly name = 'OutboxFullError';
  readonly code = 'OUTBOX_FULL';
  readonly statusCode = 503;
}

/** Writing or syncing the log failed: the data is not durable, answer 5xx. */
export class OutboxWriteError extends Error {
  override readonly name = 'OutboxWriteError';
  readonly code = 'OUTBOX_WRITE_FAILED';
  readonly statusCode = 503;
}

export class OutboxClosedError extends Error {
  override readonly name = 'OutboxClosedError';
  readonly code = 'OUTBOX_CLOSED';
  readonly statusCode = 503;
}

/** A purge would push dead letters out of the bounded list; nothing was changed. */
export class PurgeWouldForgetError extends Error {
  override readonly name = 'PurgeWouldForgetError';
  constructor(
    readonly pending: number,
    readonly wouldForget: number,
    readonly maxDeadLetters: number,
  ) {
    super(`purging ${pending} entries would push the ${wouldForget} oldest dead letters out (at most ${maxDeadLetters} are kept)`);
  }
}
