import { readFileSync } from 'node:fs';

// Read once at start: the package.json that ships with the code is the single source of the version.
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
export const VERSION: string = pkg.version;
