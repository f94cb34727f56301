// Garbage collection on demand inside a test process, which tap starts without --expose-gc:
// the flag can still be set at run time, and a fresh context then sees the gc() function.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** Collects garbage every `everyMs` until the test ends: what a busy process does sooner or later. */
export function collectGarbageOften(t: Teardown, everyMs = 25): void {
  const timer = setInterval(() => gc(), everyMs);
  t.teardown(() => clearInterval(timer));
}

export { gc };
