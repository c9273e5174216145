#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the libFuzzer targets (tests/fuzz, DYNTABLE_FUZZ=ON) with clang in
# their own build directory and runs each for SECONDS, one after the other.
# Exits 0 only if no target crashed, leaked, hung or tripped ASan/UBSan.
#
#   tests/fuzz/run.sh [SECONDS [TARGET...]]     (default: 60, all targets)
#
# Each target starts from its seed corpus (tests/fuzz/corpus/TARGET, never
# modified) plus what earlier runs found (BUILD/corpus/TARGET). An input
# that fails is saved as BUILD/artifacts/TARGET-crash-... and the command
# that replays it is printed; copy it into the seed corpus once fixed, so
# that unit.fuzz_replay_* keeps checking it.
#
# Environment: DYNTABLE_FUZZ_BUILD (default: build-fuzz at the top of the
# tree), CC (default: clang).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${DYNTABLE_FUZZ_BUILD:-$root/build-fuzz}
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(fuzz_request fuzz_json fuzz_result)
cc=${CC:-clang}

say() { printf 'fuzz: %s\n' "$*" >&2; }

case $secs in
'' | *[!0-9]*) say "usage: run.sh [SECONDS [TARGET...]]"; exit 2 ;;
esac
if ! command -v "$cc" >/dev/null 2>&1; then
	say "$cc not found; install clang (Debian: apt-get install clang libclang-rt-14-dev)"
	exit 1
fi
# libFuzzer ships with clang's runtime, a separate package on Debian.
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
	'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
	'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
	>"$probe/probe.c"
if ! "$cc" -fsanitize=fuzzer "$probe/probe.c" -o "$probe/probe" 2>"$probe/err"; then
	say "$cc cannot link libFuzzer; install libclang-rt-14-dev (or your clang's runtime):"
	cat "$probe/err" >&2
	exit 1
fi

say "building ${targets[*]} with $cc in $build"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_C_COMPILER="$cc" \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo -DDYNTABLE_FUZZ=ON \
	-DDYNTABLE_TESTS=OFF >/dev/null
cmake --build "$build" --target "${targets[@]}"

mkdir -p "$build/artifacts"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=()
for t in "${targets[@]}"; do
	seeds=$here/corpus/$t
	work=$build/corpus/$t
	log=$build/$t.log
	mkdir -p "$work"
	dict=()
	[ -f "$here/$t.dict" ] && dict=(-dict="$here/$t.dict")
	say "$t: ${secs}s (log: $log)"
	# New inputs go to the first directory only: the seeds stay as they are.
	if "$build/tests/fuzz/$t" -max_total_time="$secs" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$build/artifacts/$t-" "${dict[@]}" \
		"$work" "$seeds" >"$log" 2>&1; then
		grep -E '^#[0-9]+.*DONE|^stat::number_of_executed_units' "$log" |
			sed "s/^/fuzz: $t: /" >&2 || true
	else
		say "FAIL: $t; the end of its log:"
		tail -n 40 "$log" >&2
		for a in "$build/artifacts/$t-"*; do
			[ -e "$a" ] && say "replay with: $build/tests/fuzz/$t $a"
		done
		failed+=("$t")
	fi
done
if [ ${#failed[@]} -ne 0 ]; then
	say "FAILED: ${failed[*]}"
	exit 1
fi
say "all targets ran ${secs}s without a defect"
