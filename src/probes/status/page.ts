// The status page's HTML: one small shell for the list (/status) and for one target
// (/status/{name}), with its CSS and script inline, so it works from the exporter alone (no
// build step, no CDN, nothing to install). The script fills it from the JSON endpoint.
// A Content-Security-Policy allows exactly this script and style (by hash) and requests to the
// exporter itself: even a mistake that let markup through could not run anything.
import { createHash } from 'node:crypto';
import { escapeHtml } from '../../http/landing.js';
import { STATUS_SCRIPT } from './page-script.js';

const STYLE = `
:root { color-scheme: light dark; --bg: #fff; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --card: #f6f8fa;
  --up: #1a7f37; --down: #cf222e; --unknown: #6e7781; --paused: #9a6700; --link: #0969da; }
@media (prefers-color-scheme: dark) { :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --line: #30363d; --card: #161b22;
  --up: #3fb950; --down: #f85149; --unknown: #9198a1; --paused: #d29922; --link: #4493f8; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
a { color: var(--link); }
header { padding: 12px 16px; border-bottom: 1px solid var(--line); background: var(--card); }
header h1 { margin: 0 0 4px; font-size: 20px; overflow-wrap: anywhere; }
header .sub { color: var(--muted); display: flex; flex-wrap: wrap; gap: 4px 12px; }
.filters { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 10px; }
.filters input, .filters select { font: inherit; padding: 6px 8px; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--fg); min-width: 0; max-width: 100%; }
.filters input { flex: 1 1 200px; }
.filters select { flex: 0 1 auto; }
#stale { margin: 0; padding: 8px 16px; background: var(--down); color: #fff; }
main { padding: 4px 16px 24px; max-width: 1200px; margin: 0 auto; }
h2 { font-size: 16px; margin: 18px 0 6px; overflow-wrap: anywhere; }
h2 .count { color: var(--muted); font-weight: normal; font-size: 13px; margin-left: 8px; }
.row { display: grid; gap: 2px 14px; align-items: center; padding: 8px 4px; border-top: 1px solid var(--line);
  grid-template-columns: minmax(0, 1fr) 5.5em 5.5em 124px 6.5em 6.5em;
  grid-template-areas: "name st lat sp u24 u7" "info info info info info info"; }
.row > * { min-width: 0; }
/* Rows out of view are not laid out or painted until scrolled to: 1,000 targets load as fast as a screenful. */
.group .row { content-visibility: auto; contain-intrinsic-size: auto 64px; }
.row > .name { grid-area: name; } .row > .st { grid-area: st; } .row > .lat { grid-area: lat; } .row > .sp { grid-area: sp; }
.row > .u24 { grid-area: u24; } .row > .u7 { grid-area: u7; } .row > .info { grid-area: info; }
.name a { font-weight: 600; overflow-wrap: anywhere; }
.meta, .info, .caption { color: var(--muted); font-size: 12px; overflow-wrap: anywhere; }
.info span { margin-right: 12px; }
.failure { color: var(--down); overflow-wrap: anywhere; }
.maint { color: var(--paused); font-weight: 600; }
.row.up .failure { color: var(--muted); }
.cell small { display: block; color: var(--muted); font-size: 11px; }
.cell .v { font-variant-numeric: tabular-nums; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; font-size: 12px; font-weight: 600; background: var(--unknown); }
.badge.up { background: var(--up); } .badge.down { background: var(--down); } .badge.paused { background: var(--paused); }
.spark { display: block; overflow: visible; }
.spark .line { fill: none; stroke: var(--link); stroke-width: 1.5; }
.spark .dot { fill: var(--link); }
.spark .fail { fill: var(--down); opacity: .35; }
.spark.big { width: 100%; height: 80px; border: 1px solid var(--line); border-radius: 6px; }
.empty { color: var(--muted); }
.head { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; border-top: 0; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(130px, 1fr)); gap: 8px; margin: 8px 0; }
.figures .cell { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; }
.figures .v { font-size: 18px; }
table.recent { width: 100%; border-collapse: collapse; table-layout: fixed; font-size: 13px; }
table.recent th, table.recent td { text-align: left; padding: 3px 6px; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
table.recent th:nth-child(2), table.recent th:nth-child(3) { width: 22%; }
table.recent tr.failed td { color: var(--down); }
dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 2px 12px; }
dt { color: var(--muted); } dd { margin: 0; overflow-wrap: anywhere; }
@media (max-width: 700px) {
  .row { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr) auto;
    grid-template-areas: "name name st" "sp sp lat" "u24 u7 u7" "info info info"; }
  .row > .lat { text-align: right; }
  .info span { display: block; }
}
`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** Only the inline script and style of this page, and fetches to the exporter itself. */
export const STATUS_CSP = [
  "default-src 'none'",
  `script-src ${sha256(STATUS_SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface PageOptions {
  /** The way back to the root from this page, so links and fetches work under a path prefix ("./" or "../"). */
  readonly base: string;
  /** The target of a per-target page; the list page without. */
  readonly name?: string;
}

export function statusPage(o: PageOptions): string {
  const title = o.name === undefined ? 'Tocsin status' : `${o.name} · Tocsin status`;
  const heading = o.name === undefined ? 'Status' : o.name;
  const back = o.name === undefined ? '' : `<a href="${escapeHtml(o.base)}status">← All targets</a>`;
  const filters =
    o.name === undefined
      ? `<div class="filters" role="search">
<input id="q" type="search" placeholder="Filter by name, address, label…" aria-label="Filter targets" autocomplete="off">
<select id="state" aria-label="State"><option value="">All states</option><option value="down">Down</option><option value="up">Up</option><option value="unknown">Pending</option><option value="paused">Paused</option></select>
<select id="env" aria-label="Environment"><option value="*">All environments</option></select>
</div>`
      : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${escapeHtml(heading)}</h1>
<div class="sub">${back}<span id="counts"></span><span id="updated">Loading…</span></div>
${filters}
</header>
<p id="stale" role="alert" hidden></p>
<main id="app" data-base="${escapeHtml(o.base)}"${o.name === undefined ? '' : ` data-name="${escapeHtml(o.name)}"`}>
<div id="list"></div>
</main>
<script>${STATUS_SCRIPT}</script>
</body>
</html>
`;
}
