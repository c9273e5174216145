#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/run_pools.sh: an empty table per test (issue 15), one command,
# markdown out.
#
#   bench/run_pools.sh [--no-build] [--rounds N] [--items N]
#
# Builds dyntabled and bench/pool_bench in build-bench (Release; the same
# tree bench/run.sh uses), then runs pool_bench under tests/e2e/harness.sh
# with dynalite keeping new tables CREATING for 3 s (createTableMs 3000).
# pool_bench starts its own daemon straight at dynalite and prints, in one
# run: the time to get an empty ACTIVE table by create + wait + delete,
# by truncate of 100 items and by lease from a warm pool; truncate's
# items/s against the same deletes sent directly; another client's
# describe_table latency idle and during a truncate. About a minute.
# DYNTABLE_BENCH_DIR=DIR builds (or, with --no-build, looks) there instead.
set -u

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd) || exit 1
bdir=${DYNTABLE_BENCH_DIR:-$src/build-bench}
build=1
args=()
while [ $# -gt 0 ]; do
	case $1 in
	--no-build) build=0 ;;
	--rounds | --items) args+=("$1" "${2:?}"); shift ;;
	-h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench/run_pools.sh: unknown argument: $1" >&2; exit 2 ;;
	esac
	shift
done

if [ "$build" = 1 ]; then
	cmake -S "$src" -B "$bdir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
		-DDYNTABLE_TESTS=OFF >/dev/null || exit 1
	cmake --build "$bdir" --target dyntabled pool_bench >/dev/null ||
		exit 1
fi

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo "## An empty table per test ($(date -u +%Y-%m-%d))"
echo
echo "Machine: $(nproc) CPUs, ${cpu:-unknown CPU}; load average" \
	"$(cut -d' ' -f1-3 /proc/loadavg) at the start."
echo
DYNTABLE_TEST_CREATE_MS=3000 \
	bash "$src/tests/e2e/harness.sh" "$bdir/daemon/dyntabled" -- \
	"$bdir/bench/pool_bench" "$bdir/daemon/dyntabled" "${args[@]}"
