// The fetch both Slack clients are given: the library's own request (with its timeout signal)
// also bounded by the delivery's signal (shutdown, the dispatcher's deadline).
//
// Why not AbortSignal.any([init.signal, signal]): the libraries' init.signal is an
// AbortSignal.timeout(), and in Node 20 a timeout signal followed only by AbortSignal.any is
// collected at the next GC, its timer with it: a Slack connection that stalls would then hold
// the delivery for ever. The body is read here, inside the bound, and handed back whole (Slack
// answers are a few hundred bytes), so the listeners can be let go as soon as it is in.
import { withSignal } from '../../util/signals.js';

type Fetch = typeof globalThis.fetch;

/** Statuses whose Response must have no body. */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

export function boundedFetch(baseFetch: Fetch, signal: AbortSignal | undefined): Fetch {
  return (input, init) =>
    withSignal([init?.signal ?? undefined, signal], undefined, async (bounded) => {
      const res = await baseFetch(input, { ...init, signal: bounded });
      const body = NULL_BODY.has(res.status) ? null : await res.arrayBuffer();
      return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
    });
}
