#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/run.sh: dyntabled's benchmarks, one command, one table.
#
#   bench/run.sh [--quick] [--no-build] [--wait-load LOAD] [--wait-max S]
#                [--no-callgrind | --callgrind-only]
#
# Builds the tree in build-bench (CMAKE_BUILD_TYPE=$DYNTABLE_BENCH_BUILD_TYPE,
# default Release), starts on 127.0.0.1 only what it needs (the canned
# DynamoDB endpoint bench/canned_server, dyntabled, dynalite for the CLI
# figure), runs every measurement, prints one markdown table of figures,
# targets and PASS/MISS, and stops everything it started. bench/README.md
# says what each figure means. Takes 4-5 minutes (--quick: about two), of
# which bench/callgrind.sh, the instruction counts, is 1-2.
#
#   --quick         shorter runs (for trying the script, not for figures)
#   --no-build      use the binaries already in build-bench
#   --wait-load L   first wait (at most --wait-max seconds, default 1200)
#                   until the 1-minute load average is below L
#   --no-callgrind  leave out the instruction counts (bench/callgrind.sh)
#   --callgrind-only  only the instruction counts: bench/callgrind.sh
#
# DYNTABLE_BENCH_DAEMON=PATH measures that dyntabled instead of the one
# built (to compare two versions of the daemon with the same tools).
#
# Exit status: 0 when every measurement ran (whatever PASS/MISS says),
# 1 when one failed, 2 on a usage error.
set -u

me=bench/run.sh
say() { printf '%s: %s\n' "$me" "$*" >&2; }

quick=0
build=1
wait_load=
wait_max=1200
callgrind=1
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--no-build) build=0 ;;
	--wait-load) wait_load=${2:?}; shift ;;
	--wait-max) wait_max=${2:?}; shift ;;
	--no-callgrind) callgrind=0 ;;
	--callgrind-only) callgrind=only ;;
	-h | --help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) say "unknown argument: $1"; exit 2 ;;
	esac
	shift
done

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd) || exit 1
if [ "$callgrind" = only ]; then
	cg_args=()
	[ "$quick" = 1 ] && cg_args+=(--quick)
	[ "$build" = 0 ] && cg_args+=(--no-build)
	exec "$src/bench/callgrind.sh" "${cg_args[@]}"
fi
bdir=$src/build-bench
bin=$bdir/bench
daemon_bin=${DYNTABLE_BENCH_DAEMON:-$bdir/daemon/dyntabled}

# Sizes of the runs.
if [ "$quick" = 1 ]; then
	lat_n=1000 lat_rounds=1 tp_rounds=1 tp_secs=1 tp_warm=200 cli_n=50
	aws_n=3
	grow_secs=1
else
	lat_n=3000 lat_rounds=3 tp_rounds=3 tp_secs=2 tp_warm=1000 cli_n=200
	aws_n=10
	grow_secs=2
fi
max_conns=16 # the daemon's --max-connections default, used on both sides

# ---- build -------------------------------------------------------------------
if [ "$build" = 1 ]; then
	say "building in $bdir"
	targets=(dyntablectl canned_server direct dtload rawproto pingpong spawntime rssfloor)
	[ -z "${DYNTABLE_BENCH_DAEMON:-}" ] && targets+=(dyntabled)
	if ! cmake -S "$src" -B "$bdir" -G Ninja \
		-DCMAKE_BUILD_TYPE="${DYNTABLE_BENCH_BUILD_TYPE:-Release}" \
		-DDYNTABLE_TESTS=OFF -DDYNTABLE_BENCH=ON >/dev/null ||
		! cmake --build "$bdir" --target "${targets[@]}" >/dev/null; then
		say "build failed"
		exit 1
	fi
fi
for b in "$daemon_bin" "$bdir/client/dyntablectl" \
	"$bin/canned_server" "$bin/direct" "$bin/dtload" "$bin/rawproto" \
	"$bin/pingpong" "$bin/spawntime" "$bin/rssfloor"; do
	[ -x "$b" ] || { say "missing $b (build first)"; exit 1; }
done

# ---- a quiet machine -----------------------------------------------------------
load1() { cut -d' ' -f1 /proc/loadavg; }
if [ -n "$wait_load" ]; then
	for _ in $(seq $((wait_max / 10 + 1))); do
		awk -v l="$(load1)" -v m="$wait_load" 'BEGIN { exit !(l < m) }' && break
		say "load average $(load1), waiting for < $wait_load"
		sleep 10
	done
fi
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- processes we start, and their end -------------------------------------------
dir=$(mktemp -d /tmp/dyntable-bench.XXXXXX) || exit 1
pids=()
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		for _ in $(seq 50); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'say interrupted; exit 130' INT
trap 'say terminated; exit 143' TERM

# Many connections: the daemon and the probes inherit this.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || ulimit -n 16384 2>/dev/null

# Nothing from this machine's AWS or proxy setup: loopback, test keys.
for v in $(env | sed -n 's/^\(AWS_[A-Z_]*\)=.*/\1/p') http_proxy HTTP_PROXY \
	https_proxy HTTPS_PROXY all_proxy ALL_PROXY DYNTABLE_SOCKET; do
	unset "$v"
done
export NO_PROXY='*' no_proxy='*' AWS_EC2_METADATA_DISABLED=true
export AWS_ACCESS_KEY_ID=AKIDEXAMPLE
AWS_SECRET_ACCESS_KEY="benchsecret$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')"
export AWS_SECRET_ACCESS_KEY
export AWS_CONFIG_FILE=$dir/aws-config AWS_SHARED_CREDENTIALS_FILE=$dir/aws-credentials
region=us-east-1
failed=0
T() { timeout -k 5 "$@"; } # every probe has a time limit

# Starts the canned endpoint; sets cs_port.
start_canned() {
	rm -f "$dir/cs.port"
	"$bin/canned_server" --port-file "$dir/cs.port" --max-seconds 900 \
		2>>"$dir/canned.log" &
	cs_pid=$!
	pids+=("$cs_pid")
	for _ in $(seq 50); do [ -s "$dir/cs.port" ] && break; sleep 0.1; done
	cs_port=$(cat "$dir/cs.port" 2>/dev/null) ||
		{ say "canned_server did not start"; exit 1; }
}

# start_daemon NAME ENDPOINT [ARGS...]: sets daemon_pid and daemon_sock.
start_daemon() {
	local name=$1 endpoint=$2
	shift 2
	daemon_sock=$dir/$name.sock
	env HOME="$dir" "$daemon_bin" --socket "$daemon_sock" \
		--endpoint "$endpoint" --region "$region" --log-level warn \
		--max-clients 4096 --max-connections "$max_conns" "$@" \
		</dev/null 2>>"$dir/$name.log" &
	daemon_pid=$!
	pids+=("$daemon_pid")
	for _ in $(seq 100); do [ -S "$daemon_sock" ] && break; sleep 0.05; done
	[ -S "$daemon_sock" ] || { say "dyntabled ($name) did not start:"; cat "$dir/$name.log" >&2; exit 1; }
}

stop_pid() { # stop_pid PID: SIGTERM, then wait (bounded)
	kill -TERM "$1" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

kv() { # kv LINE KEY: the value of KEY=value in LINE
	sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"
}
calc() { awk "BEGIN { printf \"%.${2:-1}f\", $1 }"; }
median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }'; }
mib() { [ -n "$1" ] && [ "$1" -ge 0 ] 2>/dev/null && calc "$1 / 1024" 1 || echo "?"; }
rss_of() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status" 2>/dev/null; }
verdict() { awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN {
	if (v == "" || v == "?") { print "MISS (no figure)"; exit }
	ok = op == "<" ? v + 0 < t + 0 : op == "<=" ? v + 0 <= t + 0 : v + 0 >= t + 0
	print ok ? "PASS" : "MISS" }'; }
run_probe() { # run_probe SECS CMD...: runs CMD for at most SECS, prints its
	# stdout; a failure is noted and reported
	local out
	if ! out=$(T "$@" 2>>"$dir/probe.log"); then
		say "FAILED: $1: $*"
		tail -n 5 "$dir/probe.log" >&2
		failed=1
	fi
	printf '%s\n' "$out"
}

rows=()
row() { rows+=("| $1 | $2 | $3 | $4 |"); }

start_canned
endpoint=http://127.0.0.1:$cs_port

# ---- 1. latency and throughput: daemon vs direct -------------------------------
say "latency and throughput (daemon vs direct libcurl, canned endpoint)"
start_daemon perf "$endpoint"
perf_pid=$daemon_pid perf_sock=$daemon_sock
d50s='' x50s='' r50s='' d99s='' x99s=''
for _ in $(seq "$lat_rounds"); do
	x=$(run_probe 120 "$bin/direct" --endpoint "$endpoint" --region "$region" \
		--max-connections "$max_conns" --count "$lat_n" --warmup 300 |
		head -n 1)
	d=$(run_probe 120 "$bin/dtload" --socket "$perf_sock" --settle-ms 0 \
		--clients 1 --count "$lat_n" --warmup 300 | sed -n 's/^load //p')
	r=$(run_probe 120 "$bin/rawproto" --socket "$perf_sock" \
		--count "$lat_n" --warmup 300)
	x50s+=" $(kv "$x" p50_us)" d50s+=" $(kv "$d" p50_us)" r50s+=" $(kv "$r" p50_us)"
	x99s+=" $(kv "$x" p99_us)" d99s+=" $(kv "$d" p99_us)"
done
x50=$(median <<<"$x50s") d50=$(median <<<"$d50s") r50=$(median <<<"$r50s")
x99=$(median <<<"$x99s") d99=$(median <<<"$d99s")
added=$(calc "${d50:-0} - ${x50:-0}")
row "Added latency per describe_table, median (p50 through the daemon with libdyntable − p50 direct; ${lat_rounds}×${lat_n} sequential requests)" \
	"**${added} µs** (${d50} vs ${x50} µs)" "< 50 µs" "$(verdict "$added" '<' 50)"
row "… of which the daemon hop (raw protocol client, no libdyntable: p50 − p50 direct)" \
	"$(calc "${r50:-0} - ${x50:-0}") µs (${r50} vs ${x50} µs)" "—" "—"
row "… p99 through the daemon vs direct" "${d99} vs ${x99} µs" "—" "—"
pp=$(run_probe 60 "$bin/pingpong" --count 20000)
row "… the machine's floor: one Unix socket round trip between two processes (64 B ping-pong, p50)" \
	"$(kv "$pp" p50_us) µs" "—" "—"

# Rounds alternate direct and daemon; each round's ratio is kept, and the
# median ratio is the figure (drift in the machine's load cancels out).
for n in 1 16 64 256; do
	pcts='' xrs='' drs='' xcs='' xes='' dcs='' dds='' des=''
	for _ in $(seq "$tp_rounds"); do
		out=$(run_probe $((tp_secs + 90)) "$bin/direct" --endpoint "$endpoint" \
			--region "$region" --max-connections "$max_conns" \
			--endpoint-pid "$cs_pid" --concurrency "$n" \
			--seconds "$tp_secs" --warmup "$tp_warm")
		x=$(head -n 1 <<<"$out")
		xx=$(sed -n 's/^extra //p' <<<"$out")
		out=$(run_probe $((tp_secs + 120)) "$bin/dtload" --socket "$perf_sock" \
			--daemon-pid "$perf_pid" --endpoint-pid "$cs_pid" \
			--settle-ms 0 --clients "$n" --seconds "$tp_secs" \
			--warmup "$tp_warm")
		d=$(sed -n 's/^load //p' <<<"$out")
		dx=$(sed -n 's/^load_extra //p' <<<"$out")
		xr=$(kv "$x" rps) dr=$(kv "$d" rps)
		pcts+=" $(calc "100 * ${dr:-0} / (${xr:-0} + 0.000001)" 0)"
		xrs+=" $xr" drs+=" $dr"
		xcs+=" $(kv "$xx" self_cpu_us)" xes+=" $(kv "$xx" endpoint_cpu_us)"
		dcs+=" $(kv "$dx" self_cpu_us)" dds+=" $(kv "$dx" daemon_cpu_us)"
		des+=" $(kv "$dx" endpoint_cpu_us)"
	done
	pct=$(median <<<"$pcts")
	target="—" v="—"
	if [ "$n" = 64 ]; then target="≥ 80 % of direct"; v=$(verdict "$pct" '>=' 80); fi
	row "Throughput, $n client(s): through the daemon vs direct (median of ${tp_rounds} paired ${tp_secs} s rounds: ratio; req/s)" \
		"**${pct} %** ($(median <<<"$drs") vs $(median <<<"$xrs"); rounds: $(sed 's/^ //; s/ /, /g' <<<"$pcts") %)" \
		"$target" "$v"
	if [ "$n" = 64 ]; then
		xc=$(median <<<"$xcs") xe=$(median <<<"$xes")
		dc=$(median <<<"$dcs") dd=$(median <<<"$dds") de=$(median <<<"$des")
		cpu_row="direct: client ${xc} + endpoint ${xe} = $(calc "${xc:-0} + ${xe:-0}" 0) µs;"
		cpu_row+=" daemon: client ${dc} + dyntabled **${dd}** + endpoint ${de} = $(calc "${dc:-0} + ${dd:-0} + ${de:-0}" 0) µs"
	fi
done
row "CPU time per request at 64 clients (medians; all $(nproc) CPUs are shared by the processes)" \
	"${cpu_row:-?}" "—" "—"
stop_pid "$perf_pid"

# ---- 2. memory and growth (a fresh daemon for each figure) ---------------------------
say "memory and growth"
# Pollers back off to 2 s, as they do against AWS (the loopback default of
# 100 ms would make 1,000 pollers 10,000 DescribeTable calls a second).
mem_daemon() {
	start_daemon mem "$endpoint" --poll-max-ms 2000 --wait-max 3600
	mem_pid=$daemon_pid mem_sock=$daemon_sock
}
mem2() { echo "$(mib "$1") MiB ($(mib "$2") private)"; } # mem2 RSS ANON
rss_anon_of() { sed -n 's/^RssAnon:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status" 2>/dev/null; }

mem_daemon
"$bin/rssfloor" >/dev/null 2>>"$dir/probe.log" &
floor_pid=$!
pids+=("$floor_pid")
sleep 0.5
rss_idle=$(rss_of "$mem_pid") rss_floor=$(rss_of "$floor_pid")
row "Daemon RSS, idle (VmRSS after start-up; private = RssAnon)" \
	"**$(mem2 "$rss_idle" "$(rss_anon_of "$mem_pid")")**" "≤ 8 MiB" \
	"$(verdict "$(mib "$rss_idle")" '<=' 8)"
row "… the floor: \`rssfloor\`, the daemon's libraries initialised and nothing else (VmRSS; the daemon's own share: idle − floor)" \
	"$(mem2 "$rss_floor" "$(rss_anon_of "$floor_pid")"); daemon's share $(mib "$((${rss_idle:-0} - ${rss_floor:-0}))") MiB" "—" "—"
stop_pid "$floor_pid"
out=$(run_probe 120 "$bin/dtload" --socket "$mem_sock" --daemon-pid "$mem_pid" \
	--idle-clients 1000)
s=$(sed -n 's/^setup //p' <<<"$out")
rss_1k=$(kv "$s" rss_kib)
row "Daemon RSS, 1,000 connected idle clients (after hello)" \
	"**$(mem2 "$rss_1k" "$(kv "$s" rss_anon_kib)")**" "≤ 32 MiB" \
	"$(verdict "$(mib "$rss_1k")" '<=' 32)"
stop_pid "$mem_pid"

grow=''
for n in 10 100 1000; do
	mem_daemon
	out=$(run_probe $((grow_secs + 120)) "$bin/dtload" --socket "$mem_sock" \
		--daemon-pid "$mem_pid" --settle-ms 0 --clients "$n" \
		--seconds "$grow_secs" --warmup "$((n * 2))")
	stop_pid "$mem_pid"
	d=$(sed -n 's/^load //p' <<<"$out")
	dx=$(sed -n 's/^load_extra //p' <<<"$out")
	grow+="${grow:+ → }$n: $(kv "$d" rps) req/s, $(mem2 "$(kv "$dx" rss_kib)" "$(kv "$dx" rss_anon_kib)")"
done
row "Growth ×10 in clients, each with one describe_table in flight (req/s; RSS at the end)" \
	"$grow" "—" "—"

grow=''
for w in 100:10 1000:100 10000:1000; do
	mem_daemon
	out=$(run_probe $((grow_secs + 180)) "$bin/dtload" --socket "$mem_sock" \
		--daemon-pid "$mem_pid" --waiters "${w%:*}" --tables "${w#*:}" \
		--clients 16 --seconds "$grow_secs" --warmup 500)
	stop_pid "$mem_pid"
	s=$(sed -n 's/^setup //p' <<<"$out")
	d=$(sed -n 's/^load //p' <<<"$out")
	if [ "${w%:*}" = 10000 ]; then
		rss_10k=$(kv "$s" rss_kib) anon_10k=$(kv "$s" rss_anon_kib)
	fi
	grow+="${grow:+ → }${w%:*} on ${w#*:}: $(mem2 "$(kv "$s" rss_kib)" "$(kv "$s" rss_anon_kib)"), $(kv "$d" rps) req/s"
done
row "Growth ×10 in waiters on tables (RSS with the waiters in place; describe_table req/s of 16 more clients meanwhile)" \
	"$grow" "—" "—"
row "Daemon RSS, 10,000 waiters (on 1,000 missing tables, 100 connections)" \
	"**$(mem2 "${rss_10k:-}" "${anon_10k:-}")**" "—" "—"

# ---- 3. CLI round trip against dynalite -----------------------------------------------
aws_bin=$(command -v aws 2>/dev/null)
# A pyenv shim is a shell script in front of the real aws: time the real one.
if [ -n "$aws_bin" ] && command -v pyenv >/dev/null 2>&1 && pyenv which aws >/dev/null 2>&1; then
	aws_bin=$(pyenv which aws)
fi
dynalite_dir=$src/tests/tools/node_modules/dynalite
if [ -z "$aws_bin" ] || ! command -v node >/dev/null 2>&1 || [ ! -d "$dynalite_dir" ]; then
	row "CLI round trip: dyntablectl exists vs aws dynamodb describe-table" \
		"not measured (needs aws, node and tests/tools dynalite)" "≥ 100×" "—"
else
	say "CLI round trip (dynalite)"
	node -e "require('$dynalite_dir')({ createTableMs: 0, deleteTableMs: 0 })
		.listen(0, '127.0.0.1', function () {
			require('fs').writeFileSync('$dir/dl.port.tmp', String(this.address().port))
			require('fs').renameSync('$dir/dl.port.tmp', '$dir/dl.port') })" \
		</dev/null >>"$dir/dynalite.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do [ -s "$dir/dl.port" ] && break; sleep 0.1; done
	dl_port=$(cat "$dir/dl.port" 2>/dev/null)
	start_daemon cli "http://127.0.0.1:${dl_port:-1}"
	ctl=$bdir/client/dyntablectl
	if [ -z "$dl_port" ] || ! T 30 "$ctl" --socket "$daemon_sock" create bench-cli \
		--pk pk:S --sk sk:N --wait >/dev/null 2>>"$dir/probe.log"; then
		say "FAILED: dynalite or create-table"
		failed=1
	fi
	c=$(run_probe 300 "$bin/spawntime" --runs "$cli_n" --warmup 5 -- \
		"$ctl" --socket "$daemon_sock" exists bench-cli)
	a=$(run_probe 600 "$bin/spawntime" --runs "$aws_n" --warmup 1 -- \
		"$aws_bin" dynamodb describe-table --table-name bench-cli \
		--endpoint-url "http://127.0.0.1:$dl_port" --region "$region" \
		--output json)
	cm=$(kv "$c" p50_us) am=$(kv "$a" p50_us)
	ratio=$(calc "${am:-0} / (${cm:-0} + 0.000001)" 0)
	row "CLI round trip: \`dyntablectl exists\` vs \`aws dynamodb describe-table\` (dynalite; median of ${cli_n} / ${aws_n} runs)" \
		"**${ratio}× faster** ($(calc "${cm:-0} / 1000" 2) vs $(calc "${am:-0} / 1000" 0) ms)" \
		"≥ 100×" "$(verdict "$ratio" '>=' 100)"
	stop_pid "$daemon_pid"
fi

# ---- 4. instructions per request (callgrind) -------------------------------------------
if [ "$callgrind" = 1 ]; then
	if ! command -v valgrind >/dev/null 2>&1; then
		row "Instructions per describe_table (callgrind), dyntabled ÷ \`direct\`" \
			"not measured (needs valgrind)" "< 1.0×" "—"
	else
		say "instructions per request (callgrind)"
		cg_args=(--no-build --rows "$dir/cg.rows")
		[ "$quick" = 1 ] && cg_args+=(--quick)
		if ! T 900 "$src/bench/callgrind.sh" "${cg_args[@]}" >"$dir/cg.md"; then
			say "FAILED: bench/callgrind.sh"
			failed=1
		fi
		[ -s "$dir/cg.rows" ] && mapfile -t -O "${#rows[@]}" rows <"$dir/cg.rows"
	fi
fi

# ---- the table ----------------------------------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo
echo "## dyntabled benchmarks"
echo
echo "Machine: $(nproc) CPUs, ${cpu:-unknown CPU}, Linux $(uname -r)," \
	"$(awk '/MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo)."
echo "Load average at start: $load_start; at end: $(cut -d' ' -f1-3 /proc/loadavg)." \
	"Build: ${DYNTABLE_BENCH_BUILD_TYPE:-Release}. $(date -u +%Y-%m-%dT%H:%MZ)."
echo "Endpoint: bench/canned_server on 127.0.0.1 (a 2 KB DescribeTable reply," \
	"keep-alive). Both sides use at most" \
	"$max_conns connections to it (the daemon's --max-connections default)."
echo "Daemon side: N libdyntable connections, each with one describe_table in flight;" \
	"direct side: N concurrent curl transfers on one multi handle."
echo
echo "| figure | measured | target | verdict |"
echo "|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
if [ -s "$dir/cg.md" ]; then
	sed 's/^## /### /; s/^### Where/#### Where/' "$dir/cg.md"
	echo
fi
if [ "$failed" != 0 ]; then
	say "some measurements failed; see above"
	exit 1
fi
exit 0
