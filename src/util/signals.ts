// Abort signals combined from several sources, or bounded by a timeout, that still fire after
// a garbage collection.
//
// Why not AbortSignal.any([AbortSignal.timeout(ms), ...]): in Node 20 the timeout signal is
// held only weakly (its timer keeps a WeakRef, and AbortSignal.any follows its sources through
// weak references), so once the collector runs nothing keeps it alive, its timer is cleared,
// and the combined signal never aborts (nodejs/node#57736; the fix, #57867, is not in Node 20).
// A probe of a server that never answers then waits forever and holds its max_concurrent
// slot; a Slack request that stalls holds a delivery worker. Here a plain AbortController is
// aborted by a timer and by listeners on the sources, which hold it strongly until dispose().

/** A signal and the way to let go of what it listens to once the work it bounds is over. */
export interface ScopedSignal {
  readonly signal: AbortSignal;
  /** Whether the timeout (not a source signal) aborted it. */
  timedOut(): boolean;
  /** Clears the timer and removes the listeners on the sources; the signal stays as it is. */
  dispose(): void;
}

/**
 * Aborts when the first of `sources` aborts (with its reason) or, when `timeoutMs` is given,
 * after that many milliseconds with a TimeoutError, as AbortSignal.timeout() would. The timer
 * does not keep the process alive.
 */
export function scopedSignal(sources: readonly (AbortSignal | undefined)[], timeoutMs?: number): ScopedSignal {
  const controller = new AbortController();
  const present = sources.filter((s): s is AbortSignal => s !== undefined);
  let timer: NodeJS.Timeout | undefined;
  let byTimeout = false;
  const listeners: [AbortSignal, () => void][] = [];
  const dispose = () => {
    clearTimeout(timer);
    timer = undefined;
    for (const [source, listener] of listeners.splice(0)) source.removeEventListener('abort', listener);
  };
  const abort = (reason: unknown) => {
    dispose();
    controller.abort(reason);
  };
  const already = present.find((s) => s.aborted);
  if (already) {
    controller.abort(already.reason);
  } else {
    for (const source of present) {
      const listener = () => abort(source.reason);
      source.addEventListener('abort', listener, { once: true });
      listeners.push([source, listener]);
    }
    if (timeoutMs !== undefined) {
      // Whole milliseconds: a fraction is what made AbortSignal.timeout() throw a RangeError.
      timer = setTimeout(() => {
        byTimeout = true;
        abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
      }, Math.max(0, Math.round(timeoutMs)));
      timer.unref();
    }
  }
  return { signal: controller.signal, timedOut: () => byTimeout, dispose };
}

/** Runs `work` under a scoped signal and disposes of it however the work ends. */
export async function withSignal<T>(sources: readonly (AbortSignal | undefined)[], timeoutMs: number | undefined, work: (signal: AbortSignal, scoped: ScopedSignal) => Promise<T>): Promise<T> {
  const scoped = scopedSignal(sources, timeoutMs);
  try {
    return await work(scoped.signal, scoped);
  } finally {
    scoped.dispose();
  }
}
