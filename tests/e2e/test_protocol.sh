#!/usr/bin/env bash
# Operations through the raw protocol (dtcall), run by harness.sh:
#   test_protocol.sh DTCALL DYNTABLECTL
# A case per operation that no client library wraps yet; adding an
# operation adds its case here (docs/DEVELOPING.md, "How to add an
# operation").
set -u
dtcall=$1 ctl=$2
sock=${DYNTABLE_SOCKET:?run me through harness.sh}
requests=${DYNTABLE_TEST_REQUESTS:?run me through harness.sh}
pass=0 fail=0
check() { local what=$1; shift; if "$@"; then echo "PASS: $what"; pass=$((pass + 1)); else echo "FAIL: $what"; fail=$((fail + 1)); fi; }
# call OP ARGS JQ: the reply of OP with ARGS satisfies the jq filter JQ.
call() { "$dtcall" "$sock" "$1" "$2" | tail -n 1 | jq -e "$3" >/dev/null; }

# ---- describe_time_to_live (1.1) ---------------------------------------------
"$ctl" create ttl-t --pk pk:S --wait >/dev/null
check "describe_time_to_live: DynamoDB's TimeToLiveDescription" \
  call describe_time_to_live '{"name":"ttl-t"}' '.ok and .result.time_to_live.TimeToLiveStatus == "DISABLED"'
check "... sent as DescribeTimeToLive with the table name" \
  jq -e -s 'map(select(.target == "DynamoDB_20120810.DescribeTimeToLive" and .body.TableName == "ttl-t")) | length == 1' "$requests"
check "... a missing table is NOT_FOUND" \
  call describe_time_to_live '{"name":"no-such-ttl"}' '(.ok | not) and .error.name == "NOT_FOUND"'
check "... a name is required" \
  call describe_time_to_live '{}' '.error.name == "INVALID" and (.error.message | test("name: missing"))'
check "... unknown arguments are refused" \
  call describe_time_to_live '{"name":"ttl-t","wait":true}' '.error.name == "INVALID" and (.error.message | test("unknown argument \"wait\""))'
"$ctl" delete ttl-t >/dev/null

# ---- metrics (1.2) -----------------------------------------------------------------
"$dtcall" "$sock" describe_table '{"name":"no-such-metrics"}' >/dev/null
check "metrics: OpenMetrics text ending # EOF, and its content type" \
  call metrics '{}' '.ok and (.result.text | endswith("# EOF\n")) and .result.content_type == "application/openmetrics-text; version=1.0.0; charset=utf-8"'
check "... counting the describe_table NOT_FOUND before it" \
  call metrics '{}' '.result.text | test("\ndyntabled_requests_total\\{op=\"describe_table\",outcome=\"NOT_FOUND\"\\} [1-9]")'
check "... its upstream attempts match the proxy's log" \
  bash -c "n=\$(wc -l <'$requests'); '$dtcall' '$sock' metrics '{}' | tail -n 1 | jq -e --arg n \"\$n\" '.result.text | test(\"\\ndyntabled_upstream_attempts_total \" + \$n + \"\\n\")' >/dev/null"
check "... unknown arguments are refused" \
  call metrics '{"name":"x"}' '.error.name == "INVALID" and (.error.message | test("unknown argument \"name\""))'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
