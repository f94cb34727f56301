// Evaluates a parsed JSON condition (src/config/json-condition.ts) against a response body.
import type { JsonCondition } from '../config/json-condition.js';

/** undefined when the condition holds, else why not (for the failure message). */
export function jsonConditionProblem(condition: JsonCondition, body: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return 'the body is not JSON';
  }
  for (const step of condition.path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, step)) return `${condition.text}: the path is not in the body`;
    value = (value as Record<string | number, unknown>)[step];
  }
  const want = condition.value;
  let holds: boolean;
  switch (condition.operator) {
    case '==':
      holds = value === want;
      break;
    case '!=':
      holds = value !== want;
      break;
    default: {
      if (typeof value !== 'number') return `${condition.text}: found ${JSON.stringify(value)}, not a number`;
      const w = want as number;
      holds = condition.operator === '<' ? value < w : condition.operator === '<=' ? value <= w : condition.operator === '>' ? value > w : value >= w;
    }
  }
  return holds ? undefined : `${condition.text}: found ${JSON.stringify(value)}`;
}
