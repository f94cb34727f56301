import t from 'tap';
import { growthChart, niceCeiling } from '../../bench/chart.js';

/** [x, y] of each <polyline>'s points, in order. */
function polylines(svg: string): [number, number][][] {
  return [...svg.matchAll(/<polyline [^>]*points="([^"]+)"/g)].map((m) => m[1]!.split(' ').map((p) => p.split(',').map(Number) as [number, number]));
}

t.test('a line per series: x grows left to right, a larger value sits higher, zero on the baseline', async (t) => {
  const svg = growthChart('growth', [
    {
      title: 'scrape p50 ms',
      xLabel: 'processes',
      series: [
        { name: 'tocsin', points: [[100, 10], [1000, 40], [5000, 160]] },
        { name: 'process-exporter', points: [[100, 0], [1000, 240], [5000, 1300]] },
      ],
    },
  ]);
  const [a, b] = polylines(svg);
  t.equal(a!.length, 3);
  t.ok(a![0]![0] < a![1]![0] && a![1]![0] < a![2]![0], 'x increases with the count');
  t.ok(a![0]![1] > a![1]![1] && a![1]![1] > a![2]![1], 'y coordinate decreases as the value grows');
  t.ok(b![2]![1] < a![2]![1], '1300 is drawn above 160');
  // Log scale: 100 -> 1000 spans more than 1000 -> 5000.
  t.ok(a![1]![0] - a![0]![0] > a![2]![0] - a![1]![0], 'x is logarithmic');
  const baseline = Math.max(...[...svg.matchAll(/<line [^>]*y1="([\d.]+)"/g)].map((m) => Number(m[1])));
  t.equal(b![0]![1], baseline, 'a zero value sits on the lowest gridline');
  t.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  t.equal((svg.match(/<g /g) ?? []).length, (svg.match(/<\/g>/g) ?? []).length, 'groups are closed');
});

t.test('points not measured are left out; text is escaped', async (t) => {
  const svg = growthChart('a <b> & "c"', [{ title: 'x<y', xLabel: 'n', series: [{ name: 's&t', points: [[10, 1], [100, NaN], [1000, 3]] }] }]);
  t.equal(polylines(svg)[0]!.length, 2);
  t.notMatch(svg, /NaN/);
  t.match(svg, /a &lt;b&gt; &amp; &quot;c&quot;/);
  t.match(svg, /x&lt;y/);
  t.notMatch(svg, /<b>/);
});

t.test('one panel per figure, three to a row', async (t) => {
  const p = { title: 't', xLabel: 'n', series: [{ name: 's', points: [[1, 1], [10, 2]] as [number, number][] }] };
  const svg = growthChart('g', [p, p, p, p]);
  t.equal((svg.match(/<g class="panel">/g) ?? []).length, 4);
  t.match(svg, /height="420"/, 'two rows of 196 under a 28 px title');
});

t.test('niceCeiling: a round number at or above the maximum', async (t) => {
  t.equal(niceCeiling(0), 1);
  t.equal(niceCeiling(7), 8);
  t.equal(niceCeiling(160), 200);
  t.equal(niceCeiling(1300), 1500);
  t.equal(niceCeiling(100), 100);
});
