import t from 'tap';
import type { AlertmanagerNotification } from '../../src/relay/types.js';
import { checkTemplate, renderTemplate, renderTitle } from '../../src/relay/slack/template.js';
import { amFixture as fixture } from '../helpers/am-fixtures.js';

const critical = fixture('firing-grouped-critical');
const truncated = fixture('firing-truncated');

t.test('fields', async (t) => {
  const r = (tpl: string, n = critical) => renderTemplate(tpl, n);
  t.equal(r('{{ status }}'), 'firing');
  t.equal(r('{{ status }}', fixture('resolved-warning')), 'resolved');
  t.equal(r('{{ receiver }}'), 'relay');
  t.equal(r('{{ count }}/{{ firing }}/{{ resolved }}/{{ truncated }}', truncated), '5/2/0/3');
  t.equal(r('{{ alertname }} {{ severity }}'), 'ContainerStopped critical');
  t.equal(r('{{ title }}'), '[FIRING:2] ContainerStopped web-1:9464');
  t.equal(r('{{ externalURL }}'), 'http://alertmanager.example:9093');
  // The captured fixture's own label value (it was recorded before the rename and stays as captured).
  t.equal(r('{{ labels.instance }} {{ labels.job }}'), `web-1:9464 ${critical.commonLabels.job}`);
  t.equal(critical.commonLabels.job, critical.alerts[0]!.labels.job, 'a common label');
  t.equal(r('{{ groupLabels.alertname }}'), 'ContainerStopped');
  t.equal(r('{{ annotations.description }}', truncated), 'WebSocket handshake timed out after 3s');
  t.equal(r('{{labels.instance}}|{{   count   }}'), 'web-1:9464|2', 'spaces inside braces are optional');
});

t.test('unknown fields render empty; text around tags is kept', async (t) => {
  t.equal(renderTemplate('a{{ nope }}b{{ labels.container }}c{{ labels.bad-name }}d', critical), 'abcd');
  t.equal(renderTemplate('no tags at all *bold* <!here>', critical), 'no tags at all *bold* <!here>', 'the template text itself is trusted');
});

t.test('filters', async (t) => {
  t.equal(renderTemplate('{{ status | upper }} {{ labels.alertname | lower }}', critical), 'FIRING containerstopped');
  t.equal(renderTemplate('{{ status | shout }}', critical), 'firing', 'unknown filters are ignored');
});

t.test('Alertmanager (Go template) spellings', async (t) => {
  const tpl =
    '{{ .Status }} {{ .Receiver }} {{ .CommonLabels.alertname }} {{ .GroupLabels.instance }} {{ .CommonAnnotations.description }} {{ .Alerts | len }} {{ .Alerts.Firing | len }} {{ .Alerts.Resolved | len }} {{ .ExternalURL }}';
  t.equal(
    renderTemplate(tpl, truncated),
    'firing relay ProbeFailed  WebSocket handshake timed out after 3s 5 2 0 http://alertmanager.example:9093',
  );
});

t.test('values are escaped for mrkdwn; titles only lose control characters', async (t) => {
  const n: AlertmanagerNotification = {
    ...critical,
    commonLabels: { ...critical.commonLabels, team: '<!channel> & <b>ops</b>\u0007 @everyone' },
  };
  t.equal(renderTemplate('Team {{ labels.team }}', n), 'Team &lt;!channel&gt; &amp; &lt;b&gt;ops&lt;/b&gt; @\u2060everyone');
  t.equal(renderTitle('Team {{ labels.team }}\nline two', n), 'Team <!channel> & <b>ops</b> @everyone line two', 'header is plain_text: one line, nothing parsed');
  t.equal(renderTemplate('{{ labels.team }}', n, (v) => `[${v}]`), '[<!channel> & <b>ops</b>\u0007 @everyone]', 'escape is pluggable');
});

t.test('checkTemplate reports what would silently render empty', async (t) => {
  t.same(checkTemplate('{{ status }} {{ labels.x }} {{ .Alerts.Firing | len }}'), []);
  t.match(checkTemplate('{{ stauts }}'), [/^unknown field "stauts"/]);
  t.match(checkTemplate('{{ status | shout }}'), [/^unknown filter "shout"/]);
  t.same(checkTemplate('oops {{ status'), ['"{{" without a closing "}}"']);
  t.equal(renderTemplate('oops {{ status', critical), 'oops {{ status', 'an unclosed tag stays as text');
});
