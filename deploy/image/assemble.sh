#!/usr/bin/env bash
# Assembles what an installed Tocsin consists of into DEST: the compiled program (dist/), its
# launcher, its production dependencies only, and the files it reads at run time (example
# configs, rules and Alertmanager config for `tocsin stack`). The image's Dockerfile, the
# systemd install script and test/deploy/image.test.ts all use it, so what is tested is what
# ships.
#
#   deploy/image/assemble.sh DEST
set -euo pipefail
dest="${1:?usage: assemble.sh DEST}"
src="$(cd "$(dirname "$0")/../.." && pwd)"

rm -rf "$dest"
mkdir -p "$dest"
# Compiled straight into DEST (not the checkout's dist/), so two assemblies never share files.
(cd "$src" && node_modules/.bin/tsc -p tsconfig.build.json --outDir "$dest/dist")
cp -r "$src/bin" "$src/package.json" "$src/package-lock.json" \
  "$src/examples" "$src/rules" "$src/alertmanager" "$dest/"
(cd "$dest" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
# Readable by any user: the program runs as an unprivileged one.
chmod -R u=rwX,go=rX "$dest"
