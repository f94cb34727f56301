// Runs a script in a child Node process that does its work as user nobody (65534), for tests
// of what Tocsin does without root's rights (another user's /proc files, the Docker socket).
//
// The child starts as root and gives its rights up only once its imports are loaded: a
// checkout may sit under a directory nobody cannot enter (/root/tocsin is 0700), and a
// child started as nobody could then not load the code under test at all. So everything the
// script needs must be imported statically (ES module imports are all loaded before the
// module body runs); a dynamic import after the switch would fail with EACCES.
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

export const NOBODY = 65534;
const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** A module under the repository, as an import specifier for the child's script. */
export function repoModule(path: string): string {
  return JSON.stringify(new URL(path, `file://${REPO}`).href);
}

/**
 * Runs `imports` (static import lines), then drops to nobody, then runs `body` (top-level
 * await allowed); resolves with what it wrote on stdout. `args` are its process.argv[1..].
 */
export function runAsNobody(imports: string, body: string, args: readonly string[] = [], timeoutMs = 60_000): Promise<string> {
  const script = `${imports}
process.setgroups([]);
process.setgid(${NOBODY});
process.setuid(${NOBODY});
if (process.getuid() !== ${NOBODY} || process.getgroups().some((g) => g !== ${NOBODY})) throw new Error('still privileged');
${body}`;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script, ...args],
      { cwd: REPO, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir() }, timeout: timeoutMs },
      (err, stdout, stderr) => (err ? reject(new Error(`child as nobody failed: ${err.message}\n${stderr}`)) : resolve(stdout)),
    );
  });
}
