#!/usr/bin/env bash
# Installs every Debian 12 package cdrwarn needs to build, run and test.
# Idempotent: safe to run again; run as root.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  librdkafka-dev libevent-dev libhiredis-dev libjansson-dev check libsystemd-dev
  redis-server redis-tools
  # twemproxy, for the test of the daemon behind it (tests start their own)
  nutcracker
  clang libclang-rt-14-dev valgrind
  systemd
  python3 curl
  kafkacat
  # man pages: scdoc builds them; mandoc and man-db (man, lexgrog) check them
  scdoc mandoc man-db
  # the Debian packages: dpkg-buildpackage, dh, lintian
  dpkg-dev debhelper fakeroot lintian
  # promtool, for the alerting rules' checks and unit tests
  prometheus
  # cdrwarn-console: crypt(3) password hashes; its end-to-end tests drive a
  # real browser (headless chromium through chromium-driver and selenium)
  libcrypt-dev
  chromium chromium-driver python3-selenium
)

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-debian.sh: run as root (it installs Debian packages)" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
  # prometheus is here for promtool only: where systemd runs, the server the
  # package starts is stopped and disabled again
  if [[ " ${missing[*]} " == *" prometheus "* ]] && [ -d /run/systemd/system ]; then
    systemctl disable --now prometheus.service >/dev/null 2>&1 || true
  fi
  # the same for nutcracker: the tests start their own on free ports
  if [[ " ${missing[*]} " == *" nutcracker "* ]] && [ -d /run/systemd/system ]; then
    systemctl disable --now nutcracker.service >/dev/null 2>&1 || true
  fi
fi

# The packaged redis-server starts a system instance on 6379 where systemd
# runs; cdrwarn's demo and tests start their own on free ports and need none.
