// What the property-based bad-input tests share: the fixed seed, bad JSON values (wrong types,
// huge strings, deep nesting, unicode), mutations of a JSON document (delete, replace, add a
// field), the check of a response, and the figures printed.
import type { Test } from 'tap';
import fc from 'fast-check';
import type { Response as InjectResponse } from 'light-my-request';

/** Fixed so that a failure is reproducible; TOCSIN_FUZZ_SEED=<seed> replays a printed one. */
export const SEED = Number(process.env.TOCSIN_FUZZ_SEED ?? 20261130);

/** What a response must look like; returns the problem, or undefined. */
export function verdict(res: InjectResponse): string | undefined {
  const s = res.statusCode;
  if (s >= 200 && s < 300) return undefined;
  if (s >= 500) return `answered ${s}: ${res.body.slice(0, 300)}`;
  let message: unknown;
  try {
    message = (res.json() as { message?: unknown }).message;
  } catch {
    return `a ${s} without a JSON error body: ${res.body.slice(0, 200)}`;
  }
  if (typeof message !== 'string' || message.length === 0) return `a ${s} without a message`;
  // A 400 says which part of the request was wrong: a field path ("body.alerts[0].labels: ...",
  // "query.destination: ...", "name: ...") or the body as a whole (not JSON, not an object).
  if (s === 400 && !/^(body|query|params|headers|name|id|destination)\b|\bbody\b|JSON|not a valid url component/i.test(message)) {
    return `a 400 whose message names no field: ${message}`;
  }
  return undefined;
}

export interface Figures {
  tried: number;
  ok: number;
  client: number;
  server: number;
  crashes: number;
}
export const figures = (): Figures => ({ tried: 0, ok: 0, client: 0, server: 0, crashes: 0 });
export function count(f: Figures, res: InjectResponse | undefined): void {
  f.tried++;
  if (!res) f.crashes++;
  else if (res.statusCode >= 500) f.server++;
  else if (res.statusCode >= 400) f.client++;
  else f.ok++;
}
export const report = (t: Test, what: string, f: Figures) =>
  t.comment(`${what}: seed ${SEED}, inputs tried ${f.tried}, 2xx ${f.ok}, 4xx ${f.client}, 5xx ${f.server}, crashes ${f.crashes}`);

class Big {
  constructor(
    readonly kind: 'huge' | 'deep',
    readonly size: number,
  ) {}
  [fc.toStringMethod](): string {
    return `${this.kind}(${this.size})`;
  }
  value(): unknown {
    if (this.kind === 'huge') return '\u{1F525}x'.repeat(Math.floor(this.size / 3));
    // A marker that toJsonText replaces by the nested text: JSON.stringify of a value thousands of
    // levels deep would overflow this process's stack before the relay ever saw it.
    return `\u0000deep:${this.size}\u0000`;
  }
}
/** JSON text of `v`, with deep-nesting markers expanded to `{"d":[{"d":[ ... ]}]}`. */
export function toJsonText(v: unknown, indent?: number): string {
  return (JSON.stringify(v, null, indent) ?? 'null').replace(/"\\u0000deep:(\d+)\\u0000"/g, (_m, n: string) => {
    const depth = Number(n);
    let open = '';
    let close = '';
    for (let i = 0; i < depth; i++) {
      open += i % 2 ? '[' : '{"d":';
      close = (i % 2 ? ']' : '}') + close;
    }
    return `${open}"bottom"${close}`;
  });
}
export const materialize = (v: unknown): unknown =>
  v instanceof Big ? v.value() : Array.isArray(v) ? v.map(materialize) : v;

/** Any JSON value: wrong types for whatever it replaces. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(''),
  fc.constant('0001-01-01T00:00:00Z'),
  fc.constant('not-a-date'),
  fc.array(fc.string({ maxLength: 8 }), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 5 }),
  // Huge strings, under and over the body limit (1 MiB), and arrays and objects nested hundreds
  // to thousands of levels deep: built only when used (materialize), so that fast-check can print
  // a counterexample without walking a value thousands of levels deep.
  fc.integer({ min: 10_000, max: 1_500_000 }).map((n) => new Big('huge', n)),
  fc.integer({ min: 100, max: 5000 }).map((n) => new Big('deep', n)),
);

/** Every path (keys and indexes) into a JSON value, the root excluded, down to the fixtures' depth. */
function paths(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof v !== 'object' || v === null || prefix.length >= 6) return [];
  const entries: [string | number, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
  return entries.flatMap(([k, x]) => [[...prefix, k], ...paths(x, [...prefix, k])]);
}

export type Mutation = { kind: 'delete' | 'replace' | 'extra'; at: number; value: unknown; key: string };
export const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('delete', 'replace', 'extra'),
  at: fc.nat(),
  value: anyJson,
  key: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
});

export function mutate(body: Record<string, unknown>, ms: readonly Mutation[]): unknown {
  for (const m of ms) {
    const all = paths(body);
    const path = all.length === 0 ? [] : all[m.at % all.length]!;
    if (m.kind === 'extra' || path.length === 0) {
      // An extra field somewhere an object is.
      let target: unknown = body;
      for (const k of path) target = (target as Record<string | number, unknown>)[k];
      if (typeof target !== 'object' || target === null) target = body;
      (target as Record<string, unknown>)[m.key] = materialize(m.value);
      continue;
    }
    let parent = body as Record<string | number, unknown>;
    for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
    const last = path[path.length - 1]!;
    if (m.kind === 'delete') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else parent[last] = materialize(m.value);
  }
  return body;
}

