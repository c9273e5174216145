#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A table's life after CreateTable (issue 16), against dynalite, run by
# harness.sh:
#   test_update.sh DTCALL DYNTABLECTL DATA_DIR
# update_table (every rule refused with no request sent, accepted with
# the exact body recorded; a GSI added then deleted with wait, checked
# against DescribeTable's IndexStatus; 50 waiters on one update, one
# poller), tags, describe_time_to_live, and CreateTable's members of 1.2
# (the AWS CLI skeleton, filled in, in DATA_DIR). What dynalite lacks
# (UpdateTimeToLive, continuous backups, ...) is test_update_moto.sh's.
set -u
dtcall=$1 ctl=$2 data=$3
sock=${DYNTABLE_SOCKET:?run me through harness.sh}
requests=${DYNTABLE_TEST_REQUESTS:?run me through harness.sh}
pass=0 fail=0
check() { local what=$1; shift; if "$@"; then echo "PASS: $what"; pass=$((pass + 1)); else echo "FAIL: $what"; fail=$((fail + 1)); sed "s/^/      last: /" "$DYNTABLE_TEST_DIR/last.out" 2>/dev/null | cut -c1-1500; fi; }
# call OP ARGS JQ: the reply of OP with ARGS satisfies the jq filter JQ.
call() { "$dtcall" "$sock" "$1" "$2" | tail -n 1 | tee "$DYNTABLE_TEST_DIR/last.out" | jq -e "$3" >/dev/null; }
# sent TARGET: how many requests of that target the daemon has sent.
sent() { jq -s --arg t "DynamoDB_20120810.$1" 'map(select(.target == $t)) | length' "$requests"; }
# last_body TARGET: the last body of that target, compact, keys sorted.
last_body() { jq -cS --arg t "DynamoDB_20120810.$1" 'select(.target == $t) | .body' "$requests" | tail -n 1; }
p="upd-$$"

# ---- CreateTable: the AWS CLI skeleton, filled in, every member present ----
for f in create-table-filled create-table-filled-ondemand; do
	t=$(jq -r .TableName "$data/$f.json")
	"$ctl" create --input-json "$data/$f.json" >/dev/null 2>"$DYNTABLE_TEST_DIR/err"
	check "$f.json: accepted (exit 0)" test $? -eq 0
	check "... sent as it is: every member, unchanged" \
		test "$(jq -cS --arg t "$t" 'select(.target == "DynamoDB_20120810.CreateTable" and .body.TableName == $t) | .body' "$requests" | tail -n 1)" = "$(jq -cS . "$data/$f.json")"
done
n=$(sent CreateTable)
"$ctl" create --input-json "$data/create-table-skeleton.json" >/dev/null 2>"$DYNTABLE_TEST_DIR/err"
check "the raw skeleton (placeholders): exit 4 naming TableName, nothing sent" \
	test $? -eq 4 -a "$(sent CreateTable)" = "$n"
grep -q 'TableName: ""' "$DYNTABLE_TEST_DIR/err" || { echo "FAIL: message"; fail=$((fail + 1)); }
# No BillingMode: PROVISIONED, as to DynamoDB and the AWS CLI.
cat >"$DYNTABLE_TEST_DIR/noprov.json" <<JSON
{"TableName": "$p-nb", "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
 "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}
JSON
"$ctl" create --input-json "$DYNTABLE_TEST_DIR/noprov.json" 2>"$DYNTABLE_TEST_DIR/err" >/dev/null
check "no BillingMode, no ProvisionedThroughput: exit 4, PROVISIONED needs it, nothing sent" \
	test $? -eq 4 -a "$(sent CreateTable)" = "$n"
grep -q "ProvisionedThroughput: required when BillingMode is PROVISIONED" "$DYNTABLE_TEST_DIR/err" || { echo "FAIL: message"; fail=$((fail + 1)); }
jq '. + {"ProvisionedThroughput": {"ReadCapacityUnits": 2, "WriteCapacityUnits": 3}}' "$DYNTABLE_TEST_DIR/noprov.json" >"$DYNTABLE_TEST_DIR/prov.json"
"$ctl" create --input-json "$DYNTABLE_TEST_DIR/prov.json" --wait >/dev/null
check "no BillingMode with ProvisionedThroughput: accepted, sent with BillingMode PROVISIONED" test $? -eq 0 -a \
	"$(last_body CreateTable)" = "$(jq -cS '. + {BillingMode: "PROVISIONED"}' "$DYNTABLE_TEST_DIR/prov.json")"
check "... and DynamoDB made it PROVISIONED 2/3" \
	call describe_table "{\"name\":\"$p-nb\"}" '.result.table.ProvisionedThroughput | .ReadCapacityUnits == 2 and .WriteCapacityUnits == 3'
n=$(sent CreateTable)
jq '.ProvisionedThroughput.ReadCapacityUnits = 40001 | .TableName = "'"$p"'-cap"' "$DYNTABLE_TEST_DIR/prov.json" >"$DYNTABLE_TEST_DIR/cap.json"
"$ctl" create --input-json "$DYNTABLE_TEST_DIR/cap.json" >/dev/null 2>"$DYNTABLE_TEST_DIR/err"
check "capacity above 40,000: exit 4, refused before sending" test $? -eq 4 -a "$(sent CreateTable)" = "$n"

# ---- update_table: each rule refused (nothing sent), then accepted --------
"$ctl" create "$p-u" --pk pk:S --billing-mode PROVISIONED --rcu 5 --wcu 5 --wait >/dev/null
u=$p-u
refuse() { # refuse WHAT UPDATE MESSAGE
	local before
	before=$(sent UpdateTable)
	check "update_table refused: $1" call update_table "{\"name\":\"$u\",\"update\":$2}" \
		".error.name == \"INVALID\" and (.error.message | contains(\"$3\"))"
	check "... nothing sent" test "$(sent UpdateTable)" = "$before"
}
accept() { # accept WHAT UPDATE: answered ok, the body sent is the update plus TableName
	check "update_table accepted: $1" call update_table "{\"name\":\"$u\",\"update\":$2,\"wait\":true}" '.ok'
	check "... the exact body sent" test "$(last_body UpdateTable)" = "$(jq -cS --arg t "$u" '. + {TableName: $t}' <<<"$2")"
}
GD='"AttributeDefinitions":[{"AttributeName":"g","AttributeType":"S"}]'
CG='{"Create":{"IndexName":"by-g","KeySchema":[{"AttributeName":"g","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"},"ProvisionedThroughput":{"ReadCapacityUnits":1,"WriteCapacityUnits":1}}}'
refuse "nothing to update" '{}' "nothing to update"
refuse "AttributeDefinitions alone" "{$GD}" "nothing to update"
refuse "TableName in the update" '{"TableName":"x","TableClass":"STANDARD"}' "TableName: give the table as the request's name"
refuse "a member it does not know" '{"ReplicaUpdates":[]}' "ReplicaUpdates: unknown member"
refuse "PROVISIONED without ProvisionedThroughput" '{"BillingMode":"PROVISIONED"}' "ProvisionedThroughput: required when switching BillingMode to PROVISIONED"
refuse "ProvisionedThroughput with PAY_PER_REQUEST" '{"BillingMode":"PAY_PER_REQUEST","ProvisionedThroughput":{"ReadCapacityUnits":1,"WriteCapacityUnits":1}}' "ProvisionedThroughput: not allowed when BillingMode is PAY_PER_REQUEST"
refuse "capacity above 40,000" '{"ProvisionedThroughput":{"ReadCapacityUnits":40001,"WriteCapacityUnits":1}}' "40001 is above"
refuse "OnDemandThroughput ceilings under PROVISIONED" '{"BillingMode":"PROVISIONED","ProvisionedThroughput":{"ReadCapacityUnits":1,"WriteCapacityUnits":1},"OnDemandThroughput":{"MaxReadRequestUnits":5}}' "OnDemandThroughput: only with BillingMode PAY_PER_REQUEST"
refuse "empty OnDemandThroughput" '{"OnDemandThroughput":{}}' "OnDemandThroughput: give"
refuse "WarmThroughput 0" '{"WarmThroughput":{"ReadUnitsPerSecond":0}}' "WarmThroughput.ReadUnitsPerSecond: must be an integer >= 1"
refuse "two index creations/deletions in one call" "{$GD,\"GlobalSecondaryIndexUpdates\":[$CG,{\"Delete\":{\"IndexName\":\"old\"}}]}" "creates or deletes one global secondary index per UpdateTable"
refuse "a new index's attribute undefined" "{\"GlobalSecondaryIndexUpdates\":[$CG]}" "AttributeDefinitions: required to define the new index's key attributes"
refuse "a new index without capacity under PROVISIONED" "{\"BillingMode\":\"PROVISIONED\",\"ProvisionedThroughput\":{\"ReadCapacityUnits\":1,\"WriteCapacityUnits\":1},$GD,\"GlobalSecondaryIndexUpdates\":[{\"Create\":{\"IndexName\":\"by-g\",\"KeySchema\":[{\"AttributeName\":\"g\",\"KeyType\":\"HASH\"}],\"Projection\":{\"ProjectionType\":\"ALL\"}}}]}" "required for index \\\"by-g\\\" when BillingMode is PROVISIONED"
refuse "an index Update that changes nothing" '{"GlobalSecondaryIndexUpdates":[{"Update":{"IndexName":"by-g"}}]}' "give ProvisionedThroughput, OnDemandThroughput or WarmThroughput"
refuse "an element with two actions" '{"GlobalSecondaryIndexUpdates":[{"Delete":{"IndexName":"by-g"},"Update":{"IndexName":"by-g"}}]}' "one of Create, Update or Delete per element"
refuse "a stream without its view" '{"StreamSpecification":{"StreamEnabled":true}}' "StreamViewType: required with StreamEnabled"
refuse "a bad table class" '{"TableClass":"COLD"}' "TableClass: must be STANDARD or STANDARD_INFREQUENT_ACCESS"
refuse "SSE key without Enabled" '{"SSESpecification":{"KMSMasterKeyId":"k"}}' "need Enabled true"
refuse "DeletionProtectionEnabled not a bool" '{"DeletionProtectionEnabled":"yes"}' "DeletionProtectionEnabled: must be true or false"
before=$(sent UpdateTable)
check "update_table refused: update missing" call update_table "{\"name\":\"$u\"}" '.error.name == "INVALID" and .error.message == "update: missing"'
check "update_table refused: update not a map" call update_table "{\"name\":\"$u\",\"update\":[]}" '.error.name == "INVALID" and .error.message == "update: must be a map"'
check "... nothing sent" test "$(sent UpdateTable)" = "$before"

accept "ProvisionedThroughput" '{"ProvisionedThroughput":{"ReadCapacityUnits":7,"WriteCapacityUnits":6}}'
check "... DescribeTable shows 7/6" call describe_table "{\"name\":\"$u\"}" '.result.table.ProvisionedThroughput | .ReadCapacityUnits == 7 and .WriteCapacityUnits == 6'

# ---- a GSI's capacity updated with wait ---------------------------------------
# dynalite updates a GSI's throughput (IndexStatus UPDATING, then ACTIVE)
# but neither creates nor deletes GSIs in UpdateTable: that is
# test_update_moto.sh's.
"$ctl" create "$p-g" --pk pk:S --gsi name=by-g,pk=g:S --billing-mode PROVISIONED --rcu 1 --wcu 1 --wait >/dev/null
d0=$(sent DescribeTable)
check "GSI Update with wait: answered once by-g is ACTIVE again, with its new capacity" \
	call update_table "{\"name\":\"$p-g\",\"update\":{\"GlobalSecondaryIndexUpdates\":[{\"Update\":{\"IndexName\":\"by-g\",\"ProvisionedThroughput\":{\"ReadCapacityUnits\":4,\"WriteCapacityUnits\":3}}}]},\"wait\":true}" \
	'.ok and .result.table.TableStatus == "ACTIVE" and (.result.table.GlobalSecondaryIndexes[0] | .IndexStatus == "ACTIVE" and .ProvisionedThroughput.ReadCapacityUnits == 4)'
check "... the daemon polled DescribeTable while by-g was UPDATING" test $(($(sent DescribeTable) - d0)) -ge 1
check "... DescribeTable agrees" call describe_table "{\"name\":\"$p-g\"}" \
	'.result.table.GlobalSecondaryIndexes[0] | .IndexStatus == "ACTIVE" and .ProvisionedThroughput.WriteCapacityUnits == 3'

# ---- 50 concurrent waiters on one update: one poller ------------------------
"$ctl" create "$p-w" --pk pk:S --billing-mode PROVISIONED --rcu 1 --wcu 1 --wait >/dev/null
check "update_table without wait: answered UPDATING" call update_table "{\"name\":\"$p-w\",\"update\":{\"ProvisionedThroughput\":{\"ReadCapacityUnits\":2,\"WriteCapacityUnits\":2}}}" \
	'.result.table.TableStatus == "UPDATING"'
d0=$(sent DescribeTable)
# 50 wait_table_active in flight at once on one connection (dtcall
# --pipeline): shared or not, each is a waiter of its own in the daemon.
"$dtcall" --repeat 50 --pipeline 1 "$sock" wait_table_active "{\"name\":\"$p-w\"}" >"$DYNTABLE_TEST_DIR/w.out" &
pids=($!)
# The daemon's status while they wait: the most waiters seen, and the
# pollers then.
echo '{"result":{"waiters":0,"pollers":0}}' >"$DYNTABLE_TEST_DIR/status.out"
for _ in $(seq 60); do
	"$dtcall" "$sock" status '{}' | tail -n 1 >"$DYNTABLE_TEST_DIR/st.out"
	if [ "$(jq .result.waiters "$DYNTABLE_TEST_DIR/st.out")" -gt "$(jq .result.waiters "$DYNTABLE_TEST_DIR/status.out")" ]; then
		cp "$DYNTABLE_TEST_DIR/st.out" "$DYNTABLE_TEST_DIR/status.out"
	fi
	[ "$(jq .result.waiters "$DYNTABLE_TEST_DIR/status.out")" -ge 50 ] && break
	sleep 0.05
done
cp "$DYNTABLE_TEST_DIR/status.out" "$DYNTABLE_TEST_DIR/last.out"
for pid in "${pids[@]}"; do wait "$pid"; done
check "50 waiters on one update at once: one poller" \
	jq -e '.result.pollers == 1 and .result.waiters == 50' "$DYNTABLE_TEST_DIR/status.out"
check "... all 50 answered ACTIVE with the new capacity" \
	test "$(jq -s 'map(select(.ok and .result.table.TableStatus == "ACTIVE" and .result.table.ProvisionedThroughput.ReadCapacityUnits == 2)) | length' "$DYNTABLE_TEST_DIR/w.out")" = 50
# One poller polls every 50-100 ms on loopback (--poll-min-ms 50,
# --poll-max-ms 100 by default there), whatever its waiters: its calls
# never come closer than the jitter allows (37 ms); 50 pollers' would.
nd=$(($(sent DescribeTable) - d0))
gap=$(jq -s --arg t "$p-w" --argjson d0 "$d0" '[.[] | select(.target == "DynamoDB_20120810.DescribeTable")] | .[$d0:] | map(select(.body.TableName == $t) | .t) | [range(1; length) as $i | .[$i] - .[$i - 1]] | min' "$requests")
echo "      DescribeTable calls while the 50 waited: $nd, the closest two $gap ms apart"
# 50 pollers would poll at once, 50 calls at least, some 0 ms apart.
one_poller() { [ "$nd" -lt 50 ] && { [ "$gap" = null ] || [ "$gap" -ge 30 ]; }; }
check "... at the cost of one poller: fewer than 50 calls, none closer than 30 ms" one_poller

# ---- tags, by table name ---------------------------------------------------
check "tag_resource: ok" call tag_resource "{\"name\":\"$u\",\"tags\":[{\"Key\":\"team\",\"Value\":\"a\"},{\"Key\":\"env\",\"Value\":\"ci\"}]}" '.ok and .result == {}'
arn=$(jq -r --arg t "$u" 'select(.target == "DynamoDB_20120810.DescribeTable" and .body.TableName == $t)' "$requests" >/dev/null; "$dtcall" "$sock" describe_table "{\"name\":\"$u\"}" | jq -r .result.table.TableArn)
check "... sent to the table's ARN" test "$(last_body TagResource)" = "$(jq -cn --arg a "$arn" '{ResourceArn: $a, Tags: [{Key: "team", Value: "a"}, {Key: "env", Value: "ci"}]}' | jq -cS .)"
check "list_tags_of_resource: both" call list_tags_of_resource "{\"name\":\"$u\"}" '.result.tags | map(.Key) | sort == ["env", "team"]'
check "untag_resource: ok" call untag_resource "{\"name\":\"$u\",\"tag_keys\":[\"env\"]}" '.ok'
check "... sent as UntagResource on the ARN" test "$(last_body UntagResource)" = "$(jq -cn --arg a "$arn" '{ResourceArn: $a, TagKeys: ["env"]}' | jq -cS .)"
check "list_tags_of_resource: team only" call list_tags_of_resource "{\"name\":\"$u\"}" '.result.tags == [{"Key": "team", "Value": "a"}]'
n=$(sent TagResource)
check "tag_resource refused: 51 tags" call tag_resource "{\"name\":\"$u\",\"tags\":$(jq -cn '[range(51) | {Key: "k\(.)", Value: "v"}]')}" '.error.name == "INVALID" and (.error.message | contains("Tags: must be a list of 1 to 50"))'
check "tag_resource refused: a tag without Value" call tag_resource "{\"name\":\"$u\",\"tags\":[{\"Key\":\"a\"}]}" '.error.name == "INVALID" and (.error.message | contains("Tags[0].Value"))'
check "untag_resource refused: no keys" call untag_resource "{\"name\":\"$u\",\"tag_keys\":[]}" '.error.name == "INVALID" and (.error.message | contains("tag_keys: must be a list of 1 to 50"))'
check "... nothing sent" test "$(sent TagResource)" = "$n"
check "list_tags_of_resource: a missing table is NOT_FOUND" call list_tags_of_resource '{"name":"no-such-tags"}' '.error.name == "NOT_FOUND"'
check "describe_time_to_live (dynalite): DISABLED" call describe_time_to_live "{\"name\":\"$u\"}" '.result.time_to_live.TimeToLiveStatus == "DISABLED"'
n=$(sent UpdateTimeToLive)
check "update_time_to_live refused: no AttributeName" call update_time_to_live "{\"name\":\"$u\",\"time_to_live\":{\"Enabled\":true}}" '.error.name == "INVALID" and (.error.message | contains("time_to_live.AttributeName: missing"))'
check "update_continuous_backups refused: 36 days" call update_continuous_backups "{\"name\":\"$u\",\"point_in_time_recovery\":{\"PointInTimeRecoveryEnabled\":true,\"RecoveryPeriodInDays\":36}}" '.error.name == "INVALID" and (.error.message | contains("RecoveryPeriodInDays: an integer from 1 to 35"))'
check "... nothing sent" test "$(sent UpdateTimeToLive)" = "$n" -a "$(sent UpdateContinuousBackups)" = 0

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
