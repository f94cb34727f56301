// Loads a shipped deployment config the way Tocsin would, except that the secret files it
// names exist only where it is deployed (/etc/tocsin/..., /run/secrets/...): a missing secret
// file under the given directory is not an error here; every other problem is.
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';

export async function loadDeployConfig(file: string, secretsDir: string): Promise<Config | undefined> {
  try {
    return await loadConfig(file);
  } catch (err) {
    const problems = (err as Error).message.split('\n').slice(1).filter((l) => l.trim().startsWith('- '));
    const missingSecret = (l: string) => l.includes(`cannot read secret file ${secretsDir}`) && l.includes('ENOENT');
    if (problems.length > 0 && problems.every(missingSecret)) return undefined;
    throw err;
  }
}
