// A small SVG chart of the report's growth tables: one panel per figure (scrape time, CPU, RSS,
// ...), a line per server, x on a log scale (counts grow tenfold), y linear from zero so a
// reader sees at a glance whether cost grows linearly and how far apart Tocsin and its anchor
// are. Hand-written SVG: a few dozen elements do not need a charting library.

export interface Series {
  readonly name: string;
  /** [x, y]; points whose x or y is not a finite number (not measured) are left out. */
  readonly points: readonly (readonly [number, number])[];
}

export interface Panel {
  readonly title: string;
  readonly xLabel: string;
  readonly series: readonly Series[];
}

const W = 300;
const H = 196;
const M = { left: 46, right: 12, top: 40, bottom: 36 };
const COLUMNS = 3;
// Tocsin first in every panel, then its anchor, then any third line.
const COLOURS = ['#d9480f', '#1c7ed6', '#868e96'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A round number at or above `max`, for the top of the y axis. */
export function niceCeiling(max: number): number {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

const short = (n: number) => (n >= 1000 ? `${+(n / 1000).toFixed(1)}k` : `${+n.toFixed(n < 1 ? 2 : n < 100 ? 1 : 0)}`);

function panel(p: Panel, ox: number, oy: number): string {
  const series = p.series.map((s) => ({ ...s, points: s.points.filter(([x, y]) => Number.isFinite(x) && x > 0 && Number.isFinite(y)) }));
  const xs = [...new Set(series.flatMap((s) => s.points.map(([x]) => x)))].sort((a, b) => a - b);
  const top = niceCeiling(Math.max(0, ...series.flatMap((s) => s.points.map(([, y]) => y))));
  const lo = Math.log10(xs[0] ?? 1);
  const hi = Math.log10(xs.at(-1) ?? 10);
  const iw = W - M.left - M.right;
  const ih = H - M.top - M.bottom;
  const sx = (x: number) => ox + M.left + (hi === lo ? iw / 2 : ((Math.log10(x) - lo) / (hi - lo)) * iw);
  const sy = (y: number) => oy + M.top + ih - (y / top) * ih;
  const out: string[] = [`<g class="panel"><text x="${ox + 8}" y="${oy + 14}" font-weight="bold">${esc(p.title)}</text>`];
  // Axes, gridlines at 0, half and top, x ticks at the measured counts.
  for (const f of [0, 0.5, 1]) {
    const y = sy(top * f);
    out.push(`<line x1="${ox + M.left}" x2="${ox + W - M.right}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#dee2e6"/>`);
    out.push(`<text x="${ox + M.left - 4}" y="${(y + 3).toFixed(1)}" text-anchor="end">${short(top * f)}</text>`);
  }
  for (const x of xs) out.push(`<text x="${sx(x).toFixed(1)}" y="${oy + H - M.bottom + 12}" text-anchor="middle">${short(x)}</text>`);
  out.push(`<text x="${ox + M.left + iw / 2}" y="${oy + H - 6}" text-anchor="middle" fill="#495057">${esc(p.xLabel)}</text>`);
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const pts = s.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`);
    if (pts.length > 1) out.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${pts.join(' ')}"><title>${esc(s.name)}</title></polyline>`);
    for (const [x, y] of s.points) out.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="2.5" fill="${colour}"><title>${esc(`${s.name}: ${short(x)} → ${+y.toFixed(2)}`)}</title></circle>`);
    out.push(`<rect x="${ox + 8 + i * 96}" y="${oy + 20}" width="8" height="8" fill="${colour}"/><text x="${ox + 19 + i * 96}" y="${oy + 28}">${esc(s.name)}</text>`);
  });
  out.push('</g>');
  return out.join('\n');
}

/** The whole chart: panels laid out three to a row under a title line. */
export function growthChart(title: string, panels: readonly Panel[]): string {
  const rows = Math.ceil(panels.length / COLUMNS);
  const width = COLUMNS * W;
  const height = 28 + rows * H;
  const body = panels.map((p, i) => panel(p, (i % COLUMNS) * W, 28 + Math.floor(i / COLUMNS) * H));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="10">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="8" y="18" font-size="13" font-weight="bold">${esc(title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
