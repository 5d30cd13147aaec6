#!/usr/bin/env bash
# Each program's man page documents exactly the options its --help lists, so
# the two cannot drift apart again:
#   - every option --help names (-c, --config, ...) heads an entry of one of
#     the page's OPTIONS sections, and every option such an entry names is
#     one --help lists (a page keeps no option the program dropped);
#   - with a SOURCE, every long option of the program's getopt table is in
#     --help (an option added to the code alone is caught too);
#   - cdrwarn-console(8) has an entry for every [console] key of the config
#     table (the keys cdrwarn.conf(5)'s source names as @console.KEY@, which
#     the build already checks against lib/config.c), and none other.
# Options are read from the rendered pages (man -l), as a reader sees them.
# Args: MAN_DIR CONF_SCD_IN PROGRAM PAGE SOURCE [PROGRAM PAGE SOURCE ...]
# (SOURCE "-" when the program has no getopt table).
set -euo pipefail
export LC_ALL=C
man_dir=$1 conf_source=$2
shift 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# options FILE: the options named in FILE's text, one a line, sorted: long
# ones (--name-with-dashes) and one-letter short ones (-c), each standing
# after a space, a bracket, a comma or the line's start, so "co-partitioned"
# or "-> A" are no options
options() {
  grep -oE -- '(^|[][ (|,/])--?[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*' "$1" |
    sed -E 's/^[^-]*//' | grep -E '^(--.+|-[A-Za-z])$' | sort -u || true
}

# render PAGE OUT: the page as plain text, lines as wide as need be
render() {
  MANWIDTH=1000 man -l "$1" 2>/dev/null | col -bx >"$2"
}

# entries TEXT SECTION_REGEX: the entry heads (indented 7 spaces, at the
# section's first level) of the sections whose title matches
entries() {
  awk -v want="$2" '
    /^[A-Z]/ { in_section = ($0 ~ want); next }
    in_section && /^       [^ ]/ { sub(/^       /, ""); print }' "$1"
}

# compare WHAT A B: lines of file A missing from B
missing() {
  comm -23 "$1" "$2"
}

while [ $# -ge 3 ]; do
  program=$1 page=$2 source=$3
  shift 3
  name=$(basename "$program")
  failures_before=$failures
  page_file=$man_dir/$page
  [ -s "$page_file" ] || { fail "$page: not built"; continue; }
  if ! "$program" --help >"$work/$name.help" 2>&1 </dev/null; then
    fail "$name --help exited non-zero"
    continue
  fi
  options "$work/$name.help" >"$work/$name.help-options"
  [ -s "$work/$name.help-options" ] || { fail "$name --help names no option"; continue; }
  render "$page_file" "$work/$page.txt"
  entries "$work/$page.txt" 'OPTIONS' | grep '^-' >"$work/$page.entries" || true
  options "$work/$page.entries" >"$work/$page.options"

  undocumented=$(missing "$work/$name.help-options" "$work/$page.options")
  [ -z "$undocumented" ] ||
    fail "$page has no OPTIONS entry for what '$name --help' lists:" $undocumented
  stale=$(missing "$work/$page.options" "$work/$name.help-options")
  [ -z "$stale" ] || fail "$page documents what '$name --help' does not list:" $stale

  if [ "$source" != - ]; then
    # {"name", no_argument|required_argument|optional_argument, ...}
    grep -oE '\{"[a-z0-9-]+", *(no|required|optional)_argument' "$source" |
      sed -E 's/^\{"([^"]+)".*/--\1/' | sort -u >"$work/$name.source-options"
    [ -s "$work/$name.source-options" ] || fail "$source: no getopt table found"
    unlisted=$(missing "$work/$name.source-options" "$work/$name.help-options")
    [ -z "$unlisted" ] ||
      fail "$name accepts options its --help does not list ($source):" $unlisted
  fi
  [ $failures -ne $failures_before ] ||
    echo "$name: $(wc -l <"$work/$name.help-options") options, in --help and $page alike"

  if [ "$name" = cdrwarn-console ]; then
    grep -oE '@console\.[a-z_]+@' "$conf_source" | sed -E 's/^@console\.(.*)@$/\1/' |
      sort -u >"$work/console-keys"
    [ -s "$work/console-keys" ] || fail "$conf_source names no @console.KEY@"
    entries "$work/$page.txt" 'CONFIGURATION' |
      sed -nE 's/^\[console\] ([a-z_]+).*/\1/p' | sort -u >"$work/console-page-keys"
    undocumented=$(missing "$work/console-keys" "$work/console-page-keys")
    [ -z "$undocumented" ] ||
      fail "$page has no CONFIGURATION entry for the [console] keys:" $undocumented
    stale=$(missing "$work/console-page-keys" "$work/console-keys")
    [ -z "$stale" ] || fail "$page documents [console] keys the config has not:" $stale
    [ $failures -ne $failures_before ] ||
      echo "$name: $(wc -l <"$work/console-keys") [console] keys, in $page too"
  fi
done
[ $# -eq 0 ] || fail "arguments left over (expected PROGRAM PAGE SOURCE triples): $*"

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "man pages and --help agree"
