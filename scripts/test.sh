#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs, builds and runs every test: the normal build, static analysis
# of it (scripts/lint.sh), its end-to-end tests again under valgrind, the
# same suite built with ASan and UBSan, a bounded fuzzing run
# (tests/fuzz/run.sh), and the Debian packages built, linted, installed,
# demonstrated and purged (scripts/package-test.sh). Exit status 0 only if
# all pass.
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
# Static analysis (cppcheck, clang-tidy) of every C file, on the plain
# build's compile_commands.json; any finding fails the run.
echo "=== build-test: scripts/lint.sh"
LINT_JOBS=$jobs scripts/lint.sh build-test
# The end-to-end suite once more, the plain build's daemon under valgrind
# memcheck: an error or a definite leak makes it exit 99, which harness.sh
# reports as a failure.
echo "=== build-test: e2e under valgrind"
DYNTABLE_TEST_WRAPPER="valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite" \
  ctest --test-dir build-test -L e2e --output-on-failure -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite build-asan -DDYNTABLE_SANITIZE=ON
# Each libFuzzer target (clang, ASan, UBSan) for a bounded time; a crash
# fails the run. DYNTABLE_FUZZ_SECONDS per target, 60 by default.
echo "=== fuzzing: tests/fuzz/run.sh"
tests/fuzz/run.sh "${DYNTABLE_FUZZ_SECONDS:-60}"
# The packages: dpkg-buildpackage, lintian (no error), install, the demo on
# the installed binaries, purge; nothing is left on the machine.
echo "=== packages: scripts/package-test.sh"
scripts/package-test.sh
echo "all test suites passed"
