#!/usr/bin/env bash
# The unit passes `systemd-analyze verify` without a single warning, and
# carries the settings issues 4 and 12 require; its man: documentation links
# resolve to the pages the build made. Args: UNIT DAEMON_BINARY CONFIG_DIR
# [MAN_DIR] (without MAN_DIR, a build with -DCW_MAN=OFF, the links are not
# checked)
set -euo pipefail
unit=$1 daemon=$2 confdir=$3 mandir=${4:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

man_check=(--man=no)
if [ -n "$mandir" ]; then
  for page in "$mandir"/*.[0-9]; do
    section=${page##*.}
    mkdir -p "$work/man/man$section"
    cp "$page" "$work/man/man$section/"
  done
  export MANPATH=$work/man
  man_check=()
fi

# point the installed paths at this build so verify can check the commands
# (the same script checks cdrwarnd.service and cdrwarn-console.service)
name=$(basename "$daemon")
sed -e "s|^\(ExecStart[A-Za-z]*=\)[^ ]*/$name|\1$daemon|" \
    -e "s|-c [^ ]*/cdrwarn.conf|-c $confdir/cdrwarn.conf|" "$unit" >"$work/$(basename "$unit")"
if ! out=$(systemd-analyze verify "${man_check[@]}" "$work/$(basename "$unit")" 2>&1) ||
   [ -n "$out" ]; then
  echo "systemd-analyze verify complained:"
  echo "$out"
  exit 1
fi

required=(
  "Type=notify" "WatchdogSec=" "ExecReload=/bin/kill -HUP \$MAINPID" "Restart=on-failure"
  "User=cdrwarn" "NoNewPrivileges=yes" "ProtectSystem=strict" "ProtectHome=yes"
  "PrivateTmp=yes" "CapabilityBoundingSet=" "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX"
  "MemoryMax=" "OOMScoreAdjust=" "PrivateIPC=yes" "PrivateMounts=yes"
)
for line in "${required[@]}"; do
  grep -qxF -- "$line" "$unit" || grep -q -- "^$line" "$unit" || {
    echo "missing from the unit: $line"
    exit 1
  }
done
echo "unit verified"
