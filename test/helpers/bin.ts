// Tests that need an outside binary fail, never skip, when it is missing, and say how to
// install it. .ci/run installs all of them.
import { findBinary } from '../../src/stack/binaries.js';

export function requireBinary(name: string, debianPackage: string): string {
  const found = findBinary([name]);
  if (!found) throw new Error(`${name} not found on PATH: install it with \`apt-get install -y ${debianPackage}\``);
  return found;
}
