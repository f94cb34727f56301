// Durations exactly as Prometheus and Alertmanager read them (prometheus/common
// model.ParseDuration), so a value copied between tocsin.yml and prometheus.yml means the same
// thing in both: whole numbers with a unit, units from largest to smallest, each at most once
// ("1h30m", "90s", "500ms"), and "0" alone without a unit. "1.5m", "30s1m", "1m1m" and a bare
// "90" are errors, not guesses.

/** Units, largest first, in milliseconds (a year is 365 days, a day 24 hours, as Prometheus has it). */
const UNITS = [
  ['y', 365 * 24 * 3600 * 1000],
  ['w', 7 * 24 * 3600 * 1000],
  ['d', 24 * 3600 * 1000],
  ['h', 3600 * 1000],
  ['m', 60 * 1000],
  ['s', 1000],
  ['ms', 1],
] as const;

const GRAMMAR = new RegExp(`^${UNITS.map(([unit]) => `(?:(\\d+)${unit})?`).join('')}$`);

export const DURATION_HINT = 'a duration such as "30s", "1m30s" or "2h" (whole numbers; units ms, s, m, h, d, w, y, largest first, each once)';

/** Milliseconds, or undefined when `text` is not a Prometheus duration. */
export function parseDurationMs(text: string): number | undefined {
  if (text === '0') return 0;
  if (text === '') return undefined;
  const m = GRAMMAR.exec(text);
  if (!m) return undefined;
  let total = 0;
  UNITS.forEach(([, ms], i) => {
    const n = m[i + 1];
    if (n !== undefined) total += Number(n) * ms;
  });
  return Number.isSafeInteger(total) ? total : undefined;
}

/** Seconds (what the config holds), or undefined when `text` is not a Prometheus duration. */
export function parseDuration(text: string): number | undefined {
  const ms = parseDurationMs(text);
  return ms === undefined ? undefined : ms / 1000;
}

/** 90061001 ms -> "1d1h1m1s1ms", as Prometheus prints durations; 0 -> "0s". */
export function formatDurationMs(ms: number): string {
  let rest = Math.round(ms);
  if (rest <= 0) return '0s';
  let out = '';
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}
