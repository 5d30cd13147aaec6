#!/usr/bin/env bash
# The Debian packages end to end, as root on a Debian 12 machine (CI's):
#   1. builds them from a copy of the tree (the files a clean clone holds,
#      plus uncommitted changes) with `dpkg-buildpackage -us -uc -b`, nocheck;
#   2. lintian shows no tag at any level (info and pedantic included) that
#      debian/*.lintian-overrides does not explain;
#   3. each package (cdrwarnd, cdrwarn-console, cdrwarn-tools) holds exactly
#      the expected files, cdrwarnd's conffiles are its /etc/cdrwarn files
#      and the other two have none;
#   4. the maintainer scripts' service decisions, run against stand-ins for
#      systemctl and friends: a first install creates the user and enables
#      both services without starting them, an upgrade try-restarts them, a
#      removal stops them, a purge forgets them (and the console's purge
#      removes its audit logs and accounts file);
#   5. installs them on this machine: the cdrwarn user, the enabled units
#      (`systemd-analyze verify` with their man pages), `cdrwarnd
#      --check-config` on the installed example as the service's user, the
#      man pages, the tools, the alerting rules; for the console: its
#      --check-config refuses the fresh install (no accounts yet), accepts
#      it once an account is added as the README says, and the installed
#      program, run as the service's user with the unit's LogsDirectory=
#      made as systemd makes it, serves its page (byte for byte the files of
#      console/web/, built into it) and writes a sign-in to the default
#      audit log;
#   6. upgrades to a repacked newer version whose example files changed: the
#      operator's edited cdrwarn.conf is kept (the new one beside it as
#      .dpkg-dist), an unedited conffile is updated, the console's accounts
#      stay; then rolls back;
#   7. removes them (the configuration and the audit log stay) and purges
#      them: no file of theirs, no /etc/cdrwarn, no /var/log/cdrwarn and no
#      enablement are left. The cdrwarn user stays, as Debian keeps system
#      users (files may still belong to it).
# The machine is left as it was found even when a step fails (trap): the
# packages purged, the cdrwarn user deleted when this test created it, a
# console this test started stopped.
# man-db's index is not rebuilt after each dpkg call meanwhile (its
# auto-update flag is set aside and put back): that takes most of a dpkg
# call's time and tests nothing of ours.
# Refuses to run where cdrwarn is installed already. Two to three minutes.
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
for d in /etc/cdrwarn /var/log/cdrwarn; do
  if [ -e $d ]; then
    echo "test_package: $d exists on this machine; run the test on one without it"
    exit 1
  fi
done

work=$(mktemp -d /tmp/cdrwarn-package.XXXXXX)
arch=$(dpkg --print-architecture)
user_existed=no
getent passwd cdrwarn >/dev/null && user_existed=yes
installed=no
console_pid=
# names anywhere on the system before, to tell what the test leaves behind
leftovers() {
  find /etc /usr /lib /var/lib /var/log -xdev -name '*cdrwarn*' 2>/dev/null | sort
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
  if [ -n "$console_pid" ]; then
    kill "$console_pid" 2>/dev/null
    wait "$console_pid" 2>/dev/null
  fi
  if [ $installed = yes ]; then
    dpkg --purge cdrwarn-console cdrwarnd cdrwarn-tools >/dev/null 2>&1
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
console_deb=$work/cdrwarn-console_${version}_$arch.deb
tools_deb=$work/cdrwarn-tools_${version}_$arch.deb
debs=("$daemon_deb" "$console_deb" "$tools_deb")
for deb in "${debs[@]}"; do
  [ -f "$deb" ] || fail "no $(basename "$deb") built: $(ls "$work")"
done

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
cat >"$work/expected-cdrwarn-console" <<'EOF'
/lib/systemd/system/cdrwarn-console.service
/usr/sbin/cdrwarn-console
/usr/share/doc/cdrwarn-console/changelog.gz
/usr/share/doc/cdrwarn-console/copyright
/usr/share/lintian/overrides/cdrwarn-console
/usr/share/man/man8/cdrwarn-console.8.gz
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
for deb in "${debs[@]}"; do
  name=$(dpkg-deb -f "$deb" Package)
  files_of "$deb" >"$work/found-$name"
  expect_lines "the files of $name" "$work/expected-$name" "$work/found-$name"
done
dpkg-deb --ctrl-tarfile "$daemon_deb" | tar -xOf - ./conffiles | sort >"$work/found-conffiles"
expect_lines "cdrwarnd's conffiles" "$work/expected-conffiles" "$work/found-conffiles"
for deb in "$console_deb" "$tools_deb"; do
  ! dpkg-deb --ctrl-tarfile "$deb" | tar -tf - | grep -qx './conffiles' ||
    fail "$(basename "$deb") has conffiles: none expected"
done

step "4. the maintainer scripts' service decisions"
sim=$work/sim
mkdir -p "$sim/bin" "$sim/run-systemd"
for tool in systemctl deb-systemd-invoke deb-systemd-helper systemd-sysusers; do
  printf '#!/bin/sh\necho "%s $*" >>"%s/calls"\n' "$tool" "$sim" >"$sim/bin/$tool"
  chmod +x "$sim/bin/$tool"
done
for deb in "$daemon_deb" "$console_deb"; do
  name=$(dpkg-deb -f "$deb" Package)
  dpkg-deb -e "$deb" "$sim/control-$name"
  for script in postinst prerm postrm; do
    # as on a machine running systemd, whatever this one runs
    sed "s|/run/systemd/system|$sim/run-systemd|g" "$sim/control-$name/$script" \
      >"$sim/$name.$script"
  done
done
# run PACKAGE SCRIPT ARGS...: the stand-ins' calls, one a line
run() {
  : >"$sim/calls"
  PATH=$sim/bin:$PATH sh "$sim/$1.$2" "${@:3}" >/dev/null
  cat "$sim/calls"
}
expect_call() { grep -qxF "$2" <<<"$3" || fail "$1: no '$2' among the calls: $(echo $3)"; }
expect_no_call() {
  ! grep -qE "$2" <<<"$3" || fail "$1: a call matching '$2': $(echo $3)"
}
for name in cdrwarnd cdrwarn-console; do
  unit=$name.service
  calls=$(run $name postinst configure)
  if [ $name = cdrwarnd ]; then
    expect_call "$name first install" "systemd-sysusers cdrwarn.conf" "$calls"
  else
    # the user is cdrwarnd's, which the console depends on
    expect_no_call "$name first install" "systemd-sysusers" "$calls"
  fi
  expect_call "$name first install" "deb-systemd-helper enable $unit" "$calls"
  expect_no_call "$name first install" "deb-systemd-invoke" "$calls"
  calls=$(run $name postinst configure 0.0.1)
  expect_call "$name upgrade" "deb-systemd-invoke try-restart $unit" "$calls"
  expect_no_call "$name upgrade" "deb-systemd-invoke (start|restart|stop)" "$calls"
  calls=$(run $name prerm upgrade "$version+1")
  expect_no_call "$name prerm of an upgrade" "deb-systemd-invoke" "$calls"
  calls=$(run $name prerm remove)
  expect_call "$name removal" "deb-systemd-invoke stop $unit" "$calls"
  # each package stops its own service only
  other=cdrwarnd.service
  [ $name = cdrwarn-console ] || other=cdrwarn-console.service
  expect_no_call "$name removal" "$other" "$calls"
done
calls=$(run cdrwarnd postrm purge)
expect_call "cdrwarnd purge" "deb-systemd-helper purge cdrwarnd.service" "$calls"
# the console's purge, in a stand-in root: its audit logs and the accounts
# file go; so does /etc/cdrwarn when cdrwarnd's purge left it for them
root=$sim/root
mkdir -p "$root/var/log/cdrwarn" "$root/etc/cdrwarn"
echo '{"action":"sign_in"}' >"$root/var/log/cdrwarn/console-audit.log"
echo '{"action":"sign_in"}' >"$root/var/log/cdrwarn/console-audit.log.1"
echo 'lead:supervisor:$y$j9T$x$y' >"$root/etc/cdrwarn/console-users"
calls=$(DPKG_ROOT=$root run cdrwarn-console postrm remove)
[ -e "$root/var/log/cdrwarn/console-audit.log" ] && [ -e "$root/etc/cdrwarn/console-users" ] ||
  fail "the console's removal (not a purge) deleted its audit log or accounts"
calls=$(DPKG_ROOT=$root run cdrwarn-console postrm purge)
expect_call "cdrwarn-console purge" "deb-systemd-helper purge cdrwarn-console.service" "$calls"
[ ! -e "$root/var/log/cdrwarn" ] && [ ! -e "$root/etc/cdrwarn" ] ||
  fail "the console's purge left: $(cd "$root" && find . -mindepth 1)"
# with cdrwarnd's configuration still there, /etc/cdrwarn stays
mkdir -p "$root/etc/cdrwarn" && echo "[kafka]" >"$root/etc/cdrwarn/cdrwarn.conf"
calls=$(DPKG_ROOT=$root run cdrwarn-console postrm purge)
[ -f "$root/etc/cdrwarn/cdrwarn.conf" ] || fail "the console's purge removed cdrwarnd's files"

step "5. dpkg -i"
installed=yes
dpkg -i "${debs[@]}" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i"; }
for name in cdrwarnd cdrwarn-console cdrwarn-tools; do
  while read -r f; do [ -e "$f" ] || fail "not installed: $f"; done <"$work/expected-$name"
done
IFS=: read -r _ _ uid _ _ home shell < <(getent passwd cdrwarn) || fail "no cdrwarn user"
[ "$uid" -lt 1000 ] && [ "$shell" = /usr/sbin/nologin ] ||
  fail "cdrwarn is not a system user without a shell: uid $uid, shell $shell"
wants_of() { echo "/etc/systemd/system/multi-user.target.wants/$1.service"; }
for name in cdrwarnd cdrwarn-console; do
  wants=$(wants_of $name)
  [ "$(readlink "$wants")" = "/lib/systemd/system/$name.service" ] ||
    fail "the service $name is not enabled: $wants"
  if [ -d /run/systemd/system ]; then
    [ "$(systemctl is-enabled $name)" = enabled ] || fail "systemctl: $name not enabled"
    ! systemctl is-active --quiet $name || fail "$name was started on a first install"
  fi
  out=$(systemd-analyze verify /lib/systemd/system/$name.service 2>&1) && [ -z "$out" ] ||
    fail "systemd-analyze verify of the installed $name.service: $out"
done
out=$(runuser -u cdrwarn -- /usr/sbin/cdrwarnd -c /etc/cdrwarn/cdrwarn.conf --check-config 2>&1) ||
  fail "cdrwarnd --check-config on the installed example, as cdrwarn: $out"
grep -q "configuration OK" <<<"$out" || fail "--check-config said: $out"
[ "$(/usr/sbin/cdrwarnd --version)" = "cdrwarnd $version" ] || fail "cdrwarnd --version"
[ "$(/usr/sbin/cdrwarn-console --version)" = "cdrwarn-console $version" ] ||
  fail "cdrwarn-console --version"
for page in 8:cdrwarnd 5:cdrwarn.conf 8:cdrwarn-console 1:cdrwarn-gen 1:cdrwarn-devbroker \
            1:cdrwarn-watch 1:cdrwarn-backtest; do
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

step "5b. the installed console: accounts, its page, the audit log"
users=/etc/cdrwarn/console-users
check_console() {
  runuser -u cdrwarn -- /usr/sbin/cdrwarn-console -c "${1:-/etc/cdrwarn/cdrwarn.conf}" \
    --check-config 2>&1
}
# a first install has no accounts: the check says so (why the service waits)
if out=$(check_console); then
  fail "cdrwarn-console --check-config passed on a fresh install without accounts: $out"
fi
grep -qF "$users: cannot open the accounts file" <<<"$out" ||
  fail "cdrwarn-console --check-config on a fresh install said: $out"
# an account, as the README adds one
password=pkgtest-$RANDOM$RANDOM$RANDOM
hash=$(printf '%s\n' "$password" | /usr/sbin/cdrwarn-console --hash-password) ||
  fail "cdrwarn-console --hash-password"
[[ $hash == '$y$'* ]] || fail "--hash-password printed '$hash', not a yescrypt hash"
printf 'pkgtest:supervisor:%s\n' "$hash" >>$users
chown cdrwarn: $users && chmod 600 $users
out=$(check_console) || fail "cdrwarn-console --check-config with an account, as cdrwarn: $out"
grep -qF "configuration OK; 1 account(s) in $users" <<<"$out" ||
  fail "cdrwarn-console --check-config said: $out"
! grep -q SECURITY <<<"$out" || fail "the accounts file as the README makes it draws: $out"

# The installed program run as the service runs it, on the installed
# configuration but for its addresses: a free port for the page, nothing
# listening for Redis and Kafka (no service of this machine is touched). The
# unit's LogsDirectory= is made first, as systemd makes it before a start.
logs_dir=$(sed -n 's/^LogsDirectory=//p' /lib/systemd/system/cdrwarn-console.service)
logs_mode=$(sed -n 's/^LogsDirectoryMode=//p' /lib/systemd/system/cdrwarn-console.service)
[ "$logs_dir" = cdrwarn ] ||
  fail "the unit's LogsDirectory= is '$logs_dir': [console] audit_log's default is /var/log/cdrwarn/"
install -d -o cdrwarn -g cdrwarn -m "${logs_mode:-0755}" "/var/log/$logs_dir"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run_dir=$work/console-run
mkdir -m 755 "$run_dir" && chmod o+x "$work"
sed -E -e 's#^((rival|own)_prefixes|ported_numbers|rival_staff_numbers)( *= *)([^/ #])#\1\3/etc/cdrwarn/\4#' \
  -e 's#^brokers( *)= *[^ ]*#brokers\1= 127.0.0.1:1#' \
  -e '/^\[redis\]/,/^\[/ s#^port( *)= *[0-9]+#port\1= 1#' \
  -e '/^\[console\]/,/^\[/ s#^listen( *)= *[^ ]*#listen\1= 127.0.0.1:'"$port"'#' \
  /etc/cdrwarn/cdrwarn.conf >"$run_dir/cdrwarn.conf"
for want in '^brokers *= 127\.0\.0\.1:1 ' '^port *= 1$' "^listen *= 127\.0\.0\.1:$port " \
            '^own_prefixes *= /etc/cdrwarn/own_prefixes.txt'; do
  grep -qE "$want" "$run_dir/cdrwarn.conf" || fail "the console's test config has no line ~ $want"
done
grep -E '^(users_file|audit_log) ' "$run_dir/cdrwarn.conf" >"$work/console-paths"
grep -qE "^users_file *= $users( |$)" "$work/console-paths" &&
  grep -qE '^audit_log *= /var/log/cdrwarn/console-audit.log( |$)' "$work/console-paths" ||
  fail "the installed example does not name the default paths: $(cat "$work/console-paths")"
out=$(check_console "$run_dir/cdrwarn.conf") || fail "--check-config of the test config: $out"
setpriv --reuid=cdrwarn --regid=cdrwarn --init-groups \
  /usr/sbin/cdrwarn-console -c "$run_dir/cdrwarn.conf" >"$work/console.log" 2>&1 &
console_pid=$!
url=http://127.0.0.1:$port
for _ in $(seq 100); do
  curl -sf -o /dev/null "$url/" && break
  kill -0 $console_pid 2>/dev/null || fail "the installed console stopped: $(cat "$work/console.log")"
  sleep 0.1
done
for f in index.html app.js app.css icon.svg; do
  path=/$f
  [ $f != index.html ] || path=/
  curl -sf -o "$work/served-$f" "$url$path" ||
    fail "GET $path from the installed console: $(tail -5 "$work/console.log")"
  cmp -s "$work/served-$f" "$work/cdrwarn/console/web/$f" ||
    fail "the installed console serves $path unlike console/web/$f"
done
code=$(curl -s -o "$work/healthz" -w '%{http_code}' "$url/healthz")
[ "$code" = 503 ] || fail "GET /healthz with no Redis answered $code: $(cat "$work/healthz")"
code=$(curl -s -o "$work/login" -w '%{http_code}' -H 'Content-Type: application/json' \
         -H "Origin: $url" --data "{\"user\":\"pkgtest\",\"password\":\"$password\"}" \
         "$url/api/login")
[ "$code" = 200 ] && grep -q '"role": *"supervisor"' "$work/login" ||
  fail "POST /api/login answered $code: $(cat "$work/login")"
audit=/var/log/cdrwarn/console-audit.log
grep '"action":"sign_in"' "$audit" 2>/dev/null | grep -q '"user":"pkgtest"' ||
  fail "no sign-in in the default audit log $audit: $(cat "$audit" 2>&1)"
[ "$(stat -c %U "$audit")" = cdrwarn ] || fail "$audit belongs to $(stat -c %U "$audit")"
kill $console_pid
for _ in $(seq 150); do
  kill -0 $console_pid 2>/dev/null || break
  sleep 0.1
done
! kill -0 $console_pid 2>/dev/null || fail "the console did not stop within 15 s of SIGTERM"
rc=0
wait $console_pid || rc=$?
console_pid=
[ $rc -eq 0 ] || fail "the console exited $rc on SIGTERM: $(tail -5 "$work/console.log")"

step "6. upgrade to a newer version whose example files changed, then roll back"
echo "# edited by the operator" >>/etc/cdrwarn/cdrwarn.conf
newer=$version+pkgtest1
newer_debs=()
for deb in "${debs[@]}"; do
  name=$(dpkg-deb -f "$deb" Package)
  tree=$work/repack-$name
  dpkg-deb -R "$deb" "$tree"
  sed -i -e "s/^Version: .*/Version: $newer/" \
    -e "s/cdrwarnd (= $version)/cdrwarnd (= $newer)/" "$tree/DEBIAN/control"
  if [ -d "$tree/etc/cdrwarn" ]; then
    # conffiles are not in DEBIAN/md5sums: nothing else to update
    echo "# changed in $newer" >>"$tree/etc/cdrwarn/cdrwarn.conf"
    echo "# changed in $newer" >>"$tree/etc/cdrwarn/own_prefixes.txt"
  fi
  newer_debs+=("$work/${name}_${newer}_$arch.deb")
  dpkg-deb --root-owner-group -b "$tree" "$work/${name}_${newer}_$arch.deb" >/dev/null
done
dpkg -i --force-confold "${newer_debs[@]}" </dev/null >"$work/dpkg.log" 2>&1 ||
  { cat "$work/dpkg.log"; fail "the upgrade"; }
for name in cdrwarnd cdrwarn-console cdrwarn-tools; do
  [ "$(dpkg-query -W -f='${Version}' $name)" = "$newer" ] || fail "$name not upgraded to $newer"
done
grep -q "edited by the operator" /etc/cdrwarn/cdrwarn.conf &&
  ! grep -q "changed in" /etc/cdrwarn/cdrwarn.conf ||
  fail "the upgrade overwrote the operator's cdrwarn.conf"
grep -q "changed in $newer" /etc/cdrwarn/cdrwarn.conf.dpkg-dist ||
  fail "the new example is not beside it as cdrwarn.conf.dpkg-dist"
grep -q "changed in $newer" /etc/cdrwarn/own_prefixes.txt ||
  fail "an unedited conffile was not updated"
for name in cdrwarnd cdrwarn-console; do
  [ -L "$(wants_of $name)" ] || fail "the upgrade lost the enablement of $name"
done
grep -q "^pkgtest:supervisor:" $users || fail "the upgrade lost the console's accounts"
dpkg -i --force-confold "${debs[@]}" </dev/null >"$work/dpkg.log" 2>&1 ||
  { cat "$work/dpkg.log"; fail "the rollback"; }
for name in cdrwarnd cdrwarn-console cdrwarn-tools; do
  [ "$(dpkg-query -W -f='${Version}' $name)" = "$version" ] || fail "$name not rolled back"
done
grep -q "edited by the operator" /etc/cdrwarn/cdrwarn.conf ||
  fail "the rollback overwrote the operator's cdrwarn.conf"
! grep -q "changed in" /etc/cdrwarn/own_prefixes.txt || fail "the rollback kept a newer example"
runuser -u cdrwarn -- /usr/sbin/cdrwarnd -c /etc/cdrwarn/cdrwarn.conf --check-config >/dev/null ||
  fail "--check-config after the rollback"
out=$(check_console) || fail "cdrwarn-console --check-config after the rollback: $out"

step "7. dpkg -r, then dpkg -P"
dpkg -r cdrwarn-console cdrwarnd cdrwarn-tools >"$work/dpkg.log" 2>&1 ||
  { cat "$work/dpkg.log"; fail "dpkg -r"; }
for f in /usr/sbin/cdrwarnd /usr/sbin/cdrwarn-console /usr/bin/cdrwarn-gen \
         /lib/systemd/system/cdrwarnd.service /lib/systemd/system/cdrwarn-console.service; do
  [ ! -e "$f" ] || fail "dpkg -r left $f"
done
grep -q "edited by the operator" /etc/cdrwarn/cdrwarn.conf ||
  fail "dpkg -r did not keep the configuration"
[ -f $users ] && [ -f $audit ] || fail "dpkg -r did not keep the console's accounts and audit log"
dpkg -P cdrwarn-console cdrwarnd cdrwarn-tools >"$work/dpkg.log" 2>&1 ||
  { cat "$work/dpkg.log"; fail "dpkg -P"; }
installed=no
[ ! -e /etc/cdrwarn ] || fail "dpkg -P left /etc/cdrwarn: $(ls -A /etc/cdrwarn)"
[ ! -e /var/log/cdrwarn ] || fail "dpkg -P left /var/log/cdrwarn: $(ls -A /var/log/cdrwarn)"
for name in cdrwarnd cdrwarn-console; do
  wants=$(wants_of $name)
  [ ! -e "$wants" ] && [ ! -L "$wants" ] || fail "dpkg -P left the enablement $wants"
done
cat "$work/expected-cdrwarnd" "$work/expected-cdrwarn-console" "$work/expected-cdrwarn-tools" |
  while read -r f; do
    [ ! -e "$f" ] || fail "dpkg -P left $f"
  done
leftovers >"$work/after"
expect_lines "names with cdrwarn under /etc /usr /lib /var/lib /var/log" "$work/before" \
  "$work/after"
if [ $user_existed = no ]; then
  getent passwd cdrwarn >/dev/null || fail "the cdrwarn user is gone: Debian keeps system users"
fi

echo "packages verified: built, lintian clean, installed, served, upgraded, rolled back, purged" \
  "($SECONDS s)"
