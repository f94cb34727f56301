// npm run kubernetes: writes the generated files of deploy/kubernetes/ (scripts/kubernetes-files.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { kubernetesFiles, REPO } from './kubernetes-files.js';

for (const [path, content] of kubernetesFiles()) {
  mkdirSync(dirname(join(REPO, path)), { recursive: true });
  writeFileSync(join(REPO, path), content);
  process.stdout.write(`wrote ${path}\n`);
}
