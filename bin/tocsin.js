#!/usr/bin/env -S node --max-semi-space-size=2
// Runs the compiled CLI (npm run build writes dist/). The small young generation
// (--max-semi-space-size) trades a few more cheap scavenges for ~25 MB less RSS: every
// scrape builds short-lived registries, and V8 would otherwise grow new space to 32+ MB.
import { existsSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

// A scrape's garbage outlives the small young generation and lands in the old one, and V8,
// seeing its collections cheap, lets the old generation grow to about 4 times what is live
// before collecting it: with 1,000 probe targets scraped twice a second, 110 MB of heap for
// 20 MB live (peak RSS 188 MB). Growing by at most half of what is live keeps it near 110 MB
// for some more, still incremental, collections. Set here rather than on the command line so
// every launcher (this file's shebang, `node bin/tocsin.js` in the image and the systemd units) has it.
setFlagsFromString('--heap-growing-percent=50');

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('tocsin: dist/ is missing; run `npm run build` first (or `npm start`).\n');
  process.exit(1);
}
await import(main.href);
