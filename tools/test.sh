#!/usr/bin/env bash
# Installs everything cdrwarn needs, builds it, and runs every test: once in a
# plain build and once with AddressSanitizer + UndefinedBehaviorSanitizer.
# Run as root on Debian 12 from anywhere:  bash tools/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/setup-debian.sh

jobs=$(nproc)
build_and_test() {
  local dir=$1
  shift
  echo "=== $dir: configure, build, test ==="
  cmake -S . -B "$dir" -DCW_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
  # CK_FORK=no: Check's forked children exit before LeakSanitizer looks
  (cd "$dir" && CK_FORK=no ctest --output-on-failure --timeout 600 -j"$jobs")
}

build_and_test build/test
build_and_test build/test-asan -DCW_SANITIZE=ON
bash tools/fuzz.sh 30
echo "=== all tests passed (plain and sanitizer builds, fuzzing) ==="
