import t from 'tap';
import { codeSpan, escapeMrkdwn, mrkdwnLink, neutralizeMentions, oneLine, truncate, truncateMrkdwn } from '../../src/relay/slack/mrkdwn.js';
import { describeTimes, formatDuration, formatTime, parseTime, zoneName } from '../../src/relay/slack/time.js';
import { matcherList, silenceUrl } from '../../src/relay/slack/model.js';

t.test('escapeMrkdwn', async (t) => {
  t.equal(escapeMrkdwn('a & b < c > d'), 'a &amp; b &lt; c &gt; d');
  t.equal(escapeMrkdwn('<!channel> <!here|here> <@U1> <#C1>'), '&lt;!channel&gt; &lt;!here|here&gt; &lt;@U1&gt; &lt;#C1&gt;');
  t.equal(escapeMrkdwn('@here @Channel @everyone mail@here.com'), '@\u2060here @\u2060Channel @\u2060everyone mail@\u2060here.com');
  t.equal(escapeMrkdwn('&&&&', 8), '&amp;…', 'cut at an entity boundary');
  t.equal(escapeMrkdwn('😀😀😀', 4), '😀…', 'never half a surrogate pair');
  t.equal(escapeMrkdwn('bell\u0007\u001b[0m'), 'bell[0m', 'control characters dropped');
  t.equal(neutralizeMentions('@hereafter'), '@hereafter', 'only whole words');
});

t.test('truncate and truncateMrkdwn', async (t) => {
  t.equal(truncate('abcdef', 4), 'abc…');
  t.equal(truncate('abc', 4), 'abc');
  t.equal(truncateMrkdwn('x &amp; y', 5), 'x …');
  t.equal(truncateMrkdwn('see <https://example.com|here> now', 12), 'see …');
  t.equal(truncateMrkdwn('see <https://example.com|here> now', 32), 'see <https://example.com|here> …');
});

t.test('codeSpan, oneLine, mrkdwnLink', async (t) => {
  t.equal(codeSpan('a`b\nc'), '`aˋb c`');
  t.equal(codeSpan(''), '` `', 'never an empty span');
  t.ok(codeSpan('x'.repeat(500), 50).length <= 50);
  t.equal(oneLine('  a \n\t b  '), 'a b');
  t.equal(mrkdwnLink('http://h/?a=1&b=2|3', 'Graph'), '<http://h/?a=1&amp;b=2%7C3|Graph>');
});

t.test('silence matchers', async (t) => {
  t.equal(matcherList({ instance: 'web-1:9464', alertname: 'X', job: 'a"b\\c' }), '{alertname="X", instance="web-1:9464", job="a\\"b\\\\c"}');
  t.equal(
    silenceUrl('http://am:9093/', { alertname: 'X' }),
    'http://am:9093/#/silences/new?filter=%7Balertname%3D%22X%22%7D',
    'a trailing slash on externalURL is fine',
  );
  t.equal(silenceUrl('', { alertname: 'X' }), undefined, 'no externalURL, no silence link');
  t.equal(silenceUrl('http://am:9093', {}), undefined, 'no labels, no silence link');
  t.equal(silenceUrl('http://am:9093', { a: 'v'.repeat(3000) }), undefined, 'over 3000 characters');
});

t.test('times and durations', async (t) => {
  const d = new Date('2026-11-21T14:43:38Z');
  t.equal(formatTime(d, 'Asia/Seoul'), '2026-11-21 23:43 Asia/Seoul');
  t.equal(formatTime(d, 'UTC'), '2026-11-21 14:43 UTC');
  t.equal(formatTime(d, 'Etc/UTC'), '2026-11-21 14:43 UTC');
  t.equal(formatTime(d, 'Asia/Kolkata'), '2026-11-21 20:13 Asia/Kolkata');
  t.equal(formatTime(new Date('2026-07-01T12:00:00Z'), 'Europe/Berlin'), '2026-07-01 14:00 Europe/Berlin', 'summer time');
  t.equal(zoneName('No/Such_Zone'), 'UTC');
  t.equal(parseTime('0001-01-01T00:00:00Z'), undefined, "Alertmanager's zero time");
  t.equal(parseTime('junk'), undefined);
  t.equal(formatDuration(0), '0s');
  t.equal(formatDuration(4_000), '4s');
  t.equal(formatDuration(750_000), '12m 30s');
  t.equal(formatDuration(7_200_000), '2h');
  t.equal(formatDuration(7_500_000), '2h 5m');
  t.equal(formatDuration(3 * 86_400_000 + 4 * 3_600_000 + 59_000), '3d 4h');
  t.equal(formatDuration(-5_000), '0s', 'clock skew');
  t.equal(
    describeTimes({ status: 'firing', startsAt: d }, 'UTC', new Date('2026-11-21T14:56:08Z')),
    'since 2026-11-21 14:43 UTC (firing for 12m 30s)',
  );
  t.equal(describeTimes({ status: 'resolved', startsAt: d }, 'UTC', d), 'started 2026-11-21 14:43 UTC, resolved');
  t.equal(describeTimes({ status: 'firing' }, 'UTC', d), undefined);
});
