#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan + libFuzzer) and runs
# each for a bounded time from the seed corpus in tests/fuzz/corpus. Fails on
# any crash, leak, sanitizer report or disagreement between the event
# parser's two paths. Usage: bash tools/fuzz.sh [SECONDS_PER_TARGET] (default 45)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-45}
build=build/fuzz

CC=clang cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DCW_FUZZ=ON -DCW_WERROR=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target fuzz_event fuzz_config fuzz_subcodec

mkdir -p "$build/artifacts"
for target in event config subcodec; do
  work=$(mktemp -d)
  echo "=== fuzz_$target for ${seconds}s ==="
  # new inputs go into a scratch copy, never into the repository's seeds
  cp -r "tests/fuzz/corpus/$target/." "$work/"
  if ! "$build/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -max_len=70000 -print_final_stats=1 \
      -artifact_prefix="$build/artifacts/$target-" "$work" 2>"$build/fuzz_$target.log"; then
    tail -40 "$build/fuzz_$target.log"
    echo "fuzz_$target FAILED; reproducer in $build/artifacts/"
    rm -rf "$work"
    exit 1
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$build/fuzz_$target.log" | tr '\n' ' '
  echo
  rm -rf "$work"
done
echo "=== fuzzing: no findings ==="
