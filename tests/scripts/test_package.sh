#!/usr/bin/env bash
# The Debian packages end to end, as root on a Debian 12 machine (CI's):
#   1. builds them from a copy of the tree (the files a clean clone holds,
#      plus uncommitted changes) with `dpkg-buildpackage -us -uc -b`, nocheck;
#   2. lintian shows no tag at any level (info and pedantic included) that
#      debian/*.lintian-overrides does not explain;
#   3. each package holds exactly the expected files, and cdrwarnd's
#      conffiles are its /etc/cdrwarn files;
#   4. the maintainer scripts' service decisions, run against stand-ins for
#      systemctl and friends: a first install creates the user and enables
#      the service without starting it, an upgrade try-restarts it, a
#      removal stops it, a purge forgets it;
#   5. installs them on this machine: the cdrwarn user, the enabled unit
#      (`systemd-analyze verify` with its man pages), `cdrwarnd
#      --check-config` on the installed example as the service's user, the
#      man pages, the tools, the alerting rules;
#   6. upgrades to a repacked newer version whose example files changed: the
#      operator's edited cdrwarn.conf is kept (the new one beside it as
#      .dpkg-dist) and an unedited conffile is updated; then rolls back;
#   7. removes them (the configuration stays) and purges them: no file of
#      theirs, no /etc/cdrwarn and no enablement are left. The cdrwarn user
#      stays, as Debian keeps system users (files may still belong to it).
# The machine is left as it was found even when a step fails (trap): the
# packages purged, the cdrwarn user deleted when this test created it.
# man-db's index is not rebuilt after each dpkg call meanwhile (its
# auto-update flag is set aside and put back): that takes most of a dpkg
# call's time and tests nothing of ours.
# Refuses to run where cdrwarn is installed already. About a minute.
# Usage (as root): bash tests/scripts/test_package.sh
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)

if [ "$(id -u)" -ne 0 ]; then
  echo "test_package: skipped: it installs and purges packages, run it as root"
  exit 0
fi
for p in cdrwarnd cdrwarn-tools cdrwarn-console; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -qv '^unknown\|not-installed$'; then
    echo "test_package: $p is installed on this machine; the test installs and purges it:"
    echo "run it on a machine without cdrwarn"
    exit 1
  fi
done
if [ -e /etc/cdrwarn ]; then
  echo "test_package: /etc/cdrwarn exists on this machine; run the test on one without it"
  exit 1
fi

work=$(mktemp -d /tmp/cdrwarn-package.XXXXXX)
arch=$(dpkg --print-architecture)
user_existed=no
getent passwd cdrwarn >/dev/null && user_existed=yes
installed=no
# names anywhere on the system before, to tell what the test leaves behind
leftovers() {
  find /etc /usr /lib /var/lib -xdev -name '*cdrwarn*' 2>/dev/null | sort
}
leftovers >"$work/before"
man_db_flag=/var/lib/man-db/auto-update
man_db_flag_moved=no
if [ -e $man_db_flag ]; then
  mv $man_db_flag "$work/man-db-auto-update"
  man_db_flag_moved=yes
fi

cleanup() {
  local rc=$?
  set +e
  if [ $installed = yes ]; then
    dpkg --purge cdrwarnd cdrwarn-tools >/dev/null 2>&1
  fi
  if [ $user_existed = no ] && getent passwd cdrwarn >/dev/null; then
    userdel cdrwarn
  fi
  if [ $user_existed = no ] && getent group cdrwarn >/dev/null; then
    groupdel cdrwarn
  fi
  if [ $man_db_flag_moved = yes ]; then
    mv "$work/man-db-auto-update" $man_db_flag
  fi
  rm -rf "$work"
  [ $rc -eq 0 ] || echo "test_package: FAILED (the machine was put back as it was)"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { echo "--- $* ($SECONDS s)"; }
fail() {
  echo "test_package: $*"
  exit 1
}
# expect_lines NAME EXPECTED_FILE ACTUAL_FILE
expect_lines() {
  if ! diff -u "$2" "$3" >"$work/diff"; then
    echo "test_package: $1 differ (- expected, + found):"
    cat "$work/diff"
    exit 1
  fi
}

step "1. dpkg-buildpackage -us -uc -b from a copy of the tree"
mkdir "$work/cdrwarn"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
  (cd "$src" && git ls-files -z --cached --others --exclude-standard |
     while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
     tar --null -T - -cf -) | tar -xf - -C "$work/cdrwarn"
else
  tar -C "$src" --exclude='./build*' --exclude='./obj-*' --exclude=./debian/.debhelper -cf - . |
    tar -xf - -C "$work/cdrwarn"
fi
version=$(cd "$work/cdrwarn" && dpkg-parsechangelog -S Version)
cmake_version=$(sed -n 's/^project(cdrwarn VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
[ "$version" = "$cmake_version" ] ||
  fail "debian/changelog says $version, CMakeLists.txt $cmake_version: bump both"
if ! (cd "$work/cdrwarn" &&
      DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" dpkg-buildpackage -us -uc -b) \
      >"$work/build.log" 2>&1; then
  tail -40 "$work/build.log"
  fail "dpkg-buildpackage failed (the whole log was $work/build.log)"
fi
daemon_deb=$work/cdrwarnd_${version}_$arch.deb
tools_deb=$work/cdrwarn-tools_${version}_$arch.deb
[ -f "$daemon_deb" ] && [ -f "$tools_deb" ] || fail "no .deb built: $(ls "$work")"

step "2. lintian"
if ! lintian -I --pedantic --fail-on error,warning,info,pedantic \
       "$work/cdrwarn_${version}_$arch.changes" >"$work/lintian.log" 2>&1; then
  grep -v 'running with root privileges' "$work/lintian.log"
  fail "lintian has tags no override explains"
fi

step "3. file lists and conffiles"
# Adding a program to a package adds its lines here (see debian/README.source).
cat >"$work/expected-cdrwarnd" <<'EOF'
/etc/cdrwarn/cdrwarn.conf
/etc/cdrwarn/own_prefixes.txt
/etc/cdrwarn/ported.txt
/etc/cdrwarn/rival_prefixes.txt
/etc/cdrwarn/rival_staff.txt
/lib/systemd/system/cdrwarnd.service
/usr/lib/sysusers.d/cdrwarn.conf
/usr/sbin/cdrwarnd
/usr/share/cdrwarn/grafana/cdrwarn.json
/usr/share/cdrwarn/prometheus/cdrwarn.rules.yml
/usr/share/doc/cdrwarnd/README.md
/usr/share/doc/cdrwarnd/changelog.gz
/usr/share/doc/cdrwarnd/copyright
/usr/share/doc/cdrwarnd/examples/cdrwarn.conf
/usr/share/doc/cdrwarnd/examples/own_prefixes.txt
/usr/share/doc/cdrwarnd/examples/ported.txt
/usr/share/doc/cdrwarnd/examples/rival_prefixes.txt
/usr/share/doc/cdrwarnd/examples/rival_staff.txt
/usr/share/lintian/overrides/cdrwarnd
/usr/share/man/man5/cdrwarn.conf.5.gz
/usr/share/man/man8/cdrwarnd.8.gz
EOF
cat >"$work/expected-cdrwarn-tools" <<'EOF'
/usr/bin/cdrwarn-backtest
/usr/bin/cdrwarn-devbroker
/usr/bin/cdrwarn-gen
/usr/bin/cdrwarn-watch
/usr/share/doc/cdrwarn-tools/changelog.gz
/usr/share/doc/cdrwarn-tools/copyright
/usr/share/man/man1/cdrwarn-backtest.1.gz
/usr/share/man/man1/cdrwarn-devbroker.1.gz
/usr/share/man/man1/cdrwarn-gen.1.gz
/usr/share/man/man1/cdrwarn-watch.1.gz
EOF
grep '^/etc/' "$work/expected-cdrwarnd" >"$work/expected-conffiles"
files_of() { dpkg-deb -c "$1" | awk '$1 !~ /^d/ {print $6}' | sed 's|^\./|/|' | sort; }
files_of "$daemon_deb" >"$work/found-cdrwarnd"
files_of "$tools_deb" >"$work/found-cdrwarn-tools"
expect_lines "the files of cdrwarnd" "$work/expected-cdrwarnd" "$work/found-cdrwarnd"
expect_lines "the files of cdrwarn-tools" "$work/expected-cdrwarn-tools" "$work/found-cdrwarn-tools"
dpkg-deb --ctrl-tarfile "$daemon_deb" | tar -xOf - ./conffiles | sort >"$work/found-conffiles"
expect_lines "cdrwarnd's conffiles" "$work/expected-conffiles" "$work/found-conffiles"

step "4. the maintainer scripts' service decisions"
sim=$work/sim
mkdir -p "$sim/bin" "$sim/run-systemd"
for tool in systemctl deb-systemd-invoke deb-systemd-helper systemd-sysusers; do
  printf '#!/bin/sh\necho "%s $*" >>"%s/calls"\n' "$tool" "$sim" >"$sim/bin/$tool"
  chmod +x "$sim/bin/$tool"
done
dpkg-deb -e "$daemon_deb" "$sim/control"
for script in postinst prerm postrm; do
  # as on a machine running systemd, whatever this one runs
  sed "s|/run/systemd/system|$sim/run-systemd|g" "$sim/control/$script" >"$sim/$script"
done
# run SCRIPT ARGS...: the stand-ins' calls, one a line
run() {
  : >"$sim/calls"
  PATH=$sim/bin:$PATH sh "$sim/$1" "${@:2}" >/dev/null
  cat "$sim/calls"
}
expect_call() { grep -qxF "$2" <<<"$3" || fail "$1: no '$2' among the calls: $(echo $3)"; }
expect_no_call() {
  ! grep -qE "$2" <<<"$3" || fail "$1: a call matching '$2': $(echo $3)"
}
calls=$(run postinst configure)
expect_call "first install" "systemd-sysusers cdrwarn.conf" "$calls"
expect_call "first install" "deb-systemd-helper enable cdrwarnd.service" "$calls"
expect_no_call "first install" "deb-systemd-invoke" "$calls"
calls=$(run postinst configure 0.0.1)
expect_call "upgrade" "deb-systemd-invoke try-restart cdrwarnd.service" "$calls"
expect_no_call "upgrade" "deb-systemd-invoke (start|restart|stop)" "$calls"
calls=$(run prerm upgrade "$version+1")
expect_no_call "prerm of an upgrade" "deb-systemd-invoke" "$calls"
calls=$(run prerm remove)
expect_call "removal" "deb-systemd-invoke stop cdrwarnd.service" "$calls"
calls=$(run postrm purge)
expect_call "purge" "deb-systemd-helper purge cdrwarnd.service" "$calls"

step "5. dpkg -i"
installed=yes
dpkg -i "$daemon_deb" "$tools_deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i"; }
while read -r f; do [ -e "$f" ] || fail "not installed: $f"; done <"$work/expected-cdrwarnd"
while read -r f; do [ -e "$f" ] || fail "not installed: $f"; done <"$work/expected-cdrwarn-tools"
IFS=: read -r _ _ uid _ _ home shell < <(getent passwd cdrwarn) || fail "no cdrwarn user"
[ "$uid" -lt 1000 ] && [ "$shell" = /usr/sbin/nologin ] ||
  fail "cdrwarn is not a system user without a shell: uid $uid, shell $shell"
wants=/etc/systemd/system/multi-user.target.wants/cdrwarnd.service
[ "$(readlink "$wants")" = /lib/systemd/system/cdrwarnd.service ] ||
  fail "the service is not enabled: $wants"
if [ -d /run/systemd/system ]; then
  [ "$(systemctl is-enabled cdrwarnd)" = enabled ] || fail "systemctl: not enabled"
  ! systemctl is-active --quiet cdrwarnd || fail "the service was started on a first install"
fi
out=$(systemd-analyze verify /lib/systemd/system/cdrwarnd.service 2>&1) && [ -z "$out" ] ||
  fail "systemd-analyze verify of the installed unit: $out"
out=$(runuser -u cdrwarn -- /usr/sbin/cdrwarnd -c /etc/cdrwarn/cdrwarn.conf --check-config 2>&1) ||
  fail "cdrwarnd --check-config on the installed example, as cdrwarn: $out"
grep -q "configuration OK" <<<"$out" || fail "--check-config said: $out"
[ "$(/usr/sbin/cdrwarnd --version)" = "cdrwarnd $version" ] || fail "cdrwarnd --version"
for page in 8:cdrwarnd 5:cdrwarn.conf 1:cdrwarn-gen 1:cdrwarn-devbroker 1:cdrwarn-watch \
            1:cdrwarn-backtest; do
  man -w "${page%%:*}" "${page#*:}" >/dev/null 2>&1 || fail "man ${page%%:*} ${page#*:} not found"
done
MANWIDTH=80 man 5 cdrwarn.conf 2>/dev/null | grep -q outcome_horizon_weeks ||
  fail "man 5 cdrwarn.conf does not render its keys"
for tool in cdrwarn-devbroker cdrwarn-gen cdrwarn-watch cdrwarn-backtest; do
  "$tool" --help >/dev/null || fail "$tool --help"
done
if command -v promtool >/dev/null; then
  promtool check rules /usr/share/cdrwarn/prometheus/cdrwarn.rules.yml >/dev/null ||
    fail "the installed alerting rules do not check"
fi

step "6. upgrade to a newer version whose example files changed, then roll back"
echo "# edited by the operator" >>/etc/cdrwarn/cdrwarn.conf
newer=$version+pkgtest1
for deb in "$daemon_deb" "$tools_deb"; do
  name=$(dpkg-deb -f "$deb" Package)
  tree=$work/repack-$name
  dpkg-deb -R "$deb" "$tree"
  sed -i "s/^Version: .*/Version: $newer/" "$tree/DEBIAN/control"
  if [ -d "$tree/etc/cdrwarn" ]; then
    # conffiles are not in DEBIAN/md5sums: nothing else to update
    echo "# changed in $newer" >>"$tree/etc/cdrwarn/cdrwarn.conf"
    echo "# changed in $newer" >>"$tree/etc/cdrwarn/own_prefixes.txt"
  fi
  dpkg-deb --root-owner-group -b "$tree" "$work/${name}_${newer}_$arch.deb" >/dev/null
done
dpkg -i --force-confold "$work/cdrwarnd_${newer}_$arch.deb" \
  "$work/cdrwarn-tools_${newer}_$arch.deb" </dev/null >"$work/dpkg.log" 2>&1 ||
  { cat "$work/dpkg.log"; fail "the upgrade"; }
[ "$(dpkg-query -W -f='${Version}' cdrwarnd)" = "$newer" ] || fail "not upgraded to $newer"
grep -q "edited by the operator" /etc/cdrwarn/cdrwarn.conf &&
  ! grep -q "changed in" /etc/cdrwarn/cdrwarn.conf ||
  fail "the upgrade overwrote the operator's cdrwarn.conf"
grep -q "changed in $newer" /etc/cdrwarn/cdrwarn.conf.dpkg-dist ||
  fail "the new example is not beside it as cdrwarn.conf.dpkg-dist"
grep -q "changed in $newer" /etc/cdrwarn/own_prefixes.txt ||
  fail "an unedited conffile was not updated"
[ -L "$wants" ] || fail "the upgrade lost the enablement"
dpkg -i --force-confold "$daemon_deb" "$tools_deb" </dev/null >"$work/dpkg.log" 2>&1 ||
  { cat "$work/dpkg.log"; fail "the rollback"; }
[ "$(dpkg-query -W -f='${Version}' cdrwarnd)" = "$version" ] || fail "not rolled back"
grep -q "edited by the operator" /etc/cdrwarn/cdrwarn.conf ||
  fail "the rollback overwrote the operator's cdrwarn.conf"
! grep -q "changed in" /etc/cdrwarn/own_prefixes.txt || fail "the rollback kept a newer example"
runuser -u cdrwarn -- /usr/sbin/cdrwarnd -c /etc/cdrwarn/cdrwarn.conf --check-config >/dev/null ||
  fail "--check-config after the rollback"

step "7. dpkg -r, then dpkg -P"
dpkg -r cdrwarnd cdrwarn-tools >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -r"; }
for f in /usr/sbin/cdrwarnd /usr/bin/cdrwarn-gen /lib/systemd/system/cdrwarnd.service; do
  [ ! -e "$f" ] || fail "dpkg -r left $f"
done
grep -q "edited by the operator" /etc/cdrwarn/cdrwarn.conf ||
  fail "dpkg -r did not keep the configuration"
dpkg -P cdrwarnd cdrwarn-tools >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -P"; }
installed=no
[ ! -e /etc/cdrwarn ] || fail "dpkg -P left /etc/cdrwarn: $(ls -A /etc/cdrwarn)"
[ ! -e "$wants" ] && [ ! -L "$wants" ] || fail "dpkg -P left the enablement $wants"
cat "$work/expected-cdrwarnd" "$work/expected-cdrwarn-tools" | while read -r f; do
  [ ! -e "$f" ] || fail "dpkg -P left $f"
done
leftovers >"$work/after"
expect_lines "names with cdrwarn under /etc /usr /lib /var/lib" "$work/before" "$work/after"
if [ $user_existed = no ]; then
  getent passwd cdrwarn >/dev/null || fail "the cdrwarn user is gone: Debian keeps system users"
fi

echo "packages verified: built, lintian clean, installed, upgraded, rolled back, purged ($SECONDS s)"
