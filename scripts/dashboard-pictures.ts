// Pictures of the overview and probes dashboards for the README, from real data: starts
// `tocsin stack` (real Prometheus scraping the real exporter and relay, as the end-to-end tests
// do) with probe targets on loopback (test/helpers/probe-targets.ts: HTTP, HTTPS and WebSocket
// servers, and two targets that fail on purpose), lets it collect for a while, runs every
// panel's queries of grafana/tocsin-overview.json and grafana/tocsin-probes.json (variables
// resolved as Grafana does), draws each panel where its gridPos puts it with inline SVG, and has
// headless Chromium save the pages as docs/img/overview.png and docs/img/probes.png. Nothing is
// made up: a panel whose queries return nothing says "No data", as Grafana would. It is
// Grafana's layout and queries, not Grafana's own rendering. Then
// scripts/status-page-picture.ts writes docs/img/status-page.png from its own real run.
//
//   node --import tsx scripts/dashboard-pictures.ts [seconds of data, default 120] [dashboard uid ...]
//
// Needs prometheus, prometheus-alertmanager and chromium (apt-get install -y prometheus
// prometheus-alertmanager chromium) and the dev dependency playwright-core.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import type { Test } from 'tap';
import { requireBinary } from '../test/helpers/bin.js';
import { allPanels, interpolate, loadDashboards, prometheusLabelValues, resolveVariables, type GrafanaPanel } from '../test/helpers/grafana.js';
import { probeTargets } from '../test/helpers/probe-targets.js';
import { startStack, until } from '../test/helpers/stack.js';
import { statusPagePicture } from './status-page-picture.js';

const ROOT = new URL('../', import.meta.url).pathname;
const OUT = join(ROOT, 'docs', 'img');
const SECONDS = Number(process.argv[2] ?? 120);
/** The dashboards drawn, each to docs/img/<uid without "tocsin-">.png. */
const DASHBOARDS = process.argv.length > 3 ? process.argv.slice(3) : ['tocsin-overview', 'tocsin-probes'];
/** What each picture shows, beyond the dashboard's own title. */
const SCENES: Readonly<Record<string, string>> = {
  'tocsin-overview': 'one host, as on that machine',
  'tocsin-probes':
    'probe targets are servers on loopback started by the script: HTTP, HTTPS (a throwaway CA whose certificate lasts 10 days) and WebSocket, an HTTP endpoint answering 500 and a closed port (in a maintenance window), failing on purpose',
};
const STEP = 2;
/** Seconds of checks behind the status page's picture. */
const STATUS_SECONDS = 240;

interface Series {
  readonly labels: Record<string, string>;
  readonly points: [number, number][];
}
interface PanelData {
  readonly panel: FullPanel;
  readonly series: { refId: string; legend: string; data: Series[] }[];
}
type FullPanel = GrafanaPanel & {
  gridPos: { x: number; y: number; w: number; h: number };
  description?: string;
  fieldConfig?: {
    defaults?: {
      unit?: string;
      min?: number;
      max?: number;
      thresholds?: { steps: { color: string; value: number | null }[] };
      mappings?: { type: string; options: Record<string, { color?: string; text?: string }> }[];
      custom?: { stacking?: { mode?: string } };
    };
  };
  targets?: { refId?: string; expr?: string; legendFormat?: string; instant?: boolean; format?: string }[];
  transformations?: { id: string; options?: { indexByName?: Record<string, number>; renameByName?: Record<string, string> } }[];
};

async function main(): Promise<void> {
  requireBinary('chromium', 'chromium');
  const cleanups: (() => unknown)[] = [];
  // startStack wants tap's teardown; here the script runs them itself at the end.
  const t = { teardown: (fn: () => unknown) => cleanups.unshift(fn) } as unknown as Test;
  try {
    const probes = await probeTargets(t, { failing: true });
    const stack = await startStack(
      t,
      `    process:
      groups:
        - name: tocsin
          cmdline: ['tocsin-e2e-[^/ ]*/tocsin\\.yml']`,
      '10m',
      { probes },
    );
    await until('Prometheus to scrape the exporter', 30_000, async () => (await stack.query('up{job="tocsin"} == 1')).length === 1);
    process.stderr.write(`collecting ${SECONDS} s of data...\n`);
    await sleep(SECONDS * 1000);
    const now = Date.now() / 1000;
    const builtins = { __rate_interval: '30s', __interval: `${STEP}s`, __range: `${SECONDS}s` };
    const query = async (path: string, params: Record<string, string>) => {
      const res = await fetch(`${stack.prometheus}/api/v1/${path}?${new URLSearchParams(params)}`);
      return ((await res.json()) as { data: { result: { metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }[] } }).data.result;
    };
    mkdirSync(OUT, { recursive: true });
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    try {
      for (const uid of DASHBOARDS) {
        const found = loadDashboards().find((d) => d.dash.uid === uid);
        if (!found) throw new Error(`no dashboard with uid ${uid} in grafana/`);
        const { dash } = found;
        const { values } = await resolveVariables(dash, prometheusLabelValues(stack.prometheus, now), builtins);
        const data: PanelData[] = [];
        for (const panel of allPanels(dash.panels) as FullPanel[]) {
          const series: PanelData['series'] = [];
          for (const q of panel.targets ?? []) {
            const expr = interpolate(q.expr ?? '', values, dash.templating?.list ?? [], builtins);
            const instant = q.instant === true || !RANGE_PANELS.has(panel.type ?? '');
            const result = instant
              ? await query('query', { query: expr, time: String(now) })
              : await query('query_range', { query: expr, start: String(now - SECONDS), end: String(now), step: String(STEP) });
            series.push({
              refId: q.refId ?? '',
              legend: q.legendFormat ?? '',
              data: result.map((r) => ({
                labels: r.metric,
                points: (r.values ?? (r.value ? [r.value] : [])).map(([ts, v]) => [ts, Number(v)] as [number, number]),
              })),
            });
          }
          data.push({ panel, series });
        }
        const scene = SCENES[uid] ?? 'as on that machine';
        const caption = `${dash.title}: the panels of grafana/${dash.uid}.json drawn from a real Prometheus scraping Tocsin (tocsin stack on a test machine), ${SECONDS} s of data up to ${new Date(now * 1000).toISOString().slice(0, 16)} UTC; ${scene}. Drawn by scripts/dashboard-pictures.ts, not by Grafana.`;
        const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, deviceScaleFactor: 1 });
        await page.setContent(html(dash.title, data, caption, now));
        const file = `${uid.replace(/^tocsin-/, '')}.png`;
        await page.screenshot({ path: join(OUT, file), fullPage: true });
        await page.close();
        process.stderr.write(`wrote ${join('docs', 'img', file)}\n`);
      }
    } finally {
      await browser.close();
    }
  } finally {
    for (const fn of cleanups) await fn();
  }
}

// ---------------------------------------------------------------------------------------------
// Drawing: one absolutely placed box per panel on Grafana's 24-column grid (30 px rows).

const COL = 1400 / 24;
const ROW = 30;
const PALETTE = ['#73BF69', '#F2CC0C', '#8AB8FF', '#FF780A', '#F2495C', '#5794F2', '#B877D9', '#FADE2A'];
const COLORS: Record<string, string> = { green: '#73BF69', orange: '#FF9830', red: '#F2495C', blue: '#5794F2' };
/** Panels whose queries are drawn over time; the others show the value now. */
const RANGE_PANELS = new Set(['timeseries', 'state-timeline']);

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function formatValue(v: number, unit: string | undefined): string {
  if (!Number.isFinite(v)) return String(v);
  if (unit === 'percentunit') return `${(v * 100).toFixed(v < 0.1 ? 1 : 0)}%`;
  if (unit === 's') {
    if (v >= 86400) return `${(v / 86400).toFixed(1)} days`;
    if (v >= 3600) return `${(v / 3600).toFixed(1)} h`;
    if (v >= 1 || v === 0) return `${v.toFixed(v < 10 && !Number.isInteger(v) ? 1 : 0)} s`;
    return `${(v * 1000).toFixed(v < 0.01 ? 1 : 0)} ms`;
  }
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

function legendOf(format: string, labels: Record<string, string>): string {
  if (format === '' || format === '__auto') return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(', ') || 'value';
  return format.replace(/\{\{\s*(\w+)\s*\}\}/g, (_m, k: string) => labels[k] ?? '');
}

function thresholdColor(v: number, p: FullPanel): string {
  let color = 'green';
  for (const s of p.fieldConfig?.defaults?.thresholds?.steps ?? []) if (s.value === null || v >= s.value) color = s.color;
  return COLORS[color] ?? color;
}

function timeseries(d: PanelData, w: number, h: number, now: number): string {
  const unit = d.panel.fieldConfig?.defaults?.unit;
  let lines = d.series.flatMap((s) => s.data.map((x) => ({ ...x, threshold: s.refId.startsWith('T'), legend: legendOf(s.legend, x.labels) })));
  if (lines.length === 0 || lines.every((l) => l.points.length === 0)) return noData(w, h);
  if (d.panel.fieldConfig?.defaults?.custom?.stacking?.mode === 'normal') {
    // Stacked as Grafana draws it: each line on top of the ones before it, at the same instant.
    const below = new Map<number, number>();
    lines = lines.map((l) => {
      if (l.threshold) return l;
      const points = l.points.map(([ts, v]): [number, number] => {
        const top = (below.get(ts) ?? 0) + v;
        below.set(ts, top);
        return [ts, top];
      });
      return { ...l, points };
    });
  }
  const all = lines.flatMap((l) => l.points.map(([, v]) => v));
  const min = d.panel.fieldConfig?.defaults?.min ?? Math.min(0, ...all);
  const max = d.panel.fieldConfig?.defaults?.max ?? (Math.max(...all) * 1.1 || 1);
  const [left, top, right, bottom] = [56, 8, w - 12, h - 40];
  const x = (ts: number) => left + ((ts - (now - SECONDS)) / SECONDS) * (right - left);
  const y = (v: number) => bottom - ((Math.min(max, Math.max(min, v)) - min) / (max - min || 1)) * (bottom - top);
  const grid = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const v = min + f * (max - min);
    return `<line x1="${left}" x2="${right}" y1="${y(v)}" y2="${y(v)}" stroke="#2c3235"/><text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${esc(formatValue(v, unit))}</text>`;
  });
  const times = [0, 0.5, 1].map((f) => {
    const ts = now - SECONDS + f * SECONDS;
    return `<text x="${x(ts)}" y="${bottom + 14}" text-anchor="${['start', 'middle', 'end'][f * 2]}">${new Date(ts * 1000).toISOString().slice(11, 19)}</text>`;
  });
  let i = 0;
  const paths = lines.map((l) => {
    const color = l.threshold ? '#F2495C' : PALETTE[i++ % PALETTE.length]!;
    const dpath = l.points.map(([ts, v], k) => `${k === 0 ? 'M' : 'L'}${x(ts).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    return { color, legend: l.legend, last: l.points.at(-1)?.[1], svg: `<path d="${dpath}" fill="none" stroke="${color}" stroke-width="${l.threshold ? 2 : 1.5}"${l.threshold ? ' stroke-dasharray="8 6"' : ''}/>` };
  });
  const legend = paths
    .map((p) => `<span class="key"><i style="background:${p.color}"></i>${esc(p.legend)}${p.last !== undefined ? ` <b>${esc(formatValue(p.last, unit))}</b>` : ''}</span>`)
    .join('');
  return `<svg width="${w}" height="${h - 22}">${grid.join('')}${times.join('')}${paths.map((p) => p.svg).join('')}</svg><div class="legend">${legend}</div>`;
}

function stat(d: PanelData, w: number, h: number): string {
  const v = d.series[0]?.data[0]?.points.at(-1)?.[1];
  if (v === undefined) return noData(w, h);
  const color = thresholdColor(v, d.panel);
  return `<div class="stat" style="color:${color}">${esc(formatValue(v, d.panel.fieldConfig?.defaults?.unit))}</div>`;
}

function bargauge(d: PanelData, w: number, h: number): string {
  const rows = d.series.flatMap((s) => s.data.map((x) => ({ legend: legendOf(s.legend, x.labels), v: x.points.at(-1)?.[1] ?? NaN })));
  if (rows.length === 0) return noData(w, h);
  const max = d.panel.fieldConfig?.defaults?.max ?? Math.max(1, ...rows.map((r) => r.v).filter(Number.isFinite));
  const unit = d.panel.fieldConfig?.defaults?.unit;
  return rows
    .map(
      (r) =>
        `<div class="bar"><span>${esc(r.legend)}</span><div class="track"><div style="width:${Math.max(0, Math.min(1, r.v / max)) * 100}%;background:${thresholdColor(r.v, d.panel)}"></div></div><b style="color:${thresholdColor(r.v, d.panel)}">${esc(formatValue(r.v, unit))}</b></div>`,
    )
    .join('');
}

/** Grafana's state timeline: one band per series, coloured by the value mappings over time. */
function stateTimeline(d: PanelData, w: number, h: number, now: number): string {
  const rows = d.series.flatMap((s) => s.data.map((x) => ({ legend: legendOf(s.legend, x.labels), points: x.points })));
  if (rows.length === 0) return noData(w, h);
  const mapping = Object.assign({}, ...(d.panel.fieldConfig?.defaults?.mappings ?? []).filter((m) => m.type === 'value').map((m) => m.options)) as Record<
    string,
    { color?: string; text?: string }
  >;
  const [left, right, top] = [120, w - 12, 4];
  // Room below the bands for the time axis (the svg is h - 22 high).
  const band = Math.min(28, (h - 22 - 20 - top) / rows.length);
  const x = (ts: number) => left + ((ts - (now - SECONDS)) / SECONDS) * (right - left);
  const cells = rows.map((r, i) => {
    const y = top + i * band;
    const rects = r.points.map(([ts, v]) => {
      const color = COLORS[mapping[String(v)]?.color ?? ''] ?? thresholdColor(v, d.panel);
      // Each sample holds until the next step (gaps stay empty, as in Grafana).
      return `<rect x="${x(ts).toFixed(1)}" y="${y + 2}" width="${Math.max(1, x(ts + STEP) - x(ts)).toFixed(1)}" height="${band - 4}" fill="${color}"/>`;
    });
    return `<text x="${left - 8}" y="${y + band / 2 + 4}" text-anchor="end">${esc(r.legend)}</text>${rects.join('')}`;
  });
  const bottom = top + rows.length * band;
  const times = [0, 0.5, 1].map((f) => {
    const ts = now - SECONDS + f * SECONDS;
    return `<text x="${x(ts)}" y="${bottom + 14}" text-anchor="${['start', 'middle', 'end'][f * 2]}">${new Date(ts * 1000).toISOString().slice(11, 19)}</text>`;
  });
  const legend = Object.values(mapping)
    .map((m) => `<span class="key"><i style="background:${COLORS[m.color ?? ''] ?? m.color}"></i>${esc(m.text ?? '')}</span>`)
    .join('');
  return `<svg width="${w}" height="${h - 22}">${cells.join('')}${times.join('')}</svg><div class="legend">${legend}</div>`;
}

function table(d: PanelData, w: number, h: number): string {
  const rows = d.series.flatMap((s) => s.data.map((x) => x.labels));
  if (rows.length === 0) return noData(w, h);
  // The columns of the panel's "organize" transformation, in its order and with its names.
  const organize = d.panel.transformations?.find((tr) => tr.id === 'organize')?.options;
  const cols = Object.entries(organize?.indexByName ?? {})
    .sort(([, a], [, b]) => a - b)
    .map(([c]) => c);
  return `<table><tr>${cols.map((c) => `<th>${esc(organize?.renameByName?.[c] ?? c)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${cols.map((c) => `<td>${esc(r[c] ?? '')}</td>`).join('')}</tr>`).join('')}</table>`;
}

/** What Grafana shows for a panel whose queries returned nothing. */
function noData(_w: number, _h: number): string {
  return '<div class="nodata">No data</div>';
}

function html(title: string, data: PanelData[], caption: string, now: number): string {
  const height = Math.max(...data.map((d) => d.panel.gridPos.y + d.panel.gridPos.h)) * ROW + 90;
  const boxes = data.map((d) => {
    const { x, y, w, h } = d.panel.gridPos;
    const [pw, ph] = [w * COL - 8, h * ROW - 8];
    const style = `left:${x * COL + 4}px;top:${y * ROW + 50}px;width:${pw}px;height:${ph}px`;
    if (d.panel.type === 'row') return `<div class="row" style="${style}">${esc(d.panel.title ?? '')}</div>`;
    const body =
      d.panel.type === 'timeseries'
        ? timeseries(d, pw, ph - 24, now)
        : d.panel.type === 'state-timeline'
          ? stateTimeline(d, pw, ph - 24, now)
          : d.panel.type === 'stat'
            ? stat(d, pw, ph)
            : d.panel.type === 'bargauge'
              ? bargauge(d, pw, ph)
              : table(d, pw, ph);
    return `<div class="panel" style="${style}"><div class="title">${esc(d.panel.title ?? '')}</div>${body}</div>`;
  });
  return `<!doctype html><html><head><meta charset="utf-8"><style>
  body { margin: 0; background: #111217; color: #ccccdc; font: 12px sans-serif; width: 1400px; height: ${height}px; position: relative; }
  h1 { font-size: 18px; font-weight: 500; margin: 0; padding: 14px 12px; }
  .panel { position: absolute; background: #181b1f; border: 1px solid #2c3235; border-radius: 3px; overflow: hidden; box-sizing: border-box; }
  .row { position: absolute; font-size: 14px; font-weight: 500; padding-top: 6px; }
  .title { font-size: 13px; font-weight: 500; padding: 6px 8px; }
  svg text { fill: #9fa7b3; font-size: 10px; }
  .legend { padding: 0 8px; font-size: 11px; }
  .key { margin-right: 12px; white-space: nowrap; } .key i { display: inline-block; width: 10px; height: 3px; margin-right: 4px; vertical-align: middle; }
  .stat { font-size: 40px; font-weight: 500; text-align: center; padding-top: 8px; }
  .bar { display: flex; align-items: center; padding: 6px 8px; gap: 8px; } .bar span { width: 35%; overflow: hidden; white-space: nowrap; text-overflow: ellipsis; }
  .track { flex: 1; height: 16px; background: #22252b; } .track div { height: 100%; } .bar b { width: 48px; text-align: right; }
  .nodata { color: #8e8e8e; text-align: center; padding-top: 30px; font-size: 14px; }
  table { width: 100%; border-collapse: collapse; } th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #2c3235; }
  .caption { position: absolute; left: 12px; right: 12px; bottom: 8px; color: #8e8e8e; font-size: 11px; }
  </style></head><body><h1>${esc(title)}</h1>${boxes.join('')}<div class="caption">${esc(caption)}</div></body></html>`;
}

// Then the status page's picture (docs/img/status-page.png), from its own real run.
main()
  .then(() => statusPagePicture(STATUS_SECONDS))
  .catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
