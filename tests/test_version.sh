#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The version lives in CMakeLists.txt (project VERSION). What derives from
# it (dyntabled's DYNTABLED_VERSION, dyntable.pc) is checked through the
# built programs; what cannot derive from it (the public header's macros,
# the Python and Node.js packages, CHANGELOG.md, debian/changelog) is
# checked against it here, so that a release bumps them together.
#   test_version.sh SOURCE_DIR BUILD_DIR
set -u
src=$1 build=$2
pass=0 fail=0
check() { # what, expected, actual
  if [ "$2" = "$3" ]; then echo "PASS: $1 ($3)"; pass=$((pass + 1))
  else echo "FAIL: $1: '$3', want '$2'"; fail=$((fail + 1)); fi
}
v=$(sed -n 's/^project(dyntable VERSION \([0-9.]*\) .*/\1/p' "$src/CMakeLists.txt")
[ -n "$v" ] || { echo "FAIL: no project(dyntable VERSION ...) in CMakeLists.txt"; exit 1; }
IFS=. read -r major minor patch <<<"$v"
h=$src/client/lib/dyntable.h
macro() { sed -n "s/^#define $1 \"*\([^\"]*\)\"*\$/\1/p" "$h"; }

check "dyntable.h DYNTABLE_VERSION_STRING" "$v" "$(macro DYNTABLE_VERSION_STRING)"
check "dyntable.h MAJOR.MINOR.PATCH" "$v" \
  "$(macro DYNTABLE_VERSION_MAJOR).$(macro DYNTABLE_VERSION_MINOR).$(macro DYNTABLE_VERSION_PATCH)"
check "the built library's SONAME (0 for every 0.x)" \
  "libdyntable.so.$([ "$major" = 0 ] && echo 0 || echo "$major")" \
  "$(objdump -p "$build/client/libdyntable.so" | awk '/SONAME/ {print $2}')"
check "dyntabled --version" "dyntabled $v" "$("$build/daemon/dyntabled" --version)"
check "dyntablectl --version" "dyntablectl $v (libdyntable $v)" \
  "$("$build/client/dyntablectl" --version)"
check "dyntable.pc Version" "Version: $v" "$(grep '^Version:' "$build/client/dyntable.pc")"
check "client/python pyproject.toml" "$v" \
  "$(sed -n 's/^version = "\(.*\)"$/\1/p' "$src/client/python/pyproject.toml")"
check "client/python dyntable.__version__" "$v" \
  "$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$src/client/python/dyntable/__init__.py")"
check "client/node package.json" "$v" \
  "$(jq -r .version "$src/client/node/package.json")"
check "client/node package-lock.json" "$v" \
  "$(jq -r '.version + "/" + .packages[""].version' "$src/client/node/package-lock.json" | sed "s|^$v/$v\$|$v|")"
# CHANGELOG.md: the latest release is this version, and the current
# protocol version (proto/dtp.h) is named in it.
check "CHANGELOG.md's latest release" "$v" \
  "$(sed -n 's/^## \[\([0-9][0-9.]*\)\].*/\1/p' "$src/CHANGELOG.md" | head -1)"
proto=$(sed -n 's/^#define DTP_VERSION_MAJOR \([0-9]*\)/\1/p' "$src/proto/dtp.h").$(sed -n 's/^#define DTP_VERSION_MINOR \([0-9]*\)/\1/p' "$src/proto/dtp.h")
check "CHANGELOG.md names protocol $proto" 1 \
  "$(grep -c "Protocol $proto\b" "$src/CHANGELOG.md" | sed 's/^[1-9][0-9]*$/1/')"
if [ -e "$src/debian/changelog" ]; then
  check "debian/changelog's upstream version" "$v" \
    "$(sed -n '1s/^dyntable (\([^-)]*\)-[^)]*).*/\1/p' "$src/debian/changelog")"
else
  echo "FAIL: debian/changelog is missing"; fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
