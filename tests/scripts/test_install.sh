#!/usr/bin/env bash
# `cmake --install` puts the binary, unit, user, docs, example configs, man
# pages, alerting rules and dashboard in place, and a second install keeps an
# edited config. Args: BUILD_DIR
set -euo pipefail
build=$1
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT

DESTDIR=$dest cmake --install "$build" >/dev/null
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
confdir=$(find "$dest" -type d -path '*/etc/cdrwarn' | head -1)
for f in "$prefix/sbin/cdrwarnd" "$prefix/bin/cdrwarn-devbroker" "$prefix/bin/cdrwarn-gen" \
         "$prefix/lib/systemd/system/cdrwarnd.service" "$prefix/lib/sysusers.d/cdrwarn.conf" \
         "$prefix/share/doc/cdrwarn/README.md" \
         "$prefix/share/cdrwarn/prometheus/cdrwarn.rules.yml" \
         "$prefix/share/cdrwarn/grafana/cdrwarn.json"; do
  [ -e "$dest$f" ] || { echo "not installed: $f"; exit 1; }
done
# a man page goes with its program: the console's and the backtest's only
# once they are built
if grep -q '^CW_MAN:BOOL=ON' "$build/CMakeCache.txt"; then
  for page in man8/cdrwarnd.8 man5/cdrwarn.conf.5 man1/cdrwarn-gen.1 man1/cdrwarn-devbroker.1 \
              man1/cdrwarn-watch.1; do
    [ -s "$dest$prefix/share/man/$page" ] || { echo "man page not installed: $page"; exit 1; }
  done
  for pair in man8/cdrwarn-console.8:cdrwarn-console man1/cdrwarn-backtest.1:cdrwarn-backtest; do
    page=${pair%%:*} program=${pair##*:}
    if [ -e "$dest$prefix/bin/$program" ] || [ -e "$dest$prefix/sbin/$program" ]; then
      [ -s "$dest$prefix/share/man/$page" ] || { echo "$program installed without $page"; exit 1; }
    else
      [ ! -e "$dest$prefix/share/man/$page" ] || { echo "$page installed without $program"; exit 1; }
    fi
  done
fi
[ -n "$confdir" ] && [ -f "$confdir/cdrwarn.conf" ] && [ -f "$confdir/own_prefixes.txt" ] ||
  { echo "example configs not installed under etc/cdrwarn"; exit 1; }

# the installed config is valid as installed
"$dest$prefix/sbin/cdrwarnd" -c "$confdir/cdrwarn.conf" --check-config >/dev/null

# an operator's edit survives a reinstall
echo "# edited by the operator" >>"$confdir/cdrwarn.conf"
DESTDIR=$dest cmake --install "$build" >/dev/null
grep -q "edited by the operator" "$confdir/cdrwarn.conf" ||
  { echo "reinstall overwrote the operator's config"; exit 1; }
echo "install verified"
