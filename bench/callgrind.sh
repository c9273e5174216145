#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/callgrind.sh: instructions per describe_table, counted by valgrind's
# callgrind: a figure that does not move with the machine's load.
#
#   bench/callgrind.sh [--no-build] [--quick] [--repeat K] [--top K]
#                      [--daemon PATH]... [--keep DIR] [--rows FILE]
#
# Against bench/canned_server (run natively), counts the instructions
# executed (callgrind's Ir, all threads) by
#   direct       the baseline: libcurl straight to the endpoint,
#   dyntabled    the daemon, for requests from one libdyntable client,
#   libdyntable  that client's process (bench/dtload, one connection),
# each run twice, with N and M sequential describe_table requests
# (default 1,200 and 200). The figure is (count(N) - count(M)) / (N - M):
# start-up, the first requests and shut-down are in both runs and cancel
# out, leaving the steady state. Prints markdown: the three figures, the
# ratios to direct, and where the instructions go per request (top named
# functions by inclusive cost, the malloc family, each library's own
# share), all as differences of the two runs. About a minute per round.
#
#   --no-build     use the binaries already in build-bench
#   --quick        400 - 100 requests (a trial of the script)
#   --repeat K     K rounds (default 1); each figure's spread over the
#                  rounds is shown (the counts are meant to agree in 1 %)
#   --top K        functions listed per program (default 12)
#   --daemon PATH  measure this dyntabled; repeat the option to compare
#                  several (e.g. an old and a new build) in one run.
#                  Default: $DYNTABLE_BENCH_DAEMON, else build-bench's.
#   --keep DIR     keep the callgrind.out files in DIR (callgrind_annotate)
#   --rows FILE    also write bench/run.sh's table rows to FILE
#
# Exit status: 0 when every run completed, 1 when one failed, 2 on a usage
# error. Needs valgrind (callgrind, callgrind_annotate).
set -u

me=bench/callgrind.sh
say() { printf '%s: %s\n' "$me" "$*" >&2; }

build=1
n_big=1200 n_small=200
repeat=1 top=12 keep='' rows_file=''
daemons=()
while [ $# -gt 0 ]; do
	case $1 in
	--no-build) build=0 ;;
	--quick) n_big=400 n_small=100 ;;
	--repeat) repeat=${2:?}; shift ;;
	--top) top=${2:?}; shift ;;
	--daemon) daemons+=("${2:?}"); shift ;;
	--keep) keep=${2:?}; shift ;;
	--rows) rows_file=${2:?}; shift ;;
	-h | --help) sed -n '2,33p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) say "unknown argument: $1"; exit 2 ;;
	esac
	shift
done
case $repeat$top in *[!0-9]*) say "--repeat and --top take a number"; exit 2 ;; esac
[ "$repeat" -ge 1 ] || { say "--repeat must be at least 1"; exit 2; }

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd) || exit 1
bdir=$src/build-bench
bin=$bdir/bench
if [ "${#daemons[@]}" = 0 ]; then
	daemons=("${DYNTABLE_BENCH_DAEMON:-$bdir/daemon/dyntabled}")
fi
region=us-east-1
max_conns=16 # the daemon's --max-connections default, used on both sides
per=$((n_big - n_small))

for t in valgrind callgrind_annotate; do
	command -v "$t" >/dev/null 2>&1 || { say "needs $t (apt-get install valgrind)"; exit 1; }
done

# ---- build -------------------------------------------------------------------
if [ "$build" = 1 ]; then
	say "building in $bdir"
	targets=(canned_server direct dtload)
	for d in "${daemons[@]}"; do
		[ "$d" = "$bdir/daemon/dyntabled" ] && targets+=(dyntabled)
	done
	if ! cmake -S "$src" -B "$bdir" -G Ninja \
		-DCMAKE_BUILD_TYPE="${DYNTABLE_BENCH_BUILD_TYPE:-Release}" \
		-DDYNTABLE_TESTS=OFF -DDYNTABLE_BENCH=ON >/dev/null ||
		! cmake --build "$bdir" --target "${targets[@]}" >/dev/null; then
		say "build failed"
		exit 1
	fi
fi
for b in "${daemons[@]}" "$bin/canned_server" "$bin/direct" "$bin/dtload"; do
	[ -x "$b" ] || { say "missing $b (build first)"; exit 1; }
done

# ---- processes we start, and their end -------------------------------------------
dir=$(mktemp -d /tmp/dyntable-callgrind.XXXXXX) || exit 1
pids=()
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		for _ in $(seq 100); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	if [ -n "$keep" ]; then
		mkdir -p "$keep" && cp "$dir"/*.out "$keep"/ 2>/dev/null &&
			say "callgrind files kept in $keep"
	fi
	rm -rf "$dir"
}
forget() { # forget PID: a process that ended, no longer ours to stop
	local p keep=()
	for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	pids=("${keep[@]}")
}
trap cleanup EXIT
trap 'say interrupted; exit 130' INT
trap 'say terminated; exit 143' TERM

# Nothing from this machine's AWS or proxy setup: loopback, test keys.
for v in $(env | sed -n 's/^\(AWS_[A-Z_]*\)=.*/\1/p') http_proxy HTTP_PROXY \
	https_proxy HTTPS_PROXY all_proxy ALL_PROXY DYNTABLE_SOCKET; do
	unset "$v"
done
export NO_PROXY='*' no_proxy='*' AWS_EC2_METADATA_DISABLED=true
export AWS_ACCESS_KEY_ID=AKIDEXAMPLE
# Fixed length, so that every run signs strings of the same size.
AWS_SECRET_ACCESS_KEY="benchsecret$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')"
export AWS_SECRET_ACCESS_KEY
export AWS_CONFIG_FILE=$dir/aws-config AWS_SHARED_CREDENTIALS_FILE=$dir/aws-credentials
failed=0
T() { timeout -k 5 "$@"; } # every run has a time limit
cg=(valgrind --tool=callgrind -q) # then --callgrind-out-file=OUT CMD...
summary() { sed -n 's/^summary: *//p' "$1" 2>/dev/null | head -n 1; }
per_req() { # per_req BIG SMALL: instructions per request, or "?"
	if [ -n "$1" ] && [ -n "$2" ]; then
		awk -v a="$1" -v b="$2" -v n="$per" 'BEGIN { printf "%.0f", (a - b) / n }'
	else
		echo "?"
	fi
}
num() { # 701676 -> 701,676
	awk -v x="$1" 'BEGIN { if (x !~ /^-?[0-9]+$/) { print x; exit }
		s = x < 0 ? "-" : ""; x = x < 0 ? -x : x; o = ""
		while (x >= 1000) { o = sprintf(",%03d", x % 1000) o; x = int(x / 1000) }
		print s x o }'
}
ratio() { # ratio A B [DIGITS]: A / B as 1.085×
	awk -v a="$1" -v b="$2" -v p="${3:-3}" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf("%." p "f×", a / b); else print "?" }'
}
spread() { # spread V...: (max - min) / min in %
	printf '%s\n' "$@" | awk '/^[0-9]+$/ { v[++n] = $1 }
		END { if (n < 2) { print "—"; exit }
			mn = mx = v[1]; for (i = 2; i <= n; i++) { if (v[i] < mn) mn = v[i]; if (v[i] > mx) mx = v[i] }
			printf "%.2f %%", 100 * (mx - mn) / mn }'
}

# ---- the endpoint ------------------------------------------------------------------
"$bin/canned_server" --port-file "$dir/cs.port" --max-seconds 1800 \
	2>>"$dir/canned.log" &
pids+=($!)
for _ in $(seq 50); do [ -s "$dir/cs.port" ] && break; sleep 0.1; done
cs_port=$(cat "$dir/cs.port" 2>/dev/null) || { say "canned_server did not start"; exit 1; }
endpoint=http://127.0.0.1:$cs_port

# direct_run N OUT: direct, N sequential requests, under callgrind.
direct_run() {
	local o
	o=$(T 600 "${cg[@]}" --callgrind-out-file="$2" "$bin/direct" --endpoint "$endpoint" --region "$region" \
		--max-connections "$max_conns" --concurrency 1 --count "$1" \
		2>>"$dir/probe.log")
	if ! grep -q ' errors=0' <<<"$o" || [ -z "$(summary "$2")" ]; then
		say "FAILED: direct --count $1: ${o:-no output}"
		tail -n 5 "$dir/probe.log" >&2
		failed=1
	fi
}

# daemon_run DAEMON N DOUT COUT: the daemon under callgrind, and one
# libdyntable client (dtload) under callgrind sending N requests, one at a
# time; then the daemon is stopped (SIGTERM) so that callgrind writes DOUT.
daemon_run() {
	local daemon=$1 n=$2 dout=$3 cout=$4 sock=$dir/d.sock dpid o
	rm -f "$sock"
	HOME=$dir "${cg[@]}" --callgrind-out-file="$dout" "$daemon" --socket "$sock" --endpoint "$endpoint" \
		--region "$region" --log-level warn --max-connections "$max_conns" \
		</dev/null 2>>"$dir/daemon.log" &
	dpid=$!
	pids+=("$dpid")
	for _ in $(seq 600); do
		[ -S "$sock" ] && break
		kill -0 "$dpid" 2>/dev/null || break
		sleep 0.05
	done
	if [ ! -S "$sock" ]; then
		say "FAILED: $daemon did not start under valgrind:"
		tail -n 5 "$dir/daemon.log" >&2
		failed=1
		kill -KILL "$dpid" 2>/dev/null
		wait "$dpid" 2>/dev/null
		forget "$dpid"
		return
	fi
	o=$(T 600 "${cg[@]}" --callgrind-out-file="$cout" "$bin/dtload" --socket "$sock" --settle-ms 0 \
		--clients 1 --count "$n" --warmup 0 2>>"$dir/probe.log")
	if ! grep -q '^load .* errors=0' <<<"$o" || [ -z "$(summary "$cout")" ]; then
		say "FAILED: dtload --count $n: ${o:-no output}"
		tail -n 5 "$dir/probe.log" >&2
		failed=1
	fi
	kill -TERM "$dpid" 2>/dev/null
	for _ in $(seq 600); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$dpid" 2>/dev/null; then
		say "FAILED: $daemon did not stop within 60 s of SIGTERM"
		kill -KILL "$dpid" 2>/dev/null
		failed=1
	fi
	wait "$dpid" 2>/dev/null
	forget "$dpid"
	if [ -z "$(summary "$dout")" ]; then
		say "FAILED: no callgrind counts from $daemon"
		failed=1
	fi
}

# ---- per-request profiles (differences of the two runs) ------------------------------
# annot FILE [--inclusive=yes]: "count<TAB>file:function [object]" per function.
annot() {
	local f=$1
	shift
	callgrind_annotate --auto=no --threshold=100 "$@" "$f" 2>/dev/null |
		sed -n 's/^ *\([0-9,][0-9,]*\) ([ 0-9.]*%)  \(.* \[.*\]\)$/\1\t\2/p' |
		tr -d ','
}
# diffp BIG SMALL [ARGS]: "per-request<TAB>file:function [object]", largest first.
diffp() {
	awk -F'\t' -v n="$per" '
		FNR == NR { small[$2] = $1; next }
		{ d = ($1 - small[$2]) / n; if (d >= 0.5) printf "%.0f\t%s\n", d, $2 }' \
		<(annot "$2" "${@:3}") <(annot "$1" "${@:3}") | sort -t"$(printf '\t')" -k1,1nr
}
fname() { sed 's/^[^:]*:\(.*\) \[[^]]*\]$/\1/; s/@@.*//'; } # file:fn [obj] -> fn
oname() { sed 's/.*\[\(.*\)\]$/\1/; s,.*/,,; s/\.so[.0-9]*$/.so/'; } # -> libfoo.so

# profile NAME BIG SMALL TOTAL: the markdown of where NAME's instructions go.
profile() {
	local name=$1 big=$2 small=$3 total=$4 incl self
	case $total in '' | *[!0-9]*) echo "**$name**: not measured."; echo; return ;; esac
	incl=$(diffp "$big" "$small" --inclusive=yes)
	self=$(diffp "$big" "$small")
	echo "**$name**: $(num "$total") instructions per describe_table."
	echo
	# Inclusive: named functions only (unnamed ones are static functions of
	# stripped libraries; recursive entries, fn'2, are counted in fn), and
	# without the frame that holds the whole request (main, the event loop).
	echo "| function (inclusive) | library | per describe | share |"
	echo "|---|---|---:|---:|"
	printf '%s\n' "$incl" | while IFS=$'\t' read -r v key; do
		fn=$(fname <<<"$key")
		case $fn in 0x* | *"'"* | "(below main)" | __libc_start* | main | _start) continue ;; esac
		awk -v v="$v" -v t="$total" 'BEGIN { exit !(v <= 0.97 * t) }' || continue
		# shellcheck disable=SC2016 # the backquotes are markdown
		printf '| `%s` | %s | %s | %s %% |\n' "$fn" "$(oname <<<"$key")" "$(num "$v")" \
			"$(awk -v v="$v" -v t="$total" 'BEGIN { printf "%.1f", 100 * v / t }')"
	done | head -n "$top"
	echo
	# Self cost: the malloc family, and each object's own instructions.
	printf '%s\n' "$self" | awk -F'\t' -v t="$total" '
		{ fn = $2; sub(/^[^:]*:/, "", fn); sub(/ \[[^]]*\]$/, "", fn); sub(/@@.*/, "", fn)
		  obj = $2; sub(/.*\[/, "", obj); sub(/\]$/, "", obj); sub(/.*\//, "", obj)
		  sub(/\.so[.0-9]*$/, ".so", obj)
		  if (obj ~ /^libc\.so/ && fn ~ /^(malloc|free|calloc|realloc|cfree|_int_(malloc|free|realloc|memalign)|_int_free_merge_chunk|malloc_consolidate|unlink_chunk.*|tcache_.*|alloc_perturb|sysmalloc|systrim|__libc_(malloc|free|calloc|realloc|memalign)|posix_memalign|_mid_memalign|aligned_alloc|memalign)$/)
			mf += $1
		  o[obj] += $1 }
		END { printf "Own instructions (self cost): malloc/free family %.1f %%; by object:", 100 * mf / t
		  n = 0; for (k in o) keys[++n] = k
		  for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (o[keys[j]] > o[keys[i]]) { x = keys[i]; keys[i] = keys[j]; keys[j] = x }
		  sep = " "; for (i = 1; i <= n && i <= 8; i++) { if (100 * o[keys[i]] / t < 0.5) break
			printf "%s%s %.1f %%", sep, keys[i], 100 * o[keys[i]] / t; sep = ", " }
		  print "." }'
	echo
	# The top named functions by own instructions (fn'2, a recursive
	# call's context, counted in fn).
	printf '%s\n' "$self" | awk -F'\t' -v t="$total" '
		{ fn = $2; sub(/^[^:]*:/, "", fn); sub(/ \[[^]]*\]$/, "", fn); sub(/@@.*/, "", fn)
		  sub(/\047[0-9]+$/, "", fn)
		  if (fn !~ /^0x/) v[fn] += $1 }
		END { for (k in v) printf "%d\t%s\n", v[k], k }' | sort -t"$(printf '\t')" -k1,1nr |
		head -n 8 | awk -F'\t' -v t="$total" '
		{ printf("%s`%s` %.1f %%", (NR > 1 ? ", " : "Top named functions by own instructions: "), $2, 100 * $1 / t) }
		END { print "." }'
	echo
}

# ---- the runs ------------------------------------------------------------------------------
nd=${#daemons[@]}
declare -A fig # fig[prog,round]: instructions per request
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
t_start=$(date +%s)
for r in $(seq "$repeat"); do
	say "round $r of $repeat: direct ($n_big and $n_small requests)"
	direct_run "$n_big" "$dir/direct.$r.big.out"
	direct_run "$n_small" "$dir/direct.$r.small.out"
	fig[direct,$r]=$(per_req "$(summary "$dir/direct.$r.big.out")" \
		"$(summary "$dir/direct.$r.small.out")")
	for i in $(seq 0 $((nd - 1))); do
		say "round $r of $repeat: ${daemons[$i]} and libdyntable ($n_big and $n_small requests)"
		daemon_run "${daemons[$i]}" "$n_big" "$dir/dyntabled$i.$r.big.out" "$dir/libdyntable$i.$r.big.out"
		daemon_run "${daemons[$i]}" "$n_small" "$dir/dyntabled$i.$r.small.out" "$dir/libdyntable$i.$r.small.out"
		for p in dyntabled libdyntable; do
			fig[$p$i,$r]=$(per_req "$(summary "$dir/$p$i.$r.big.out")" \
				"$(summary "$dir/$p$i.$r.small.out")")
		done
	done
done
secs=$(($(date +%s) - t_start))

# ---- the report ------------------------------------------------------------------------------
label() { # label I: how daemon I is named in the table
	local d=${daemons[$1]}
	[ "$d" = "$bdir/daemon/dyntabled" ] && d="build-bench/daemon/dyntabled"
	if [ "$nd" = 1 ]; then echo "\`$d\`"; else echo "#$(($1 + 1)) \`$d\`"; fi
}
rounds_of() { # rounds_of PROG: "a, b" and the spread
	local v=() r
	for r in $(seq "$repeat"); do v+=("${fig[$1,$r]}"); done
	if [ "$repeat" = 1 ]; then
		echo "—"
	else
		echo "$(for x in "${v[@]}"; do num "$x"; done | paste -sd/ | sed 's,/, / ,g') (spread $(spread "${v[@]}"))"
	fi
}
x=${fig[direct,1]}
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo "## Instructions per describe_table (callgrind)"
echo
echo "Machine: $(nproc) CPUs, ${cpu:-unknown CPU}, Linux $(uname -r); $(valgrind --version)." \
	"Build: ${DYNTABLE_BENCH_BUILD_TYPE:-Release}. $(date -u +%Y-%m-%dT%H:%MZ)." \
	"Load average at start: $load_start (does not change the counts). ${secs} s."
echo "Counted: instructions executed (callgrind Ir, all threads) in the process," \
	"($n_big − $n_small requests) ÷ $per: the steady state, start-up and shut-down" \
	"cancel out. One request at a time against bench/canned_server (2 KB" \
	"DescribeTable reply, keep-alive); at most $max_conns connections."
echo
echo "| program | instructions per describe_table | ÷ direct | rounds |"
echo "|---|---:|---:|---|"
echo "| \`direct\` (libcurl, SigV4, CRC32, JSON parse: the baseline) | $(num "$x") | 1.000× | $(rounds_of direct) |"
rows=()
for i in $(seq 0 $((nd - 1))); do
	d=${fig[dyntabled$i,1]} c=${fig[libdyntable$i,1]}
	echo "| dyntabled $(label "$i") | **$(num "$d")** | **$(ratio "$d" "$x")** | $(rounds_of "dyntabled$i") |"
	echo "| libdyntable (client process, bench/dtload; against $(label "$i")) | $(num "$c") | $(ratio "$c" "$x") | $(rounds_of "libdyntable$i") |"
	rows+=("| Instructions per describe_table (callgrind, steady state), dyntabled $(label "$i") ÷ \`direct\` | **$(ratio "$d" "$x")** ($(num "$d") vs $(num "$x"); libdyntable, the client process: $(num "$c"), $(ratio "$c" "$x")) | < 1.0× | $(awk -v d="$d" -v x="$x" 'BEGIN { if (d + 0 > 0 && x + 0 > 0) print (d / x < 1 ? "PASS" : "MISS"); else print "MISS (no figure)" }') |")
done
if [ "$nd" -gt 1 ]; then
	echo
	for i in $(seq 1 $((nd - 1))); do
		echo "dyntabled $(label "$i") ÷ $(label 0): **$(ratio "${fig[dyntabled$i,1]}" "${fig[dyntabled0,1]}")**" \
			"($(num "${fig[dyntabled$i,1]}") vs $(num "${fig[dyntabled0,1]}"))."
	done
fi
echo
echo "### Where the instructions go (per describe_table, round 1)"
echo
echo "Inclusive cost of the top named functions (callgrind_annotate --inclusive=yes;" \
	"static functions of stripped libraries have no name and are left out, but are" \
	"counted in their callers), then each program's own instructions by object."
echo
profile "direct" "$dir/direct.1.big.out" "$dir/direct.1.small.out" "$x"
for i in $(seq 0 $((nd - 1))); do
	profile "dyntabled $(label "$i")" "$dir/dyntabled$i.1.big.out" \
		"$dir/dyntabled$i.1.small.out" "${fig[dyntabled$i,1]}"
done
profile "libdyntable (bench/dtload against $(label 0))" "$dir/libdyntable0.1.big.out" \
	"$dir/libdyntable0.1.small.out" "${fig[libdyntable0,1]}"

if [ -n "$rows_file" ]; then
	printf '%s\n' "${rows[@]}" >"$rows_file"
fi
if [ "$failed" != 0 ]; then
	say "some runs failed; see above"
	exit 1
fi
exit 0
