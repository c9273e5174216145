#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Debian packages, end to end, on this machine (root, or sudo):
#   1. dpkg-buildpackage -us -uc -b on a scratch copy of the tree (the
#      tree itself, and its parent directory, stay untouched);
#   2. lintian: no error (warnings are printed);
#   3. installs dyntabled, dyntablectl, libdyntable0, libdyntable-dev and
#      checks what they put in place (conffile, system user, units, man
#      pages, pkg-config);
#   4. runs scripts/demo.sh against the installed /usr/sbin/dyntabled and
#      /usr/bin/dyntablectl;
#   5. purges them and checks that none of their files is left; the
#      system user and group that installing created are removed too (a
#      package leaves them, as Debian does; this machine should not keep
#      them from a test).
# Refuses to run if any of the packages is already installed. Prints the
# time of each step. Exit status 0 only if everything passed.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
pkgs=(dyntabled dyntablectl libdyntable0 libdyntable-dev)
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

DYNTABLE_SETUP_TEST=1 scripts/setup-debian.sh >/dev/null

for p in "${pkgs[@]}"; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    echo "package-test: $p is already installed; not touching this machine" >&2
    exit 1
  fi
done
had_user=0 had_group=0 had_rundir=0
getent passwd dyntabled >/dev/null && had_user=1
getent group dyntable >/dev/null && had_group=1
[ -e /run/dyntabled ] && had_rundir=1

work=$(mktemp -d /tmp/dyntable-package.XXXXXX)
installed=0
# What installing made that purging leaves, as Debian does (the system
# user and groups, tmpfiles.d's /run/dyntabled): gone if it was not here.
unmake() {
  if [ "$had_user" = 0 ] && getent passwd dyntabled >/dev/null; then $sudo userdel dyntabled || true; fi
  if [ "$had_group" = 0 ] && getent group dyntable >/dev/null; then $sudo groupdel dyntable || true; fi
  if [ "$had_group" = 0 ] && getent group dyntabled >/dev/null; then $sudo groupdel dyntabled || true; fi
  if [ "$had_rundir" = 0 ] && [ -d /run/dyntabled ]; then $sudo rmdir /run/dyntabled || true; fi
}
cleanup() {
  if [ "$installed" = 1 ]; then
    $sudo dpkg --purge "${pkgs[@]}" >/dev/null 2>&1 || true
  fi
  unmake
  rm -rf "$work"
}
trap cleanup EXIT
pass=0 fail=0
check() { local what=$1; shift; if "$@"; then echo "PASS: $what"; pass=$((pass + 1)); else echo "FAIL: $what"; fail=$((fail + 1)); fi; }
t0=$SECONDS
step() { echo "=== package-test: $1 ($((SECONDS - t0)) s so far)"; }

# --- 1. build -------------------------------------------------------------
step "dpkg-buildpackage -us -uc -b"
mkdir "$work/src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  # what git tracks, and new files not ignored: no build directories,
  # node_modules or other leftovers of this tree
  git ls-files -z --cached --others --exclude-standard |
    tar --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -C "$work/src" -xf -
else
  tar --exclude='./build*' --exclude=node_modules -cf - . | tar -C "$work/src" -xf -
fi
(cd "$work/src" && dpkg-buildpackage -us -uc -b -j"$(nproc)") >"$work/build.log" 2>&1 ||
  { tail -15 "$work/build.log"; echo "FAIL: dpkg-buildpackage"; exit 1; }
debs=()
for p in "${pkgs[@]}"; do
  for d in "$work/${p}"_*.deb; do [ -e "$d" ] && debs+=("$d"); done
done
check "dpkg-buildpackage built ${pkgs[*]}" test "${#debs[@]}" -eq "${#pkgs[@]}"

# --- 2. lintian -------------------------------------------------------------
step "lintian"
changes=$(echo "$work"/dyntable_*.changes)
lint_rc=0
lintian --fail-on error "$changes" >"$work/lintian.log" 2>&1 || lint_rc=$?
cat "$work/lintian.log"
check "lintian finds no error" test "$lint_rc" -eq 0

# --- 3. install -----------------------------------------------------------
step "install"
installed=1
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${debs[@]}" \
  >"$work/install.log" 2>&1 || { cat "$work/install.log"; echo "FAIL: apt-get install"; exit 1; }
version=$(sed -n 's/^project(dyntable VERSION \([0-9.]*\) .*/\1/p' CMakeLists.txt)
check "installed dyntabled --version says $version" test "$(/usr/sbin/dyntabled --version)" = "dyntabled $version"
check "installed dyntablectl runs with the packaged library" \
  bash -c "/usr/bin/dyntablectl --version | grep -qx 'dyntablectl $version (libdyntable $version)' &&
           ldd /usr/bin/dyntablectl | grep -q 'libdyntable.so.0 => .*/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/libdyntable.so.0 '"
check "/etc/dyntabled.conf is a conffile of dyntabled" \
  bash -c "dpkg-query -W -f='\${Conffiles}' dyntabled | grep -q '^ /etc/dyntabled.conf '"
check "the installed daemon reads its conffile (all defaults)" \
  bash -c "/usr/sbin/dyntabled --help | grep -q '(default /etc/dyntabled.conf'"
check "installing created the system user dyntabled and the group dyntable" \
  bash -c "getent passwd dyntabled >/dev/null && getent group dyntable >/dev/null"
check "the units are in place and run /usr/sbin/dyntabled" \
  grep -qx "ExecStart=/usr/sbin/dyntabled" /lib/systemd/system/dyntabled.service
check "man pages are installed" \
  bash -c "for p in 8/dyntabled 1/dyntablectl 5/dyntabled.conf 3/libdyntable; do test -e /usr/share/man/man\${p%%/*}/\${p#*/}.\${p%%/*}.gz || exit 1; done"
check "bash completion is installed" test -e /usr/share/bash-completion/completions/dyntablectl
cat >"$work/hello.c" <<'C'
#include <dyntable.h>
#include <stdio.h>
int main(void) { printf("%s\n", dyntable_version()); return 0; }
C
check "a program builds with pkg-config dyntable against libdyntable-dev" \
  bash -c "cc -Wall -Werror -o '$work/hello' '$work/hello.c' \$(pkg-config --cflags --libs dyntable) && '$work/hello' | grep -qx '$version'"
if [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; then
  check "dyntabled.socket is enabled" systemctl is-enabled --quiet dyntabled.socket
else
  echo "SKIP: dyntabled.socket's state: systemd is not running on this machine"
fi

# --- 4. the demo, on the installed binaries -------------------------------
step "scripts/demo.sh with /usr/sbin/dyntabled and /usr/bin/dyntablectl"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
demo_rc=0
DYNTABLED=/usr/sbin/dyntabled DYNTABLECTL=/usr/bin/dyntablectl DYNTABLE_DEMO_PORT=$port \
  scripts/demo.sh >"$work/demo.log" 2>&1 || demo_rc=$?
tail -20 "$work/demo.log"
check "the demo runs against the installed binaries" test "$demo_rc" -eq 0

# --- 5. purge -------------------------------------------------------------
step "purge"
files=$(dpkg -L "${pkgs[@]}" | sort -u)
purge_rc=0
$sudo dpkg --purge "${pkgs[@]}" >"$work/purge.log" 2>&1 || purge_rc=$?
installed=0
check "dpkg --purge succeeds" test "$purge_rc" -eq 0
check "no package is left" bash -c "! dpkg-query -W -f='\${Status}\n' ${pkgs[*]} 2>/dev/null | grep -q installed"
# files and links to files (directories such as /lib, a link under
# usrmerge, are shared)
left=$(while read -r f; do
  if [ -f "$f" ] || { [ -L "$f" ] && [ ! -d "$f" ]; }; then echo "$f"; fi
done <<<"$files")
[ -z "$left" ] || echo "left behind: $left"
check "none of their files is left" test -z "$left"
check "/etc/dyntabled.conf is gone" test ! -e /etc/dyntabled.conf
unmake
check "the machine is as before: no dyntabled user, dyntable group or /run/dyntabled left by the test" \
  bash -c "{ [ $had_user = 1 ] || ! getent passwd dyntabled; } && { [ $had_group = 1 ] || ! getent group dyntable; } && { [ $had_rundir = 1 ] || [ ! -e /run/dyntabled ]; }"
echo "=== package-test: done in $((SECONDS - t0)) s"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
