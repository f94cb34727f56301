// Property: whatever a user does to a working config, loading it either succeeds or fails with a
// ConfigError whose every problem names where it is (a key path, or the YAML position), never
// with another exception (a TypeError from a schema transform, a RangeError, ...). Mutations of
// the shipped examples, as objects (a value replaced, a key removed or added) and as text.
import t from 'tap';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dump, load } from 'js-yaml';
import { ConfigError, parseConfig } from '../../src/config/load.js';

const EXAMPLES = ['tocsin.yml', 'tocsin-slack.yml'].map((f) => readFileSync(fileURLToPath(new URL(`../../examples/${f}`, import.meta.url)), 'utf8'));
const SETTINGS = { seed: 20261130, numRuns: 300, endOnFailure: true } as const;

// "relay.routes[0].destinations: ...", "(top level): ...", "unknown key ...", "YAML: ...".
const NAMES_WHERE = /^(?:(?:\(top level\)|[A-Za-z_][\w-]*(?:\.[\w-]+|\[\d+\])*): |unknown keys? |YAML: )/;

function check(text: string): true {
  try {
    parseConfig(text, 'fuzz.yml');
  } catch (err) {
    if (!(err instanceof ConfigError)) throw new Error(`not a ConfigError: ${(err as Error)?.stack ?? String(err)}\n--- config:\n${text}`);
    for (const p of err.problems) if (!NAMES_WHERE.test(p)) throw new Error(`a problem that names no place: ${JSON.stringify(p)}\n--- config:\n${text}`);
  }
  return true;
}

type Path = (string | number)[];
function paths(value: unknown, prefix: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([k, v]) => paths(v, [...prefix, k]))];
}

function mutate(doc: unknown, path: Path, op: 'set' | 'delete' | 'add', value: unknown, key: string): unknown {
  const copy = structuredClone(doc);
  if (path.length === 0) return op === 'set' ? value : copy;
  let parent = copy as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (op === 'set') parent[last] = value;
  else if (op === 'delete') {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else {
    const target = parent[last];
    if (target && typeof target === 'object' && !Array.isArray(target)) (target as Record<string, unknown>)[key] = value;
    else parent[last] = value;
  }
  return copy;
}

const leaf = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.constantFrom('0', '10s', '1m30s', '1.5m', '90', '25d', '-1s', ':9469', '127.0.0.1:0', '/', '/-/healthy', '', '${NOPE}', '1MiB', 'data', '{{ status }}', '{{ range }}', 'severity="critical"', '^(a'),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
);

// Keys the schema knows, so "add" often lands a wrong value where it is read.
const KEYS = ['enabled', 'name', 'groups', 'timeout', 'min_interval', 'dedupe_window', 'scrape_timeout', 'max_body_bytes', 'listen_address', 'telemetry_path', 'data_dir', 'webhook_url', 'webhook_url_file', 'bearer_token', 'matchers', 'destinations', 'title_template', 'digest_threshold', 'time_zone'];

t.test('object mutations of the examples: accepted or a ConfigError naming the path', async (t) => {
  const docs = EXAMPLES.map((text) => load(text));
  const mutation = fc.tuple(fc.nat(), fc.constantFrom('set', 'delete', 'add'), leaf, fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom(...KEYS)));
  fc.assert(
    fc.property(fc.nat({ max: docs.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 5 }), (d, mutations) => {
      let doc = docs[d];
      for (const [pick, op, value, key] of mutations) {
        const all = paths(doc);
        doc = mutate(doc, all[pick % all.length]!, op, value, key);
      }
      return check(dump(doc, { lineWidth: -1 }));
    }),
    SETTINGS,
  );
  t.pass('300 mutated configs, each accepted or refused with located problems');
});

t.test('text mutations of the examples: accepted or a ConfigError naming the place', async (t) => {
  fc.assert(
    fc.property(
      fc.nat({ max: EXAMPLES.length - 1 }),
      fc.array(fc.tuple(fc.nat(), fc.nat({ max: 8 }), fc.string({ maxLength: 6 })), { minLength: 1, maxLength: 4 }),
      (d, edits) => {
        let text = EXAMPLES[d]!;
        for (const [at, cut, insert] of edits) {
          const i = at % (text.length + 1);
          text = text.slice(0, i) + insert + text.slice(i + cut);
        }
        return check(text);
      },
    ),
    SETTINGS,
  );
  t.pass('300 edited texts, each accepted or refused with located problems');
});
