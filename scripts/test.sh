#!/usr/bin/env bash
# Installs, builds and runs every test: the normal build, then the same
# suite built with ASan and UBSan. Exit status 0 only if all pass.
set -euo pipefail
cd "$(dirname "$0")/.."

DYNTABLE_SETUP_TEST=1 scripts/setup-debian.sh
jobs=$(nproc)

run_suite() { # build-dir, extra cmake args...
  local dir=$1; shift
  echo "=== $dir: configure and build"
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
  echo "=== $dir: ctest"
  ctest --test-dir "$dir" --output-on-failure -j "$jobs"
}

run_suite build-test
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite build-asan -DDYNTABLE_SANITIZE=ON
echo "all test suites passed"
