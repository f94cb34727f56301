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

t.test('README lists every shipped alert: the same table as docs/alerts.md', async (t) => {
  const readme = readFileSync(README, 'utf8');
  const doc = readFileSync(new URL('../docs/alerts.md', import.meta.url), 'utf8');
  const table = (text: string, from: number) => text.slice(from, text.indexOf('\n\n', from)).trim();
  const fromDoc = table(doc, doc.indexOf('| Alert | Severity | Fires when |'));
  const start = readme.indexOf('<!-- alerts:start');
  t.ok(start >= 0, 'README has the alerts section');
  const fromReadme = readme.slice(readme.indexOf('\n', start) + 1, readme.indexOf('<!-- alerts:end -->')).trim();
  t.equal(fromReadme, fromDoc, 'README and docs/alerts.md list the same alerts (copy the table over)');
});
