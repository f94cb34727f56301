// Renders collected metric values in the Prometheus text format (0.0.4) or OpenMetrics 1.0.
//
// Why not prom-client's Registry.metrics(): it renders the live metric objects, and its
// OpenMetrics rendering renames a counter in place (strips `_total` from its name), so
// rendering both formats from one collection, or the exporter's long-lived self metrics in
// both formats, changes what the text format says afterwards. It also allocates several
// arrays and objects per sample (about 20 times the size of what it writes), which is most
// of a scrape's garbage and, with many concurrent scrapers, of the exporter's peak memory.
// This renders plain values (prom-client's own get() output) and touches nothing.
import type { MetricObjectWithValues, MetricValue } from 'prom-client';

export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
export const PROMETHEUS_TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export type ExpositionFormat = typeof OPENMETRICS_CONTENT_TYPE | typeof PROMETHEUS_TEXT_CONTENT_TYPE;

/** One metric family's values at collection time (histogram samples carry their metricName). */
export type Family = MetricObjectWithValues<MetricValue<string>>;

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

const NEEDS_ESCAPE = /[\\\n"]/;

function escapeLabelValue(value: unknown): string {
  const text = String(value);
  // Most values need nothing: testing first spares three replace() copies per label.
  if (!NEEDS_ESCAPE.test(text)) return text;
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function formatLabels(labels: Readonly<Record<string, unknown>>): string {
  let out = '';
  for (const name in labels) {
    const value = labels[name];
    if (value === undefined) continue;
    out += `${out === '' ? '' : ','}${name}="${escapeLabelValue(value)}"`;
  }
  return out === '' ? '' : `{${out}}`;
}

export function renderExposition(families: readonly Family[], format: ExpositionFormat): string {
  const openMetrics = format === OPENMETRICS_CONTENT_TYPE;
  const seen = new Set<string>();
  // Collectors share one labels object among a target's families (the probes: some 15 families
  // per target), so each is formatted once per rendering rather than once per sample.
  const formatted = new Map<object, string>();
  let out = '';
  for (const family of families) {
    // OpenMetrics names a counter family without _total and every counter sample with it.
    // (prom-client's typings say an enum; at run time `type` is the exposition's word.)
    const type = String(family.type);
    const counter = openMetrics && type === 'counter';
    const name = counter ? family.name.replace(/_total$/, '') : family.name;
    // Two collectors writing one family would make an invalid exposition: fail the scrape
    // loudly rather than serve it (as prom-client's registry merge did).
    if (seen.has(name)) throw new Error(`metric family ${name} written twice`);
    seen.add(name);
    out += `# HELP ${name} ${escapeHelp(family.help)}\n# TYPE ${name} ${type}\n`;
    for (const v of family.values) {
      const sample = counter ? `${name}_total` : ((v as { metricName?: string }).metricName ?? name);
      let labels = formatted.get(v.labels);
      if (labels === undefined) {
        labels = formatLabels(v.labels);
        formatted.set(v.labels, labels);
      }
      out += `${sample}${labels} ${formatValue(v.value)}\n`;
    }
  }
  return openMetrics ? `${out}# EOF\n` : out;
}
