#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan + libFuzzer) and runs
# all for a bounded time from the seed corpus in tests/fuzz/corpus. Fails on
# any crash, leak, sanitizer report or disagreement between the event
# parser's two paths. Usage: bash tools/fuzz.sh [SECONDS_PER_TARGET] (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
build=build/fuzz

CC=clang cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DCW_FUZZ=ON -DCW_WERROR=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target fuzz_event fuzz_config fuzz_subcodec

mkdir -p "$build/artifacts"
targets=(event config subcodec)
# The targets run side by side, each for the whole time: three minutes of
# fuzzing in one minute of wall clock on two cores.
fuzz_one() {
  local target=$1 work
  work=$(mktemp -d)
  # new inputs go into a scratch copy, never into the repository's seeds
  cp -r "tests/fuzz/corpus/$target/." "$work/"
  local status=0
  "$build/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -max_len=70000 -print_final_stats=1 \
    -artifact_prefix="$build/artifacts/$target-" "$work" 2>"$build/fuzz_$target.log" ||
    status=$?
  rm -rf "$work"
  return "$status"
}
declare -A pids
for target in "${targets[@]}"; do
  echo "=== fuzz_$target for ${seconds}s ==="
  fuzz_one "$target" &
  pids[$target]=$!
done
failed=0
for target in "${targets[@]}"; do
  if ! wait "${pids[$target]}"; then
    tail -40 "$build/fuzz_$target.log"
    echo "fuzz_$target FAILED; reproducer in $build/artifacts/"
    failed=1
    continue
  fi
  echo "fuzz_$target: $(grep -E "stat::number_of_executed_units|stat::peak_rss_mb" \
    "$build/fuzz_$target.log" | tr '\n' ' ')"
done
[ "$failed" = 0 ] || exit 1
echo "=== fuzzing: no findings ==="
