#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Metrics (issue 17), run by harness.sh with the daemon started with
# --metrics-listen 127.0.0.1:0 and temporary credentials
# (DYNTABLE_TEST_DAEMON_ARGS, DYNTABLE_TEST_CREDS_EXPIRE), see
# tests/e2e/CMakeLists.txt:
#   test_metrics.sh DYNTABLED DYNTABLECTL
# Scrapes both ways (`dyntablectl metrics`, HTTP), checks the text with
# `promtool check metrics` (Prometheus' text format) and a strict
# OpenMetrics parser, checks each family against what this script did and
# the proxy recorded, then lets a real Prometheus server scrape the daemon
# and asks it for a series (skipped, saying why, when none starts).
set -u
daemon=$1 ctl=$2
: "${DYNTABLE_SOCKET:?run me through harness.sh}"
requests=${DYNTABLE_TEST_REQUESTS:?run me through harness.sh}
control=${DYNTABLE_TEST_CONTROL:?run me through harness.sh}
log=${DYNTABLE_TEST_DAEMON_LOG:?run me through harness.sh}
dir=${DYNTABLE_TEST_DIR:?run me through harness.sh}
pass=0 fail=0
ok() { echo "PASS: $1"; pass=$((pass + 1)); }
bad() { echo "FAIL: $1${2:+ ($2)}"; fail=$((fail + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
skip() { echo "SKIP: $1"; }
# What this script starts in the background, stopped however it ends.
bg=()
trap 'for p in "${bg[@]}"; do kill "$p" 2>/dev/null; done' EXIT

port=$(sed -n 's|.*metrics: serving http://127\.0\.0\.1:\([0-9][0-9]*\)/metrics.*|\1|p' "$log" | head -n 1)
if [ -z "$port" ]; then
	bad "the daemon logs where it serves metrics" "no 'metrics: serving' line"
	echo "$pass passed, $fail failed"
	exit 1
fi
url=http://127.0.0.1:$port/metrics
om_accept='Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5'

# value FILE SERIES: the value of the sample SERIES (name and labels as
# written) in FILE; empty when absent.
value() { awk -v s="$2" '$1 == s { print $2; exit }' "$1"; }
# is FILE SERIES N: the sample's value is N.
is() {
	local v; v=$(value "$1" "$2")
	[ "$v" = "$3" ] || { echo "      $2 is '${v}', want $3" >&2; return 1; }
}
scrape() { "$ctl" metrics >"$dir/$1" 2>"$dir/$1.err"; }
faults() { curl -sf -X POST -H 'Content-Type: application/json' -d "$1" "$control/faults" >/dev/null; }

# ---- traffic ------------------------------------------------------------------
t=metrics-$$
"$ctl" create "$t" --pk pk:S --wait >/dev/null
"$ctl" describe "$t" >/dev/null
"$ctl" describe "$t-missing" >/dev/null 2>&1
"$ctl" exists "$t-missing" >/dev/null

# ---- dyntablectl metrics -----------------------------------------------------
check "dyntablectl metrics exits 0" scrape om1
check "... the text ends with # EOF" test "$(tail -n 1 "$dir/om1")" = "# EOF"
check "... describe_table OK counted once" \
  is "$dir/om1" 'dyntabled_requests_total{op="describe_table",outcome="OK"}' 1
check "... describe_table NOT_FOUND counted once" \
  is "$dir/om1" 'dyntabled_requests_total{op="describe_table",outcome="NOT_FOUND"}' 1
check "... create_table OK counted once" \
  is "$dir/om1" 'dyntabled_requests_total{op="create_table",outcome="OK"}' 1
check "... both describes in the latency histogram" \
  is "$dir/om1" 'dyntabled_request_duration_seconds_count{op="describe_table"}' 2
check "... its +Inf bucket is the count" \
  is "$dir/om1" 'dyntabled_request_duration_seconds_bucket{op="describe_table",le="+Inf"}' 2
n_sent=$(wc -l <"$requests")
check "... one upstream latency observation per HTTP attempt the proxy saw ($n_sent)" \
  is "$dir/om1" dyntabled_upstream_duration_seconds_count "$n_sent"
check "... upstream attempts match the proxy's log" \
  is "$dir/om1" dyntabled_upstream_attempts_total "$n_sent"
check "... credentials valid" is "$dir/om1" dyntabled_credentials_valid 1
exp=$(value "$dir/om1" dyntabled_credentials_expiry_seconds)
want=$(( $(date -d "${DYNTABLE_TEST_CREDS_EXPIRE:?}" +%s) - $(date +%s) ))
check "... seconds to the credentials' expiry (${exp:-none}, want about $want)" \
  test -n "$exp" -a "$(( exp > want ? exp - want : want - exp ))" -le 60
if /usr/bin/python3 -c 'import prometheus_client.openmetrics.parser' 2>/dev/null; then
	check "... strict OpenMetrics parse (prometheus_client)" /usr/bin/python3 -c '
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
fams = list(text_string_to_metric_families(open(sys.argv[1]).read()))
assert any(f.name == "dyntabled_requests" and f.type == "counter" for f in fams)
' "$dir/om1"
else
	skip "strict OpenMetrics parse (python3-prometheus-client is not installed)"
fi
check "dyntablectl metrics --json: the same text under Metrics" \
  bash -c "'$ctl' metrics --json | jq -e '.Metrics | endswith(\"# EOF\n\")' >/dev/null"

# ---- HTTP -------------------------------------------------------------------
curl -s -D "$dir/h1" -H "$om_accept" "$url" >"$dir/om2"
check "HTTP, asking for OpenMetrics: its content type" \
  grep -qi '^Content-Type: application/openmetrics-text; version=1.0.0' "$dir/h1"
check "... the same counts as the op" \
  is "$dir/om2" 'dyntabled_requests_total{op="describe_table",outcome="NOT_FOUND"}' 1
check "... ends with # EOF" test "$(tail -n 1 "$dir/om2")" = "# EOF"
check "... the metrics op counted (by the earlier scrapes)" \
  is "$dir/om2" 'dyntabled_requests_total{op="metrics",outcome="OK"}' 2
curl -s -D "$dir/h2" "$url" >"$dir/prom"
check "HTTP, plain: Prometheus' text format 0.0.4" \
  grep -qi '^Content-Type: text/plain; version=0.0.4' "$dir/h2"
if command -v promtool >/dev/null 2>&1; then
	check "promtool check metrics: no problems" \
	  bash -c "promtool check metrics <'$dir/prom' >'$dir/promtool.out' 2>&1"
	sed 's/^/      promtool: /' "$dir/promtool.out"
else
	bad "promtool check metrics" "promtool not found: install Debian's prometheus (DYNTABLE_SETUP_TEST=1 scripts/setup-debian.sh)"
fi
check "HTTP: another path is 404" \
  test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")" = 404
check "HTTP: DELETE is refused (501, evhttp's answer to a method not allowed)" \
  test "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$url")" = 501
check "HTTP: HEAD is 200 without a body" \
  test "$(curl -s -I -o /dev/null -w '%{http_code} %{size_download}' "$url")" = "200 0"

# ---- retries by reason ---------------------------------------------------------
faults '[{"target":"DescribeTable","action":"throttle","count":1}]'
"$ctl" describe "$t" >/dev/null
faults '[{"target":"ListTables","action":"status500","count":1}]'
"$ctl" list >/dev/null
faults '[{"target":"DescribeTable","action":"truncated","count":1}]'
"$ctl" exists "$t" >/dev/null
faults '[]'
scrape om3
check "a throttled attempt counted as a throttling retry" \
  is "$dir/om3" 'dyntabled_upstream_retries_total{reason="throttling"}' 1
check "an HTTP 500 as a transient retry" \
  is "$dir/om3" 'dyntabled_upstream_retries_total{reason="transient"}' 1
check "a truncated reply as a transport retry" \
  is "$dir/om3" 'dyntabled_upstream_retries_total{reason="transport"}' 1

# ---- clients, waiters, pollers, calls in flight, abandoned --------------------
"$ctl" hold >/dev/null &
hold=$!
"$ctl" wait "$t-never" --timeout 30 >/dev/null 2>&1 &
waiter=$!
bg+=("$hold" "$waiter")
for _ in $(seq 50); do
	scrape om4
	[ "$(value "$dir/om4" dyntabled_waiters)" = 1 ] &&
		[ "$(value "$dir/om4" dyntabled_clients)" = 3 ] && break
	sleep 0.1
done
check "clients: the holder, the waiter and this scrape" is "$dir/om4" dyntabled_clients 3
check "waiters: the one waiting" is "$dir/om4" dyntabled_waiters 1
check "pollers: one for its table" is "$dir/om4" dyntabled_pollers 1
check "requests in flight: the wait and this scrape" is "$dir/om4" dyntabled_requests_in_flight 2
kill "$waiter" "$hold" 2>/dev/null
wait "$waiter" "$hold" 2>/dev/null
faults '[{"target":"DescribeTable","action":"delay","ms":3000,"count":1}]'
"$ctl" describe "$t" >/dev/null &
slow=$!
bg+=("$slow")
for _ in $(seq 50); do
	scrape om5
	[ "$(value "$dir/om5" dyntabled_upstream_in_flight)" = 1 ] && break
	sleep 0.1
done
check "upstream in flight: the delayed DescribeTable" is "$dir/om5" dyntabled_upstream_in_flight 1
wait "$slow"
faults '[]'
scrape om6
check "the wait whose client left: ABANDONED" \
  is "$dir/om6" 'dyntabled_requests_total{op="wait_table_active",outcome="ABANDONED"}' 1
check "gauges back to rest: one client (this scrape), no waiter" \
  bash -c "[ \"\$(awk '\$1 == \"dyntabled_clients\" { print \$2 }' '$dir/om6')\" = 1 ] && [ \"\$(awk '\$1 == \"dyntabled_waiters\" { print \$2 }' '$dir/om6')\" = 0 ]"

# ---- the address --------------------------------------------------------------
out=$("$daemon" --socket "$dir/other.sock" --endpoint http://127.0.0.1:9 \
  --region us-east-1 --metrics-listen 0.0.0.0:9187 2>&1 </dev/null); rc=$?
check "a non-loopback --metrics-listen is refused (exit 2, says how to mean it)" \
  bash -c "[ $rc -eq 2 ] && grep -q 'not a loopback address' <<<'$out' && grep -q -- '--metrics-allow-remote' <<<'$out'"
out=$("$daemon" --socket "$dir/other.sock" --endpoint http://127.0.0.1:9 \
  --region us-east-1 --metrics-listen 9187 2>&1 </dev/null); rc=$?
check "--metrics-listen without HOST: says what it wants" \
  bash -c "[ $rc -eq 2 ] && grep -q 'want HOST:PORT' <<<'$out'"

# ---- a real Prometheus ----------------------------------------------------------
if ! command -v prometheus >/dev/null 2>&1; then
	skip "a Prometheus server scrapes the daemon (no prometheus binary: Debian's prometheus package)"
else
	pd=$dir/prometheus
	mkdir -p "$pd"
	cat >"$pd/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: dyntabled
    static_configs:
      - targets: ['127.0.0.1:$port']
YML
	prometheus --config.file="$pd/prometheus.yml" --storage.tsdb.path="$pd/data" \
		--web.listen-address=127.0.0.1:0 >"$pd/log" 2>&1 </dev/null &
	prom=$!
	bg+=("$prom")
	pport=
	for _ in $(seq 50); do
		pport=$(sed -n 's/.*msg="Listening on" address=127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$pd/log" | head -n 1)
		[ -n "$pport" ] && grep -q 'Server is ready' "$pd/log" && break
		sleep 0.1
	done
	if [ -z "$pport" ] || ! grep -q 'Server is ready' "$pd/log"; then
		skip "a Prometheus server scrapes the daemon (prometheus did not start within 5 s on loopback; its log: $(tail -n 3 "$pd/log" | tr '\n' ' '))"
	else
		q='dyntabled_requests_total{op="describe_table",outcome="NOT_FOUND"}'
		got=
		for _ in $(seq 60); do
			got=$(curl -s -G --data-urlencode "query=$q" "http://127.0.0.1:$pport/api/v1/query" |
				jq -r '.data.result[0].value[1] // empty' 2>/dev/null)
			[ -n "$got" ] && break
			sleep 0.25
		done
		check "Prometheus scraped the daemon and answers $q = 1 (got '${got}')" test "$got" = 1
		check "... its target is up, scraped as OpenMetrics without error" bash -c \
		  "curl -s 'http://127.0.0.1:$pport/api/v1/targets' | jq -e '.data.activeTargets[0] | .health == \"up\" and .lastError == \"\"' >/dev/null"
	fi
	kill "$prom" 2>/dev/null
	wait "$prom" 2>/dev/null
fi

"$ctl" delete "$t" >/dev/null
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
