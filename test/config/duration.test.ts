// Durations follow prometheus/common's model.ParseDuration exactly: the cases below are the
// ones its grammar accepts and refuses, so a value means the same in tocsin.yml as in
// prometheus.yml.
import t from 'tap';
import { formatDurationMs, parseDuration, parseDurationMs } from '../../src/config/duration.js';
import { ConfigError, parseConfig } from '../../src/config/load.js';

t.test('accepted: whole numbers with units, largest first, each once', async (t) => {
  const cases: [string, number][] = [
    ['0', 0],
    ['0s', 0],
    ['90s', 90_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1w', 604_800_000],
    ['1y', 31_536_000_000],
    ['1y1w1d1h1m1s1ms', 31_536_000_000 + 604_800_000 + 86_400_000 + 3_600_000 + 60_000 + 1000 + 1],
    ['90m', 5_400_000],
    ['1h0m', 3_600_000],
    ['007s', 7000],
  ];
  for (const [text, ms] of cases) t.equal(parseDurationMs(text), ms, text);
  t.equal(parseDuration('1m30s'), 90, 'the config holds seconds');
  t.equal(parseDuration('250ms'), 0.25);
});

t.test('refused: fractions, bare numbers, wrong order, repeats, spaces, signs, unknown units', async (t) => {
  for (const text of ['', '1.5', '1.5m', '0.5s', '90', '1', '-1s', '+1s', '30s1m', '1s1h', '1m1m', '1ms1s', '1h 30m', ' 1h', '1h ', '1H', '1S', '1us', '1ns', '1mo', 's', 'ms', '1', '1e3s', '1_000s', 'Infinity']) {
    t.equal(parseDurationMs(text), undefined, JSON.stringify(text));
  }
});

t.test('printed as Prometheus prints them', async (t) => {
  t.equal(formatDurationMs(0), '0s');
  t.equal(formatDurationMs(5_400_000), '1h30m');
  t.equal(formatDurationMs(2 ** 31 - 1), '3w3d20h31m23s647ms');
  t.equal(parseDurationMs(formatDurationMs(123_456_789)), 123_456_789, 'round trip');
});

function problems(yaml: string): string {
  try {
    parseConfig(yaml, 'test.yml');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.join('\n');
    throw err;
  }
  return '';
}

t.test('in the config: numbers are refused, naming the key', async (t) => {
  t.match(problems('relay:\n  delivery:\n    timeout: 90\n'), /^relay\.delivery\.timeout: expected a duration .*got 90; a number needs a unit, e\.g\. "90s"/);
  t.match(problems('relay:\n  dedupe_window: "90"\n'), /^relay\.dedupe_window: .*a number needs a unit/);
  t.match(problems('exporter:\n  scrape_timeout: 1.5m\n'), /^exporter\.scrape_timeout: expected a duration/);
  t.match(problems('exporter:\n  scrape_timeout: 1.5\n'), /^exporter\.scrape_timeout: expected a duration.*e\.g\. "1500ms"/);
  t.match(problems('stack:\n  scrape_interval: 30s1m\n'), /^stack\.scrape_interval: expected a duration/);
  t.equal(problems('relay:\n  delivery:\n    min_interval: 0\n'), '', 'YAML 0 is "0", which Prometheus allows');
  const c = parseConfig('relay:\n  delivery:\n    min_interval: 1m30s\n    timeout: 2500ms\n', 'test.yml');
  t.equal(c.relay.delivery.min_interval, 90);
  t.equal(c.relay.delivery.timeout, 2.5);
});
