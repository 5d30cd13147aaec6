#!/usr/bin/env bash
# cdrwarnd's command-line contract: --help, --version, --check-config on the
# shipped example and on broken copies of it, unknown options and a missing
# file; exit codes and the file:line: [section] key: message an operator greps.
# Args: DAEMON CONFIG_DIR TEST_DATA_DIR (tests/data/config)
set -euo pipefail
export LC_ALL=C # getopt and strerror messages below are matched in English
daemon=$1 confdir=$2 datadir=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# run ARGS...: sets $status and $out (stdout and stderr together)
run() {
  status=0
  out=$(timeout 20 "$daemon" "$@" 2>&1 </dev/null) || status=$?
}

# expect_status WHAT WANT: WANT is a number or "nonzero"
expect_status() {
  local what=$1 want=$2
  if [ "$want" = nonzero ]; then
    [ "$status" -ne 0 ] && return 0
  elif [ "$status" -eq "$want" ]; then
    return 0
  fi
  fail "$what: expected exit $want, got $status; output:"
  printf '%s\n' "$out" | sed 's/^/    /'
}

# expect_output WHAT TEXT: TEXT must appear in $out as a fixed string
expect_output() {
  local what=$1 text=$2
  grep -qF -- "$text" <<<"$out" && return 0
  fail "$what: expected the output to contain '$text'; got:"
  printf '%s\n' "$out" | sed 's/^/    /'
}

# --help: usage on stdout, exit 0
run --help
expect_status "--help" 0
expect_output "--help" "Usage: cdrwarnd"
expect_output "--help" "-c, --config FILE"
expect_output "--help" "--check-config"

# --version: "cdrwarnd <version>" on one line, exit 0
run --version
expect_status "--version" 0
grep -qE '^cdrwarnd [0-9]+\.[0-9]+' <<<"$out" ||
  fail "--version: expected a line 'cdrwarnd <major>.<minor>...', got '$out'"

# the shipped example passes the check
shipped=$confdir/cdrwarn.conf
run -c "$shipped" --check-config
expect_status "--check-config on $shipped" 0
expect_output "--check-config on $shipped" "$shipped: configuration OK"

# a copy of the whole folder, so the relative number-plan paths still resolve
cp -r "$confdir" "$work/config"
conf=$work/config/cdrwarn.conf

# one key misspelt: exit 1 with file, line and key
sed -i '0,/^group_id\b/s//group_di/' "$conf"  # the first: [kafka] group_id
line=$(grep -n '^group_di' "$conf" | cut -d: -f1)
if [ -z "$line" ]; then
  fail "could not misspell group_id in the copy of $shipped (no line starts with group_id)"
else
  run -c "$conf" --check-config
  expect_status "misspelt key group_di" 1
  expect_output "misspelt key group_di" \
    "$conf:$line: [kafka] group_di: unknown key; did you mean 'group_id'?"
  expect_output "misspelt key group_di" "$conf: 1 error(s)"
fi

# the required key left out of the shipped copy
cp "$shipped" "$conf"
sed -i '/^brokers\b/d' "$conf"
kafka_line=$(grep -n '^\[kafka\]' "$conf" | head -1 | cut -d: -f1)
run -c "$conf" --check-config
expect_status "shipped config without brokers" 1
expect_output "shipped config without brokers" \
  "$conf:$kafka_line: [kafka] brokers: required key is missing from this section"

# and the same on the data-driven case, against its recorded error
case_dir=$datadir/invalid/missing_brokers
run -c "$case_dir/cdrwarn.conf" --check-config
expect_status "invalid/missing_brokers" 1
while IFS= read -r want; do
  expect_output "invalid/missing_brokers" "$case_dir/$want"
done <"$case_dir/error"

# an unknown option: non-zero, with a usage hint on stderr
run --bogus
expect_status "--bogus" nonzero
expect_output "--bogus" "unrecognized option '--bogus'"
expect_output "--bogus" "Usage: cdrwarnd"

# a config file that does not exist: exit 1 naming the path
missing=$work/nonexistent.conf
run -c "$missing" --check-config
expect_status "-c $missing" 1
expect_output "-c $missing" "$missing: cannot open the config file: No such file or directory"

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "command line behaves as documented"
