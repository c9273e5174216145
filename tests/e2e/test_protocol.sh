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

# ---- truncate_table (1.2) ------------------------------------------------------
"$ctl" create trunc-t --pk name:S --sk size:N --wait >/dev/null
check "truncate_table: an empty table, deleted 0" \
  call truncate_table '{"name":"trunc-t"}' '.ok and .result.deleted == 0 and (.result.elapsed_ms | type) == "number"'
check "... key names through ExpressionAttributeNames (reserved words)" \
  jq -e -s 'map(select(.target == "DynamoDB_20120810.Scan" and .body.TableName == "trunc-t")) | length >= 1 and all(.body.ExpressionAttributeNames["#k0"] == "name" and .body.ExpressionAttributeNames["#k1"] == "size" and .body.ProjectionExpression == "#k0, #k1")' "$requests"
check "... force must be a bool" \
  call truncate_table '{"name":"trunc-t","force":1}' '.error.name == "INVALID" and (.error.message | test("force"))'
check "... a missing table is NOT_FOUND" \
  call truncate_table '{"name":"no-such-trunc"}' '.error.name == "NOT_FOUND"'
check "dyntablectl truncate: one line" \
  bash -c '"$1" truncate trunc-t | grep -q "^trunc-t truncated: 0 items deleted in [0-9]* ms$"' _ "$ctl"
check "dyntablectl truncate --json --force: Deleted" \
  bash -c '"$1" truncate trunc-t --json --force | jq -e ".Deleted == 0" >/dev/null' _ "$ctl"
check "dyntablectl truncate of a missing table: exit 4" \
  bash -c '"$1" truncate no-such-trunc 2>/dev/null; [ $? -eq 4 ]' _ "$ctl"
"$ctl" delete trunc-t >/dev/null

# ---- lease_table, release_table, pools (1.2) ----------------------------------
def='{"AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],"KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"}'
check "lease_table: a table of the definition, created for it" \
  call lease_table "{\"table\":$def,\"name\":\"lease-t\"}" '.ok and (.result.table_name | startswith("dyntable-pool-")) and .result.name == "lease-t" and .result.fresh and .result.table.TableStatus == "ACTIVE"'
check "... sent as CreateTable with the pool's tags" \
  jq -e -s 'map(select(.target == "DynamoDB_20120810.CreateTable" and (.body.TableName | startswith("dyntable-pool-")))) | length >= 1 and all(.body.Tags | map(.Key) | index("dyntable:pool") != null and index("dyntable:def") != null and index("dyntable:owner") != null and index("dyntable:expires") != null)' "$requests"
check "... a taken logical name is IN_USE" \
  call lease_table "{\"table\":$def,\"name\":\"lease-t\"}" '.error.name == "IN_USE"'
# A logical name asked for by a lease still waiting for its table is taken.
def2='{"AttributeDefinitions":[{"AttributeName":"w","AttributeType":"N"}],"KeySchema":[{"AttributeName":"w","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"}'
"$dtcall" "$sock" lease_table "{\"table\":$def2,\"name\":\"wait-t\"}" >/dev/null &
waiting=$!
sleep 0.2
check "... a logical name a waiting lease asked for is IN_USE" \
  call lease_table "{\"table\":$def2,\"name\":\"wait-t\"}" '.error.name == "IN_USE"'
wait "$waiting"
check "... a definition is required" \
  call lease_table '{"name":"x-y-z"}' '.error.name == "INVALID"'
check "... pooled_only: NOT_FOUND for a definition no pool serves" \
  call lease_table '{"table":{"AttributeDefinitions":[{"AttributeName":"other","AttributeType":"S"}],"KeySchema":[{"AttributeName":"other","KeyType":"HASH"}]},"pooled_only":true}' '.error.name == "NOT_FOUND"'
check "... pooled_only: leased from the learnt pool" \
  call lease_table "{\"table\":$def,\"pooled_only\":true}" '.ok and (.result.table_name | startswith("dyntable-pool-"))'
check "pools: the learnt pool" \
  call pools '{}' '.ok and (.result.pools | map(select(.definition.KeySchema[0].AttributeName == "id")) | length == 1 and .[0].size == 1) and .result.max_tables == 64'
check "release_table of a name not leased: NOT_FOUND" \
  call release_table '{"name":"no-such-lease"}' '.error.name == "NOT_FOUND"'
# A new connection is a new session: the lease above ended with dtcall's.
sleep 0.2
check "dyntablectl lease --pk: prints the table's name" \
  bash -c 'exec 3< <("$1" hold); read -r DYNTABLE_SESSION <&3; export DYNTABLE_SESSION
    t=$("$1" lease --pk id:S --name cli-lease) || exit 1
    case $t in dyntable-pool-*) ;; *) exit 1 ;; esac
    "$1" describe cli-lease | grep -q "^Table: *$t$" || exit 1
    "$1" release cli-lease | grep -q "^$t released$" || exit 1
    ! "$1" describe cli-lease >/dev/null 2>&1' _ "$ctl"
check "dyntablectl pools: a line for the pool, and --json" \
  bash -c '"$1" pools | grep -q "^learnt-" && "$1" pools --json | jq -e ".pools | map(select(.definition.KeySchema[0].AttributeName == \"id\")) | .[0].leases >= 3" >/dev/null' _ "$ctl"
check "dyntablectl lease --name without a definition: usage error" \
  bash -c '"$1" lease --name x 2>/dev/null; [ $? -eq 2 ]' _ "$ctl"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
