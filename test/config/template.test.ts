// Route templates are checked when the config is loaded: a typo, an unknown filter or an
// Alertmanager-style Go template is an error naming the key, not an empty Slack title.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { checkTemplate } from '../../src/config/template-syntax.js';
import { tempDir } from '../helpers/relay-config.js';
import { tocsinArgs } from '../helpers/tocsin-process.js';

function config(key: 'title_template' | 'text_template', template: string): string {
  return `relay:\n  destinations: [{name: console, type: console}]\n  routes:\n    - destinations: [console]\n    - destinations: [console]\n      ${key}: ${JSON.stringify(template)}\n`;
}

function problems(yaml: string): string[] {
  try {
    parseConfig(yaml, 'tocsin.yml');
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
}

const bad: [string, string, RegExp][] = [
  ['a typo in a field', '{{ alertnme }} is down', /unknown field "alertnme"/],
  ['a typo in a map', '{{ labls.instance }}', /unknown field "labls\.instance"/],
  ['a per-alert Go field', '{{ .Labels.instance }}', /unknown field "\.Labels\.instance".*\{\{ labels\.instance \}\}/],
  ['a Go range', '{{ range .Alerts }}{{ .Labels.alertname }}{{ end }}', /Go template syntax/],
  ['a Go if', '{{ if eq .Status "firing" }}!{{ end }}', /Go template syntax/],
  ['a Go variable', '{{ $x := .Status }}', /Go template syntax/],
  ['Go trim markers', '{{- .Status -}}', /Go template syntax/],
  ['a Go function call', '{{ printf "%s" .Status }}', /Go template syntax|unknown field/],
  ['an unknown filter', '{{ status | shout }}', /unknown filter "shout"/],
  ['an unclosed tag', 'oops {{ status', /without a closing/],
  ['an empty tag', 'x {{ }} y', /empty/],
  ['the wrong case', '{{ Status }}', /unknown field "Status".*did you mean \{\{ status \}\}/],
];

for (const [name, template, want] of bad) {
  t.test(`refused: ${name}`, async (t) => {
    for (const key of ['title_template', 'text_template'] as const) {
      const p = problems(config(key, template));
      t.ok(
        p.some((x) => x.startsWith(`relay.routes[1].${key}: `) && want.test(x)),
        `${key} ${JSON.stringify(template)} is refused naming relay.routes[1].${key}`,
        { problems: p },
      );
    }
  });
}

t.test('accepted: the documented fields, filters and Alertmanager spellings', async (t) => {
  for (const template of [
    '{{ alertname }} on {{ labels.instance }}',
    'Owner: {{ labels.team }}',
    '{{ status | upper }} {{ receiver }} {{ count }} {{ firing }} {{ resolved }} {{ truncated }} {{ severity }} {{ title }} {{ externalURL }}',
    '{{ groupLabels.alertname }} {{ annotations.summary | lower }}',
    '{{ .Status }} {{ .Receiver }} {{ .CommonLabels.alertname }} {{ .GroupLabels.instance }} {{ .CommonAnnotations.description }} {{ .Alerts | len }} {{ .Alerts.Firing | len }} {{ .Alerts.Resolved | len }} {{ .ExternalURL }}',
    'no tags, *mrkdwn* and <!here>',
    '{{labels.instance}}|{{   count   }}',
  ]) {
    t.same(checkTemplate(template), [], template);
    t.same(problems(config('title_template', template)), [], `in the config: ${template}`);
  }
});

t.test('tocsin check-config exits 1 naming the route and the template key', async (t) => {
  const tmp = tempDir('template');
  t.teardown(tmp.remove);
  const file = join(tmp.dir, 'tocsin.yml');
  writeFileSync(file, config('text_template', 'Runbook: {{ .Annotations.runbook }}'));
  const res = spawnSync(process.execPath, tocsinArgs(['check-config', file]), { encoding: 'utf8', timeout: 30_000 });
  t.equal(res.status, 1);
  t.match(res.stderr, 'relay.routes[1].text_template: unknown field ".Annotations.runbook"');
});

t.test('tocsin relay refuses to start with a bad template, naming it', async (t) => {
  const tmp = tempDir('template-start');
  t.teardown(tmp.remove);
  const file = join(tmp.dir, 'tocsin.yml');
  writeFileSync(file, config('title_template', '{{ range .Alerts }}x{{ end }}').replace('relay:\n', `relay:\n  listen_address: 127.0.0.1:0\n  data_dir: data\n`));
  const res = spawnSync(process.execPath, tocsinArgs(['relay', `--config.file=${file}`]), { encoding: 'utf8', timeout: 30_000 });
  t.equal(res.status, 1, 'exit 1, before listening');
  t.match(res.stderr, 'relay.routes[1].title_template: {{ range .Alerts }} is Go template syntax');
  t.notMatch(res.stderr, /relay listening/);
});
