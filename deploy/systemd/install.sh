#!/usr/bin/env bash
# Installs Tocsin on a Debian/Ubuntu machine as two systemd services (tocsin-exporter,
# tocsin-relay) next to Debian's prometheus and prometheus-alertmanager packages, in place
# of crontab lines that ran shell scripts every minute.
#
#   sudo deploy/systemd/install.sh              install, create the user, enable and start
#   deploy/systemd/install.sh --root DIR        only lay the files out under DIR (no user,
#                                               no systemctl): what a package would contain
#
# Run it from a checkout. It builds dist/ with the checkout's dev dependencies, then installs
# the program with its production dependencies only into /opt/tocsin (deploy/image/assemble.sh).
# An existing /etc/tocsin/tocsin.yml is kept. Secrets (Slack webhook URLs, tokens) go in files
# under /etc/tocsin/secrets, readable by the tocsin user only, named in the config with *_file keys.
set -euo pipefail

root=""
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root="${2:?--root needs a directory}"; shift 2 ;;
    --root=*) root="${1#--root=}"; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

src="$(cd "$(dirname "$0")/../.." && pwd)"
[ -f "$src/package.json" ] && [ -f "$src/bin/tocsin.js" ] || { echo "install.sh: run it from a Tocsin checkout" >&2; exit 1; }
command -v node >/dev/null || { echo "install.sh: node is missing: apt-get install -y nodejs (20 or newer)" >&2; exit 1; }

say() { printf 'install.sh: %s\n' "$*"; }

app="$root/opt/tocsin"
say "installing the program into $app"
rm -rf "$app.new"
"$src/deploy/image/assemble.sh" "$app.new"
rm -rf "$app.old"
[ -d "$app" ] && mv "$app" "$app.old"
mv "$app.new" "$app"
rm -rf "$app.old"

say "units, user and configuration"
install -d "$root/etc/systemd/system" "$root/usr/lib/sysusers.d" "$root/etc/default"
install -m 0644 "$src/deploy/systemd/tocsin-exporter.service" "$src/deploy/systemd/tocsin-relay.service" "$root/etc/systemd/system/"
install -m 0644 "$src/deploy/systemd/sysusers.conf" "$root/usr/lib/sysusers.d/tocsin.conf"
install -d -m 0755 "$root/etc/tocsin"
install -d -m 0750 "$root/etc/tocsin/secrets"
if [ ! -f "$root/etc/tocsin/tocsin.yml" ]; then
  # The example config with the relay's outbox where systemd's StateDirectory puts it.
  sed -E 's|^(  data_dir:).*|\1 /var/lib/tocsin-relay   # StateDirectory of tocsin-relay.service|' \
    "$src/examples/tocsin.yml" > "$root/etc/tocsin/tocsin.yml"
  chmod 0640 "$root/etc/tocsin/tocsin.yml"
fi
[ -f "$root/etc/default/tocsin" ] || cat > "$root/etc/default/tocsin" <<'DEFAULTS'
# Extra flags for the Tocsin services (see `tocsin exporter --help`, `tocsin relay --help`).
EXPORTER_ARGS=""
RELAY_ARGS=""
DEFAULTS

# The shipped alert rules for Debian's Prometheus, which reads /etc/prometheus.
install -d "$root/etc/prometheus/tocsin-rules"
install -m 0644 "$src/rules/"*.yml "$root/etc/prometheus/tocsin-rules/"

if [ -n "$root" ]; then
  say "laid out under $root (no user created, nothing started)"
  exit 0
fi

systemd-sysusers /usr/lib/sysusers.d/tocsin.conf
chgrp tocsin /etc/tocsin/tocsin.yml /etc/tocsin/secrets
systemctl daemon-reload
systemctl enable --now tocsin-exporter.service tocsin-relay.service
cat <<NEXT
install.sh: done. Next steps:
  1. In /etc/prometheus/prometheus.yml add
       rule_files: ['/etc/prometheus/tocsin-rules/*.yml']
     and a scrape job named "tocsin" for localhost:9469, then: systemctl reload prometheus
  2. Point Alertmanager's receiver at http://localhost:9470/hooks/alertmanager
     (README: "Pointing Alertmanager at the relay"), then: systemctl reload prometheus-alertmanager
  3. Put each Slack webhook URL in a file under /etc/tocsin/secrets (chmod 0640, group tocsin),
     name it in /etc/tocsin/tocsin.yml (webhook_url_file), then: systemctl reload tocsin-relay
  4. Remove the crontab lines that ran the old check scripts.
NEXT
