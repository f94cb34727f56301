// Tests that need an outside binary fail, never skip, when it is missing, and say how to
// install it. .ci/run installs all of them.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export function requireBinary(name: string, debianPackage: string): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  throw new Error(`${name} not found on PATH: install it with \`apt-get install -y ${debianPackage}\``);
}
