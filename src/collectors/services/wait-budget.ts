// How long a service collector may wait on its server in this scrape: its configured timeout,
// but always short of the scrape deadline, leaving a tenth of the time left (at least 50 ms)
// to write nginx_up 0 / mysql_up 0 and render the scrape. A Prometheus with a short
// scrape_timeout thus still gets "down" rather than a collector cut off with nothing.
export function waitBudgetMs(timeoutMs: number, deadline: number | undefined, now = Date.now()): number {
  if (deadline === undefined) return Math.floor(timeoutMs);
  const left = deadline - now;
  // Whole milliseconds: AbortSignal.timeout() throws a RangeError on a fraction.
  return Math.max(0, Math.floor(Math.min(timeoutMs, left - Math.max(50, left * 0.1))));
}

/** "1 s", "0.45 s": a wait for messages. */
export const seconds = (ms: number) => `${Number((ms / 1000).toFixed(2))} s`;
