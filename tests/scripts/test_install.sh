#!/usr/bin/env bash
# `cmake --install` puts the binary, unit, user, docs and example configs in
# place, and a second install keeps an edited config. Args: BUILD_DIR
set -euo pipefail
build=$1
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT

DESTDIR=$dest cmake --install "$build" >/dev/null
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
confdir=$(find "$dest" -type d -path '*/etc/cdrwarn' | head -1)
for f in "$prefix/sbin/cdrwarnd" "$prefix/bin/cdrwarn-devbroker" "$prefix/bin/cdrwarn-gen" \
         "$prefix/lib/systemd/system/cdrwarnd.service" "$prefix/lib/sysusers.d/cdrwarn.conf" \
         "$prefix/share/doc/cdrwarn/README.md"; do
  [ -e "$dest$f" ] || { echo "not installed: $f"; exit 1; }
done
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
