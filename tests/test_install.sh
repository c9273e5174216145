#!/usr/bin/env bash
# `cmake --install` puts everything in place, and a program builds against
# the installed library through pkg-config alone. Installs under DESTDIR
# (a scratch directory), the way packages are built: nothing outside it.
#   test_install.sh BUILD_DIR
set -u
build=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
pass=0 fail=0
check() { local what=$1; shift; if "$@"; then echo "PASS: $what"; pass=$((pass + 1)); else echo "FAIL: $what"; fail=$((fail + 1)); fi; }

real_prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
prefix=$dir/root$real_prefix
DESTDIR=$dir/root cmake --install "$build" >"$dir/install.log" 2>&1 ||
  { cat "$dir/install.log"; echo "0 passed, 1 failed"; exit 1; }
check "nothing is installed outside DESTDIR" \
  bash -c "! grep -E '^-- (Installing|Up-to-date): ' '$dir/install.log' | grep -vq ': $dir/root/'"
libdir=$(find "$prefix" -name libdyntable.so.0 -printf '%h\n' | head -1)
for f in sbin/dyntabled bin/dyntablectl include/dyntable.h include/dyntable_libevent.h \
         include/dyntable_poll.h lib/systemd/system/dyntabled.service \
         lib/systemd/system/dyntabled.socket lib/systemd/user/dyntabled.service \
         lib/systemd/user/dyntabled.socket lib/sysusers.d/dyntabled.conf \
         lib/tmpfiles.d/dyntabled.conf share/doc/dyntable/README.md \
         share/doc/dyntable/PROTOCOL.md; do
  check "installs $f" test -e "$prefix/$f"
done
check "installs libdyntable.so.0 and the static library" \
  test -n "$libdir" -a -e "$libdir/libdyntable.a" -a -e "$libdir/pkgconfig/dyntable.pc"
check "the unit runs the installed daemon" \
  grep -q "^ExecStart=$real_prefix/sbin/dyntabled$" "$prefix/lib/systemd/system/dyntabled.service"

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
export PKG_CONFIG_PATH=$libdir/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dir/root
# A sanitized library needs its runtime in the program too.
san=""
grep -q '^DYNTABLE_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" &&
  san="-fsanitize=address,undefined"
check "a program compiles with pkg-config --cflags --libs dyntable" \
  cc -Wall -Werror $san -o "$dir/hello" "$dir/hello.c" $(pkg-config --cflags --libs dyntable)
check "and runs against the installed library" \
  env LD_LIBRARY_PATH="$libdir" "$dir/hello"
check "the shared library exports only dyntable_ symbols" \
  bash -c "nm -D --defined-only '$libdir/libdyntable.so.0' | awk '{print \$3}' | grep -v '^dyntable_' | grep -qv '^\$' && exit 1 || exit 0"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
