#!/usr/bin/env bash
# Every man page the build made renders and lints clean: `mandoc -T lint` at
# warning level, groff's own warnings as lintian asks for them (`man
# --warnings`), and `lexgrog` finds its NAME line for whatis/apropos.
# Style-level mandoc notes (source lines over 80 bytes, a lower-case title)
# are not errors: the titles are command names. Args: MAN_DIR PAGE...
set -euo pipefail
dir=$1
shift
failed=0
for page in "$@"; do
  file=$dir/$page
  [ -s "$file" ] || { echo "$page: not built"; failed=1; continue; }
  if ! out=$(mandoc -T lint -W warning "$file" 2>&1) || [ -n "$out" ]; then
    echo "$page: mandoc -T lint:"; echo "$out"; failed=1
  fi
  if ! out=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 \
             man --warnings -E UTF-8 -l -Tutf8 -Z "$file" 2>&1 >/dev/null) || [ -n "$out" ]; then
    echo "$page: man --warnings:"; echo "$out"; failed=1
  fi
  name=${page%.*}
  if ! lexgrog "$file" 2>&1 | grep -qF "\"$name - "; then
    echo "$page: lexgrog finds no NAME line for $name:"; lexgrog "$file" 2>&1; failed=1
  fi
  text=$(MANWIDTH=80 man -l "$file" 2>/dev/null | col -b)
  for section in NAME SYNOPSIS DESCRIPTION "SEE ALSO"; do
    grep -qx "$section" <<<"$text" || { echo "$page: no $section section"; failed=1; }
  done
done
[ $failed -eq 0 ] && echo "man pages verified: $*"
exit $failed
