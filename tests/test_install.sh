#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The tree installs anywhere: `cmake --install --prefix P` into a scratch
# prefix gives a pkg-config file that a program builds against with
# pkg-config alone, a dyntablectl that finds its library without
# LD_LIBRARY_PATH ($ORIGIN RPATH), units that run P's daemon, and tools
# that still work once the whole prefix is moved elsewhere. Then a DESTDIR
# install, the way packages are built: nothing outside DESTDIR.
#   test_install.sh BUILD_DIR
set -u
build=$1
dir=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait; rm -rf "$dir"; }
trap cleanup EXIT
pass=0 fail=0
check() { local what=$1; shift; if "$@"; then echo "PASS: $what"; pass=$((pass + 1)); else echo "FAIL: $what"; fail=$((fail + 1)); fi; }
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
unset LD_LIBRARY_PATH PKG_CONFIG_SYSROOT_DIR

prefix=$dir/prefix
cmake --install "$build" --prefix "$prefix" >"$dir/install.log" 2>&1 ||
  { cat "$dir/install.log"; echo "0 passed, 1 failed"; exit 1; }
check "nothing is installed outside the prefix" \
  bash -c "! grep -E '^-- (Installing|Up-to-date): ' '$dir/install.log' | grep -vq ': $prefix/'"
libdir=$(find "$prefix" -name libdyntable.so.0 -printf '%h\n' | head -1)
for f in sbin/dyntabled bin/dyntablectl include/dyntable.h include/dyntable_libevent.h \
         include/dyntable_poll.h lib/systemd/system/dyntabled.service \
         lib/systemd/system/dyntabled.socket lib/systemd/user/dyntabled.service \
         lib/systemd/user/dyntabled.socket lib/sysusers.d/dyntabled.conf \
         lib/tmpfiles.d/dyntabled.conf share/doc/dyntable/README.md \
         share/doc/dyntable/PROTOCOL.md share/doc/dyntable/CHANGELOG.md \
         share/doc/dyntable/APPLY.md share/doc/dyntable/CREDENTIALS.md \
         share/man/man8/dyntabled.8 share/man/man1/dyntablectl.1 \
         share/man/man5/dyntabled.conf.5 share/man/man3/libdyntable.3 \
         share/bash-completion/completions/dyntablectl \
         share/zsh/site-functions/_dyntablectl \
         share/fish/vendor_completions.d/dyntablectl.fish; do
  check "installs $f" test -e "$prefix/$f"
done
check "installs libdyntable.so.0 and the static library" \
  test -n "$libdir" -a -e "$libdir/libdyntable.a" -a -e "$libdir/pkgconfig/dyntable.pc"
check "the system unit runs the daemon of this prefix" \
  grep -qx "ExecStart=$prefix/sbin/dyntabled" "$prefix/lib/systemd/system/dyntabled.service"
check "the user unit runs the daemon of this prefix" \
  grep -qx "ExecStart=$prefix/sbin/dyntabled" "$prefix/lib/systemd/user/dyntabled.service"
check "no installed file names the build or source tree" \
  bash -c "! grep -rlI -e '$build' -e '$(cd "$(dirname "$0")/.." && pwd)' '$prefix' --exclude='*.a'"

cat >"$dir/hello.c" <<'C'
#include <dyntable.h>
#include <stdio.h>
int main(void)
{
	dyntable_ctx *c = dyntable_connect("/nonexistent/dyntable.sock");
	int rc = dyntable_errcode(c) == DYNTABLE_ERR_IO ? 0 : 1;
	printf("%s: %s\n", dyntable_version(), dyntable_errstr(c));
	dyntable_free(c);
	return rc;
}
C
# A sanitized library needs its runtime in the program too.
san=""
grep -q '^DYNTABLE_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" &&
  san="-fsanitize=address,undefined"
# pkg-config alone: the .pc file is found by its path, the rest follows.
pc() { PKG_CONFIG_PATH=$1/pkgconfig pkg-config "${@:2}"; }
build_hello() { # libdir: compile, link and run against that installation
  local out=$dir/hello.$RANDOM
  cc -Wall -Werror $san -o "$out" "$dir/hello.c" $(pc "$1" --cflags --libs dyntable) &&
    LD_LIBRARY_PATH=$(pc "$1" --variable=libdir dyntable) "$out" >"$dir/hello.out" &&
    grep -q "^$version: " "$dir/hello.out"
}
check "dyntable.pc says version $version" test "$(pc "$libdir" --modversion dyntable)" = "$version"
check "a program builds with pkg-config --cflags --libs dyntable and runs" build_hello "$libdir"
check "the shared library exports only dyntable_ symbols" \
  bash -c "nm -D --defined-only '$libdir/libdyntable.so.0' | awk '{print \$3}' | grep -v '^dyntable_' | grep -qv '^\$' && exit 1 || exit 0"
check "installed dyntabled --version says $version" \
  test "$("$prefix/sbin/dyntabled" --version)" = "dyntabled $version"
# the libdyntable.so.0 the dynamic loader picks for dyntablectl
ctl_lib() { ldd "$prefix/bin/dyntablectl" | sed -n 's/.*libdyntable\.so\.0 => \(.*\) (.*/\1/p'; }
check "installed dyntablectl finds the installed libdyntable (no LD_LIBRARY_PATH)" \
  test "$(readlink -f "$(ctl_lib)")" = "$(readlink -f "$libdir/libdyntable.so.0")"
check "installed dyntablectl --version runs" \
  bash -c "'$prefix/bin/dyntablectl' --version | grep -qx 'dyntablectl $version (libdyntable $version)'"

# The installed tools talk to each other (status needs no DynamoDB call;
# the test runs as root or as the daemon's user, both admins).
sock=$dir/d.sock
AWS_ACCESS_KEY_ID=AKIDINSTALLTEST AWS_SECRET_ACCESS_KEY=install-test-secret \
  "$prefix/sbin/dyntabled" --socket "$sock" --config /dev/null \
  --endpoint http://127.0.0.1:9 --region us-east-1 2>"$dir/daemon.log" &
pids+=($!)
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
check "installed dyntablectl status reaches the installed dyntabled" \
  bash -c "'$prefix/bin/dyntablectl' --socket '$sock' status | grep -q 'dyntabled $version'"

# Relocated: the whole prefix moved, nothing rebuilt.
mv "$prefix" "$dir/moved"
moved_lib=${libdir/#$prefix/$dir/moved}
check "after moving the prefix, a program still builds and runs through its dyntable.pc" \
  build_hello "$moved_lib"
check "after moving the prefix, dyntablectl --version still runs" \
  "$dir/moved/bin/dyntablectl" --version

# DESTDIR, as packages install: everything under it, paths of the prefix.
real_prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
DESTDIR=$dir/root cmake --install "$build" >"$dir/destdir.log" 2>&1
check "DESTDIR install: nothing is installed outside DESTDIR" \
  bash -c "! grep -E '^-- (Installing|Up-to-date): ' '$dir/destdir.log' | grep -vq ': $dir/root/'"
check "DESTDIR install: the unit runs $real_prefix/sbin/dyntabled" \
  grep -qx "ExecStart=$real_prefix/sbin/dyntabled" "$dir/root$real_prefix/lib/systemd/system/dyntabled.service"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
