// The syntax of a probe's JSON condition: a dotted path, one comparison, one JSON literal
// (`$.status == "ok"`, `$.queue.depth < 100`, `$.items[0].ready == true`). Parsed here so a
// typo fails `tocsin check-config`; evaluated by src/probes/json-condition.ts. No eval.

export type JsonOperator = '==' | '!=' | '<' | '<=' | '>' | '>=';
export type JsonLiteral = string | number | boolean | null;

export interface JsonCondition {
  /** Keys and array indexes from the document's root. */
  readonly path: readonly (string | number)[];
  readonly operator: JsonOperator;
  readonly value: JsonLiteral;
  /** As written, for failure messages. */
  readonly text: string;
}

const SHAPE = /^\s*\$((?:\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\])*)\s*(==|!=|<=|>=|<|>)\s*(.+?)\s*$/;
const STEP = /\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]/g;

/** The condition, or throws an Error saying what is wrong with it. */
export function parseJsonCondition(text: string): JsonCondition {
  const m = SHAPE.exec(text);
  if (!m) throw new Error('expected a condition such as `$.status == "ok"` or `$.queue.depth < 100` (a path from $, one of == != < <= > >=, a JSON value)');
  const path: (string | number)[] = [];
  for (const step of m[1]!.matchAll(STEP)) path.push(step[1] !== undefined ? step[1] : Number(step[2]));
  let value: unknown;
  try {
    value = JSON.parse(m[3]!);
  } catch {
    throw new Error(`the value ${m[3]} is not a JSON literal (a "string" in double quotes, a number, true, false or null)`);
  }
  if (typeof value === 'object' && value !== null) throw new Error('the value must be a string, a number, true, false or null');
  const operator = m[2] as JsonOperator;
  if (operator !== '==' && operator !== '!=' && typeof value !== 'number') throw new Error(`${operator} compares numbers: the value must be a number`);
  return { path, operator, value: value as JsonLiteral, text: text.trim() };
}
