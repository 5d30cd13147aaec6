#!/usr/bin/env bash
# `systemd-analyze security` rates the unit's exposure at or below the level
# recorded in README.md (Operations, systemd), so a hardening setting cannot
# be lost unnoticed. Args: UNIT
set -euo pipefail
unit=$1
recorded=1.1 # README.md: 1.2 before issue 12, 1.1 after

out=$(systemd-analyze security --offline=true "$unit" 2>&1) || {
  echo "systemd-analyze security failed:"
  echo "$out"
  exit 1
}
# "→ Overall exposure level for cdrwarnd.service: 1.1 OK 🙂"
level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9][0-9]*\.[0-9]\).*/\1/p' <<<"$out")
if [ -z "$level" ]; then
  echo "no overall exposure level in the output of systemd-analyze security:"
  echo "$out"
  exit 1
fi
if ! awk -v got="$level" -v max="$recorded" 'BEGIN { exit !(got + 0 <= max + 0) }'; then
  echo "exposure level $level is above the recorded $recorded; what it flags:"
  grep '^✗' <<<"$out" || true
  exit 1
fi
echo "exposure level $level (recorded: $recorded)"
