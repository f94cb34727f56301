// A YAML syntax error must not print the secret on (or near) the offending line: js-yaml's own
// message quotes up to three lines before it, cut at about 30 characters, which is the start of
// a webhook URL or a token.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { tempDir } from '../helpers/relay-config.js';
import { tocsinArgs } from '../helpers/tocsin-process.js';

const TOKEN = 'T0A1B2C3D/B4E5F6G7H/q8r9s0t1u2v3w4x5y6z7a8b9';
const URL = `https://hooks.slack.com/services/${TOKEN}`;

function message(yaml: string): string {
  try {
    parseConfig(yaml, 'tocsin.yml');
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

/** No run of 8 characters of `secret` appears in `text`. */
function leaks(text: string, secret: string): string[] {
  const found: string[] = [];
  for (let i = 0; i + 8 <= secret.length; i++) if (text.includes(secret.slice(i, i + 8))) found.push(secret.slice(i, i + 8));
  return found;
}

const cases: Record<string, { yaml: string; secret: string }> = {
  'secret on the line before the error': {
    yaml: `relay:\n  destinations:\n    - name: a\n      webhook_url: ${URL}\n     bad: x\n`,
    secret: URL,
  },
  'secret on the offending line (unclosed quote)': {
    yaml: `relay:\n  destinations:\n    - name: a\n      webhook_url: "${URL}\n  routes: []\n`,
    secret: URL,
  },
  'secret in a flow mapping': {
    yaml: `relay:\n  destinations:\n    - {name: a, webhook_url: ${URL}\n`,
    secret: URL,
  },
  'token under a token key': {
    yaml: 'relay:\n  auth:\n    bearer_token: "s3cr3t-b34r3r-t0k3n-v4lu3\n',
    secret: 's3cr3t-b34r3r-t0k3n-v4lu3',
  },
  'Slack token under an innocent key': {
    yaml: 'relay:\n  destinations:\n    - name: a\n      note: xoxb-1234567890-0987654321-abcdefghij\n    bad\n',
    secret: 'xoxb-1234567890-0987654321-abcdefghij',
  },
  'password with a URL userinfo': {
    yaml: `exporter:\n  collectors:\n    containers:\n      docker_host: tcp://admin:hunter2hunter2@docker:2376\n     x: [\n`,
    secret: 'admin:hunter2hunter2',
  },
};

for (const [name, c] of Object.entries(cases)) {
  t.test(name, async (t) => {
    const text = message(c.yaml);
    t.match(text, /YAML: .+ \(line \d+, column \d+\)/, 'says what and where');
    t.same(leaks(text, c.secret), [], 'no 8-character piece of the secret');
  });
}

t.test('lines without secrets are still shown, with a caret', async (t) => {
  const text = message('exporter:\n  collectors:\n    cpu: {}\n   meminfo: {}\n');
  t.match(text, '3 |     cpu: {}');
  t.match(text, '4 |    meminfo: {}');
  t.match(text, /\|\s+\^/);
});

t.test('tocsin check-config prints no piece of the secret', async (t) => {
  const tmp = tempDir('yaml-secret');
  t.teardown(tmp.remove);
  const file = join(tmp.dir, 'tocsin.yml');
  writeFileSync(file, cases['secret on the line before the error']!.yaml);
  const res = spawnSync(process.execPath, tocsinArgs(['check-config', file]), { encoding: 'utf8', timeout: 30_000 });
  t.equal(res.status, 1);
  t.match(res.stderr, /bad indentation/);
  t.same(leaks(res.stderr + res.stdout, URL), []);
});

t.test('a secret that became a key (a pasted URL followed by a colon) is not echoed as an unknown key', async (t) => {
  const text = message(`relay:\n  destinations:\n    - name: a\n      type: console\n      ${URL}: x\n`);
  t.match(text, /relay\.destinations\[0\]: unknown key \(a key that looks like a secret\)/);
  t.same(leaks(text, URL), []);
  t.match(message('relay:\n  dedupe_windw: 5m\n'), 'relay: unknown key "dedupe_windw"', 'ordinary keys are still named');
});
