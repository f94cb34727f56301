// What the image contains is enough, and its permissions work: deploy/image/assemble.sh
// (the Dockerfile's build step) lays the tree out, and `tocsin all` runs from it as an
// unprivileged user with a read-only config and a writable data directory, as in the image.
// (`docker build` cannot run here: no base image can be pulled.)
import t from 'tap';
import { execFile, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { requireBinary } from '../helpers/bin.js';
import { stopChild } from '../helpers/child.js';
import { freePort } from '../helpers/net.js';
import { tmpDir } from '../helpers/tmp.js';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../', import.meta.url));
// As root the program runs as nobody; as anyone else it already runs unprivileged.
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

async function until(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

t.test('the Dockerfile runs the assembled tree as a fixed non-root user', async (t) => {
  const docker = readFileSync(join(REPO, 'deploy/image/Dockerfile'), 'utf8');
  t.match(docker, /^RUN deploy\/image\/assemble\.sh \/opt\/tocsin$/m, 'the build stage uses assemble.sh');
  t.match(docker, /^COPY --from=build \/opt\/tocsin \/opt\/tocsin$/m, 'the final stage holds the assembled tree');
  t.match(docker, /^USER 10001:10001$/m, 'a fixed non-root uid');
  t.match(docker, /install -d -o 10001 -g 10001 -m 0700 \/var\/lib\/tocsin/, 'the data directory is owned by that user');
  t.match(docker, /^HEALTHCHECK /m, 'a health check');
  t.match(docker, /^ENTRYPOINT \["\/usr\/bin\/tini", "--"/m, 'tini reaps children and forwards signals');
});

t.test('tocsin all runs from the assembled tree, unprivileged, config read-only', async (t) => {
  requireBinary('npm', 'npm');
  const base = tmpDir(t, 'tocsin-image-');
  chmodSync(base, 0o755);
  const app = join(base, 'opt-tocsin');
  await run('bash', [join(REPO, 'deploy/image/assemble.sh'), app], { cwd: REPO, timeout: 150_000 });

  const etc = join(base, 'etc');
  const data = join(base, 'data');
  mkdirSync(etc, { mode: 0o755 });
  mkdirSync(data, { mode: 0o700 });
  if (asRoot) chownSync(data, NOBODY, NOBODY);
  const [exporterPort, relayPort] = [await freePort(), await freePort()];
  const config = join(etc, 'tocsin.yml');
  writeFileSync(
    config,
    `exporter:\n  listen_address: 127.0.0.1:${exporterPort}\nrelay:\n  listen_address: 127.0.0.1:${relayPort}\n  data_dir: ${data}\n  destinations:\n    - {name: console, type: console}\n`,
  );
  chmodSync(config, 0o444);

  const child = spawn(process.execPath, [join(app, 'bin/tocsin.js'), 'all', `--config.file=${config}`], {
    cwd: data,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
  });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  child.stdout.resume();
  t.teardown(() => stopChild(child));

  try {
    await until('both listeners healthy', 20_000, async () => {
      const [a, b] = await Promise.all([
        fetch(`http://127.0.0.1:${exporterPort}/-/healthy`),
        fetch(`http://127.0.0.1:${relayPort}/-/healthy`),
      ]);
      return a.ok && b.ok;
    });
  } catch (err) {
    t.fail(`${(err as Error).message}; stderr: ${stderr.slice(-2000)}`);
    return;
  }
  const metrics = await (await fetch(`http://127.0.0.1:${exporterPort}/metrics`)).text();
  t.match(metrics, /^node_load1 /m, 'the exporter serves host metrics');
  const relayMetrics = await (await fetch(`http://127.0.0.1:${relayPort}/metrics`)).text();
  t.match(relayMetrics, /^tocsin_relay_/m, 'the relay runs, with its outbox in the data directory');
  child.kill('SIGTERM');
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  t.equal(code, 0, 'SIGTERM stops it cleanly');
});
