// The README's metric list is generated from the code (npm run docs); this keeps them in step.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { END, metricsTable, README, START } from '../scripts/metrics-doc.js';

t.test('README lists every metric family the default collectors serve, with its help text', async (t) => {
  const readme = readFileSync(README, 'utf8');
  const section = readme.slice(readme.indexOf(START), readme.indexOf(END));
  t.ok(section.length > START.length, 'README has the generated section');
  const generated = (await metricsTable()).split('\n').slice(2);
  for (const row of generated) {
    const name = /`([^`]+)`/.exec(row)?.[1];
    t.ok(section.includes(row), `README row for ${name} is current (run \`npm run docs\`)`);
  }
});
