// Waiting for a promise, but not longer than a timeout or an abort signal allow. Written once
// because the hand-made versions (a setTimeout in a Promise.race, an abort listener) each
// have to remember to clear the timer and remove the listener whichever side wins, or they
// keep one of each per call alive until the timeout passes.
//
// The work itself is not stopped (a statfs cannot be): it goes on, and its outcome is
// dropped. Callers that can cancel pass the same signal to the work.

export type DeadlineResult<T> =
  | { readonly done: true; readonly value: T }
  | { readonly done: false; readonly reason: 'timeout' | 'aborted' };

export interface DeadlineOptions {
  /** Give up after this many milliseconds. */
  readonly ms?: number;
  /** Give up when this signal aborts (at once if it already has). */
  readonly signal?: AbortSignal;
}

/** `work`'s value, or why it was given up on; rejects only when `work` rejects in time. */
export function withDeadline<T>(work: Promise<T>, options: DeadlineOptions): Promise<DeadlineResult<T>> {
  const { ms, signal } = options;
  if (signal?.aborted) {
    work.catch(() => undefined); // given up on: its rejection is nobody's to handle
    return Promise.resolve({ done: false, reason: 'aborted' });
  }
  return new Promise<DeadlineResult<T>>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const settle = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const giveUp = (reason: 'timeout' | 'aborted') => {
      settle();
      resolve({ done: false, reason });
    };
    const onAbort = () => giveUp('aborted');
    if (ms !== undefined) timer = setTimeout(() => giveUp('timeout'), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        settle();
        resolve({ done: true, value });
      },
      (err: unknown) => {
        settle();
        reject(err);
      },
    );
  });
}
