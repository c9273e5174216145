#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# dyntablectl apply (issue 16), run by harness.sh:
#   test_apply.sh DYNTABLECTL
# With DYNTABLE_TEST_BACKEND=moto (moto_server has TTL and PITR, and
# creates and deletes GSIs in UpdateTable): an empty account gets every
# table; the same file again sends only describes; a file with an added
# GSI, a billing switch, TTL, tags and PITR converges in place; a changed
# key is drift (exit 6, table untouched); --plan sends no mutation;
# --prune keeps to the prefix and to the namespace, and never deletes a
# protected table. With dynalite (which delays CreateTable like
# DynamoDB): ten tables created in parallel take about the time of one.
set -u
ctl=$1
requests=${DYNTABLE_TEST_REQUESTS:?run me through harness.sh}
dir=${DYNTABLE_TEST_DIR:?run me through harness.sh}
pass=0 fail=0
check() { local what=$1; shift; if "$@"; then echo "PASS: $what"; pass=$((pass + 1)); else echo "FAIL: $what"; fail=$((fail + 1)); sed 's/^/      out: /' "$dir/out" 2>/dev/null | head -n 30; fi; }
# mark: the request log's length now; since N: the targets sent after it.
mark() { wc -l <"$requests"; }
since() { tail -n +"$(($1 + 1))" "$requests" | jq -r '.target | sub("DynamoDB_20120810."; "")' | sort -u | tr '\n' ' '; }
# mutations since N: requests that change something.
mutations() { tail -n +"$(($1 + 1))" "$requests" | jq -r '.target | sub("DynamoDB_20120810."; "")' | grep -Ev '^(Describe|List)' | wc -l; }
run() { "$ctl" "$@" >"$dir/out" 2>&1; rc=$?; }
p="ap$$"

if [ "${DYNTABLE_TEST_BACKEND:-dynalite}" != moto ]; then
	# ---- ten tables in parallel vs the slowest (dynalite's CREATING) ----
	tables=$(for i in $(seq 10); do
		printf '{"create_table_input": {"TableName": "%s-t%d", "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}], "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}}\n' "$p" "$i"
	done | jq -s .)
	echo "{\"tables\": $tables}" >"$dir/ten.json"
	t0=$(date +%s%N)
	"$ctl" create "$p-one" --pk pk:S --wait >/dev/null
	t1=$(date +%s%N)
	run apply "$dir/ten.json" --wait
	t2=$(date +%s%N)
	one=$(((t1 - t0) / 1000000)) ten=$(((t2 - t1) / 1000000))
	echo "      one table created with --wait: $one ms; ten tables by apply --wait: $ten ms"
	check "apply: ten tables created (exit 0)" test "$rc" -eq 0
	check "... all ten ACTIVE" test "$("$ctl" list | grep -c "^$p-t")" -eq 10
	check "... in parallel: less than 3x the time of one (not 10x)" test "$ten" -lt $((one * 3))
	spread=$(jq -s --arg p "$p-t" '[.[] | select(.target == "DynamoDB_20120810.CreateTable" and (.body.TableName | startswith($p))) | .t] | if length == 10 then max - min else 99999 end' "$requests")
	check "... the ten CreateTable calls sent within ${spread} ms, before the first table left CREATING (500 ms)" test "$spread" -lt 500
	m=$(mark)
	run apply "$dir/ten.json"
	check "apply again: exit 0, every table 'none'" test "$rc" -eq 0 -a "$(grep -c ': none$' "$dir/out")" -eq 10
	check "... sent only describes ($(since "$m"))" test "$(mutations "$m")" -eq 0 -a "$(since "$m")" = "DescribeTable "
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
fi

# ---- moto: an empty account -------------------------------------------------
cat >"$dir/app.json" <<JSON
{"prefix": "$p-", "tables": [
 {"create_table_input": {"TableName": "$p-users",
   "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
   "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
   "BillingMode": "PAY_PER_REQUEST"},
  "tags": {"team": "web"}, "time_to_live": "exp", "point_in_time_recovery": true},
 {"model": {"table": "$p-orders", "attributes": {"id": "S", "at": "N"},
   "partition_key": "id", "sort_key": "at"}}
]}
JSON
m=$(mark)
run apply "$dir/app.json" --plan
check "--plan on an empty account: exit 0, both 'create (plan)'" test "$rc" -eq 0 -a "$(grep -c ': create (plan)$' "$dir/out")" -eq 2
check "... no mutation sent ($(since "$m"))" test "$(mutations "$m")" -eq 0
run apply "$dir/app.json" --json
check "apply: exit 0, both created" jq -e '.errors == 0 and ([.tables[].action] == ["create", "create"])' "$dir/out"
check "... users: tags, TTL and PITR as the file says" \
	jq -e -s --arg t "$p-users" 'map(select(.body.TableName == $t or (.body.ResourceArn // "" | endswith("/" + $t)))) | map(.target | sub("DynamoDB_20120810."; "")) | (index("CreateTable") != null) and (index("UpdateTimeToLive") != null) and (index("UpdateContinuousBackups") != null)' "$requests"
"$ctl" describe "$p-users" --all --json >"$dir/out"
check "... describe --all agrees" jq -e '.Tags == [{"Key": "team", "Value": "web"}] and .TimeToLiveDescription.AttributeName == "exp" and .ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus == "ENABLED"' "$dir/out"

# ---- the same file again: describes only ------------------------------------
m=$(mark)
run apply "$dir/app.json"
check "apply again: exit 0, both 'none'" test "$rc" -eq 0 -a "$(grep -c ': none$' "$dir/out")" -eq 2
check "... only describes sent ($(since "$m"))" test "$(mutations "$m")" -eq 0

# ---- converge in place: a GSI, billing, TTL, tags, PITR --------------------
jq '.tables[0].create_table_input.AttributeDefinitions += [{"AttributeName": "email", "AttributeType": "S"}]
  | .tables[0].create_table_input.GlobalSecondaryIndexes = [{"IndexName": "by-email", "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}, "ProvisionedThroughput": {"ReadCapacityUnits": 2, "WriteCapacityUnits": 2}}]
  | .tables[0].create_table_input.BillingMode = "PROVISIONED"
  | .tables[0].create_table_input.ProvisionedThroughput = {"ReadCapacityUnits": 3, "WriteCapacityUnits": 3}
  | .tables[0].tags = {"team": "api", "env": "ci"} | .tables[0].time_to_live = "expires_at"
  | .tables[0].point_in_time_recovery = false' "$dir/app.json" >"$dir/app2.json"
m=$(mark)
run apply "$dir/app2.json" --plan --json
check "--plan: users 'update' with BillingMode, ProvisionedThroughput, the GSI, TTL, tags, PITR" \
	jq -e '.tables[0].action == "update" and ([.tables[0].changes[].field] | sort == ["BillingMode", "GlobalSecondaryIndexes.by-email", "PointInTimeRecovery", "ProvisionedThroughput", "Tags", "TimeToLive"])' "$dir/out"
check "... no mutation sent" test "$(mutations "$m")" -eq 0
run apply "$dir/app2.json"
check "apply: converged in place, exit 0" test "$rc" -eq 0
check "... one UpdateTable for billing, one for the GSI, in that order" \
	test "$(tail -n +"$((m + 1))" "$requests" | jq -c 'select(.target == "DynamoDB_20120810.UpdateTable") | .body | [has("BillingMode"), (.GlobalSecondaryIndexUpdates // [] | length)]' | tr '\n' ' ')" = "[true,0] [false,1] "
"$ctl" describe "$p-users" --all --json >"$dir/out"
check "... describe --all: PROVISIONED 3/3, by-email ACTIVE, tags, TTL on expires_at, PITR off" \
	jq -e '.Table.BillingModeSummary.BillingMode == "PROVISIONED" and .Table.ProvisionedThroughput.ReadCapacityUnits == 3 and ([.Table.GlobalSecondaryIndexes[] | select(.IndexName == "by-email") | .IndexStatus] == ["ACTIVE"]) and (.Tags | sort_by(.Key)) == [{"Key": "env", "Value": "ci"}, {"Key": "team", "Value": "api"}] and .TimeToLiveDescription.AttributeName == "expires_at" and .ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus == "DISABLED"' "$dir/out"
m=$(mark)
run apply "$dir/app2.json"
check "... and applying it again changes nothing: only describes" test "$rc" -eq 0 -a "$(mutations "$m")" -eq 0

# ---- drift: a changed key ------------------------------------------------------
jq '.tables[1].model.partition_key = "at" | .tables[1].model.sort_key = "id"' "$dir/app2.json" >"$dir/drift.json"
m=$(mark)
run apply "$dir/drift.json"
check "a changed key: exit 6 (drift), the field named" test "$rc" -eq 6 && grep -q "$p-orders: drift" "$dir/out" && grep -q "DRIFT KeySchema" "$dir/out"
check "... the table untouched: no mutation of $p-orders" \
	test "$(tail -n +"$((m + 1))" "$requests" | jq -r --arg t "$p-orders" 'select(.body.TableName == $t) | .target' | grep -Evc 'Describe|List')" -eq 0
run apply "$dir/drift.json" --json
check "... --json: drift 1 with its field path" jq -e '.drift == 1 and (.tables[1].drift[0].field == "KeySchema")' "$dir/out"

# ---- prune: the prefix, deletion protection -----------------------------------
"$ctl" create "$p-old" --pk pk:S --wait >/dev/null
"$ctl" create "$p-kept" --pk pk:S --deletion-protection --wait >/dev/null
"$ctl" create "other-$p" --pk pk:S --wait >/dev/null
m=$(mark)
run apply "$dir/app2.json" --prune --plan
check "--prune --plan: would delete $p-old, keep $p-kept (protected), not see other-$p" \
	grep -q "^$p-old: delete (plan)" "$dir/out" && grep -q "^$p-kept: kept (deletion protection)" "$dir/out" && ! grep -q "other-$p" "$dir/out"
check "... no mutation sent" test "$(mutations "$m")" -eq 0
run apply "$dir/app2.json" --prune --wait
check "--prune: $p-old deleted, $p-kept and other-$p still there" test "$rc" -eq 0 &&
	! "$ctl" exists "$p-old" >/dev/null && "$ctl" exists "$p-kept" >/dev/null && "$ctl" exists "other-$p" >/dev/null
jq 'del(.prefix)' "$dir/app2.json" >"$dir/noprefix.json"
run apply "$dir/noprefix.json" --prune
check "--prune with neither a prefix nor a namespace: refused (exit 4), nothing deleted" \
	test "$rc" -eq 4 && grep -q "names no prefix" "$dir/out" && "$ctl" exists "other-$p" >/dev/null
# In a namespace, the namespace is the bound.
"$ctl" --namespace "$p" create stray --pk pk:S --wait >/dev/null
run --namespace "$p" apply "$dir/noprefix.json" --prune --plan
check "--prune in a namespace: the namespace's stray table only" \
	grep -q "^stray: delete (plan)" "$dir/out" && ! grep -q "other-$p\|$p-kept" "$dir/out"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
