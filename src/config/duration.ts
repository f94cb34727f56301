// Prometheus-style durations ("500ms", "10s", "1m30s", "2h"), so the config reads like
// the prometheus.yml and alertmanager.yml next to it.
const UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/y;

/** Returns seconds, or undefined when `text` is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (text === '0') return 0;
  let total = 0;
  let pos = 0;
  PART.lastIndex = 0;
  while (pos < text.length) {
    PART.lastIndex = pos;
    const m = PART.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * (UNITS[m[2]!] ?? NaN);
    pos = PART.lastIndex;
  }
  return pos === 0 || !Number.isFinite(total) ? undefined : total;
}
