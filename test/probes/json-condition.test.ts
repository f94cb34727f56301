// The JSON condition: the syntax (config) and its evaluation on a body (probes).
import t from 'tap';
import { parseJsonCondition } from '../../src/config/json-condition.js';
import { jsonConditionProblem } from '../../src/probes/json-condition.js';

const body = JSON.stringify({ status: 'ok', ready: true, queue: { depth: 42, items: [{ id: 'a' }, { id: 'b' }] }, note: null });
const holds = (text: string) => jsonConditionProblem(parseJsonCondition(text), body);

t.test('conditions that hold', async (t) => {
  for (const c of ['$.status == "ok"', '$.ready == true', '$.queue.depth < 100', '$.queue.depth <= 42', '$.queue.depth >= 42', '$.queue.depth > 41.5', '$.queue.depth != 7', '$.queue.items[1].id == "b"', '$.note == null', '  $.status=="ok"  ']) {
    t.equal(holds(c), undefined, c);
  }
});

t.test('conditions that fail say what was found', async (t) => {
  t.equal(holds('$.status == "degraded"'), '$.status == "degraded": found "ok"');
  t.equal(holds('$.queue.depth < 10'), '$.queue.depth < 10: found 42');
  t.equal(holds('$.status > 1'), '$.status > 1: found "ok", not a number');
  t.equal(holds('$.queue.items[5].id == "x"'), '$.queue.items[5].id == "x": the path is not in the body');
  t.equal(holds('$.missing == 1'), '$.missing == 1: the path is not in the body');
  t.equal(holds('$.queue.depth == "42"'), '$.queue.depth == "42": found 42', 'no type coercion');
  t.equal(jsonConditionProblem(parseJsonCondition('$.a == 1'), 'not json'), 'the body is not JSON');
  t.equal(jsonConditionProblem(parseJsonCondition('$.toString == 1'), '{}'), '$.toString == 1: the path is not in the body', 'only own keys');
});

t.test('syntax errors', async (t) => {
  t.throws(() => parseJsonCondition('status == "ok"'), /expected a condition/);
  t.throws(() => parseJsonCondition('$.a === 1'), /not a JSON literal/);
  t.throws(() => parseJsonCondition("$.a == 'ok'"), /not a JSON literal/);
  t.throws(() => parseJsonCondition('$.a == {"x":1}'), /string, a number/);
  t.throws(() => parseJsonCondition('$.a < "x"'), /< compares numbers/);
  t.same(parseJsonCondition('$ == 3').path, [], 'the root itself');
});
