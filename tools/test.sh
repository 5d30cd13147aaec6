#!/usr/bin/env bash
# Installs everything cdrwarn needs, builds it, and runs every test:
#   1. plain build (build/test): every test, the unit, integration,
#      packaging and fault-injection (label "faults") ones;
#      then the Debian packages: built with dpkg-buildpackage, checked with
#      lintian, installed, upgraded, rolled back and purged on this machine
#      (tests/scripts/test_package.sh, which leaves it as it was);
#   2. AddressSanitizer + UndefinedBehaviorSanitizer build (build/test-asan):
#      every test again;
#   3. the integration tests once more in the plain build, every cdrwarnd
#      under valgrind memcheck (CW_VALGRIND=1: a definite leak or a memory
#      error fails the test);
#   4. the libFuzzer targets, side by side for 60 s (tools/fuzz.sh).
# About 12 minutes on two cores. Run as root on Debian 12 from anywhere:
#   bash tools/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/setup-debian.sh

jobs=$(nproc)
started=$SECONDS
stage() {
  echo "=== $* ($((SECONDS - started)) s in) ==="
}
build() {
  local dir=$1
  shift
  cmake -S . -B "$dir" -DCW_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
}
# CK_FORK=no: Check's forked children exit before LeakSanitizer looks
run_tests() {
  local dir=$1
  shift
  (cd "$dir" && CK_FORK=no ctest --output-on-failure --timeout 600 -j"$jobs" "$@")
}

stage "build/test: build; every test"
build build/test
run_tests build/test

stage "Debian packages: build, lintian, install, upgrade, roll back, purge"
bash tests/scripts/test_package.sh

stage "build/test-asan: ASan + UBSan build; every test"
build build/test-asan -DCW_SANITIZE=ON
run_tests build/test-asan

stage "build/test: the integration tests with cdrwarnd under valgrind memcheck"
(export CW_VALGRIND=1 && run_tests build/test -L integration -LE faults)

stage "fuzzing"
bash tools/fuzz.sh 60

echo "=== all tests passed in $((SECONDS - started)) s (plain, sanitizer and valgrind runs, fuzzing) ==="
