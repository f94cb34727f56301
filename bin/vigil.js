#!/usr/bin/env node
// Runs the compiled CLI (npm run build writes dist/).
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('vigil: dist/ is missing; run `npm run build` first (or `npm start`).\n');
  process.exit(1);
}
await import(main.href);
