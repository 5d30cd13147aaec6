#!/usr/bin/env bash
# The unit passes `systemd-analyze verify` without a single warning, and
# carries the settings issue 4 requires. Args: UNIT DAEMON_BINARY CONFIG_DIR
set -euo pipefail
unit=$1 daemon=$2 confdir=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# point the installed paths at this build so verify can check the commands
# (the same script checks cdrwarnd.service and cdrwarn-console.service)
name=$(basename "$daemon")
sed -e "s|^\(ExecStart[A-Za-z]*=\)[^ ]*/$name|\1$daemon|" \
    -e "s|-c [^ ]*/cdrwarn.conf|-c $confdir/cdrwarn.conf|" "$unit" >"$work/$(basename "$unit")"
if ! out=$(systemd-analyze verify "$work/$(basename "$unit")" 2>&1) || [ -n "$out" ]; then
  echo "systemd-analyze verify complained:"
  echo "$out"
  exit 1
fi

required=(
  "Type=notify" "WatchdogSec=" "ExecReload=/bin/kill -HUP \$MAINPID" "Restart=on-failure"
  "User=cdrwarn" "NoNewPrivileges=yes" "ProtectSystem=strict" "ProtectHome=yes"
  "PrivateTmp=yes" "CapabilityBoundingSet=" "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX"
)
for line in "${required[@]}"; do
  grep -qxF -- "$line" "$unit" || grep -q -- "^$line" "$unit" || {
    echo "missing from the unit: $line"
    exit 1
  }
done
echo "unit verified"
