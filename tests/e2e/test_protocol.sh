#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
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

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
