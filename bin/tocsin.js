#!/usr/bin/env -S node --max-semi-space-size=2
// Runs the compiled CLI (npm run build writes dist/). The small young generation
// (--max-semi-space-size) trades a few more cheap scavenges for ~25 MB less RSS: every
// scrape builds short-lived registries, and V8 would otherwise grow new space to 32+ MB.
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('tocsin: dist/ is missing; run `npm run build` first (or `npm start`).\n');
  process.exit(1);
}
await import(main.href);
