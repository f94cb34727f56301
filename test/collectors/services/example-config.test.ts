// The service sections of examples/tocsin.yml are commented out (off by default); uncommented,
// they must be a valid configuration, so a user who uncomments them gets a working start.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { configSchema } from '../../../src/config/schema.js';

const EXAMPLE = fileURLToPath(new URL('../../../examples/tocsin.yml', import.meta.url));

/** The commented block that starts with `# <key>:` at the collectors' indentation, uncommented once. */
function uncommented(text: string, key: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l === `    # ${key}:`);
  if (start < 0) throw new Error(`examples/tocsin.yml has no commented "${key}:" section`);
  const block: string[] = [];
  for (const line of lines.slice(start)) {
    if (!line.startsWith('    # ') || (block.length > 0 && !line.startsWith('    #   '))) break;
    block.push(line.replace(/^ {4}# /, '    '));
  }
  return block.join('\n');
}

t.test('the nginx and mysql sections of examples/tocsin.yml, uncommented, are valid', async (t) => {
  const text = readFileSync(EXAMPLE, 'utf8');
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-example-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const sections = `exporter:\n  collectors:\n${uncommented(text, 'nginx')}\n${uncommented(text, 'mysql')}\n`;
  // The password file it names is replaced by one that exists here.
  writeFileSync(join(dir, 'mysql-password'), 'x\n');
  const yaml = sections.replace('/etc/tocsin/mysql-password', join(dir, 'mysql-password'));
  const parsed = configSchema.safeParse(load(yaml));
  t.ok(parsed.success, `valid: ${parsed.success ? '' : parsed.error.message}\n${yaml}`);
  if (!parsed.success) return;
  const { nginx, mysql } = parsed.data.exporter.collectors;
  t.equal(nginx.enabled, true, 'nginx enabled');
  t.equal(nginx.endpoints[0]?.url, 'http://127.0.0.1:8080/nginx_status', 'nginx endpoint');
  t.equal(mysql.enabled, true, 'mysql enabled');
  t.equal(mysql.password?.reveal(), 'x', 'mysql password from the file');
  t.equal(mysql.top_statements.limit, 10, 'top statements limit');
  t.match(text, /comm: \['mariadbd\|mysqld'\]/, 'the MariaDB process group matches both names');
});
