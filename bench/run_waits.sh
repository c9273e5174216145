#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/run_waits.sh: the shared waits' benchmark, one command, markdown out.
#
#   bench/run_waits.sh [--no-build] [--rounds N] [--waiters LIST]
#
# Builds dyntabled and bench/wait_latency in build-bench (Release; the
# same tree bench/run.sh uses), then runs wait_latency under
# tests/e2e/harness.sh: dynalite with createTableMs=1000 behind the
# counting proxy, the daemon with its defaults (loopback: polls from 50 ms,
# backing off x1.5 to 100 ms) at log level info. Prints the machine, the
# latency from ACTIVE to the answer (median, p90) and the DescribeTable
# calls for 1, 10, 100 and 1000 waiters on one table. About 30 s.
# DYNTABLE_BENCH_DIR=DIR builds (or, with --no-build, looks) there instead.
# Needs what the e2e tests need (Node.js, npm ci --prefix tests/tools).
set -u

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd) || exit 1
bdir=${DYNTABLE_BENCH_DIR:-$src/build-bench}
build=1
args=()
while [ $# -gt 0 ]; do
	case $1 in
	--no-build) build=0 ;;
	--rounds | --waiters) args+=("$1" "${2:?}"); shift ;;
	-h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench/run_waits.sh: unknown argument: $1" >&2; exit 2 ;;
	esac
	shift
done

if [ "$build" = 1 ]; then
	cmake -S "$src" -B "$bdir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
		-DDYNTABLE_TESTS=OFF >/dev/null || exit 1
	cmake --build "$bdir" --target dyntabled wait_latency >/dev/null ||
		exit 1
fi

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo "## Shared waits ($(date -u +%Y-%m-%d))"
echo
echo "Machine: $(nproc) CPUs, ${cpu:-unknown CPU}; load average" \
	"$(cut -d' ' -f1-3 /proc/loadavg) at the start."
echo
DYNTABLE_TEST_CREATE_MS=1000 \
	DYNTABLE_TEST_WRAPPER="bash $src/tests/e2e/daemon_args.sh --log-level info --" \
	bash "$src/tests/e2e/harness.sh" "$bdir/daemon/dyntabled" -- \
	"$bdir/bench/wait_latency" --create-ms 1000 "${args[@]}"
