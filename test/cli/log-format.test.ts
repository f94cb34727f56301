// --log.format and log.format: the real process writes logfmt or JSON with level names.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type Io } from '../../src/cli/cli.js';
import { stopChild } from '../helpers/child.js';
import { tocsinArgs } from '../helpers/tocsin-process.js';

const dir = mkdtempSync(join(tmpdir(), 'tocsin-logfmt-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const config = join(dir, 'tocsin.yml');
writeFileSync(config, 'exporter:\n  listen_address: 127.0.0.1:0\n  collectors: {process: {enabled: false}}\n');

/** Starts `tocsin exporter` with `args` and returns its stderr once a line matches `ready`. */
async function firstLines(t: Test, args: string[], ready: RegExp): Promise<string> {
  const child = spawn(process.execPath, tocsinArgs(['exporter', `--config.file=${config}`, ...args]), { stdio: ['ignore', 'ignore', 'pipe'] });
  t.teardown(() => stopChild(child, 10_000));
  let stderr = '';
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no line matching ${ready} within 20 s:\n${stderr}`)), 20_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (ready.test(stderr)) {
        clearTimeout(timer);
        resolve(stderr);
      }
    });
  });
}

t.test('--log.format=logfmt writes key=value lines with level names', async (t) => {
  const out = await firstLines(t, ['--log.format=logfmt'], /msg="exporter listening".*\n/);
  const line = out.split('\n').find((l) => l.includes('msg="exporter listening"'))!;
  t.match(line, /^ts=\d{4}-\d\d-\d\dT\S+ level=info msg="exporter listening" /);
  t.match(line, / address=http:\/\/127\.0\.0\.1:\d+/);
});

t.test('log.format in the config file; JSON by default has level names', async (t) => {
  const json = await firstLines(t, [], /"msg":"exporter listening".*\n/);
  const rec = JSON.parse(json.split('\n').find((l) => l.includes('exporter listening'))!) as Record<string, unknown>;
  t.equal(rec.level, 'info');
  const fromFile = join(dir, 'logfmt.yml');
  writeFileSync(fromFile, 'log: {format: logfmt}\nexporter:\n  listen_address: 127.0.0.1:0\n  collectors: {process: {enabled: false}}\n');
  const child = await firstLines(t, [`--config.file=${fromFile}`], /msg="exporter listening"/);
  t.match(child, /level=info msg="exporter listening"/);
});

t.test('a wrong --log.format is a usage error naming the choices', async (t) => {
  const err: string[] = [];
  const io: Io = { out: () => undefined, err: (s) => err.push(s), env: {} };
  t.equal(await runCli(['exporter', `--config.file=${config}`, '--log.format=xml'], io), 2);
  t.match(err.join(''), /--log\.format must be one of json, logfmt; got "xml"/);
});
