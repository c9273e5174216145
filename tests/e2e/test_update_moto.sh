#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What dynalite lacks, against moto's server (harness.sh with
# DYNTABLE_TEST_BACKEND=moto): UpdateTimeToLive, continuous backups, and
# table class, SSE and streams as DescribeTable reports them after an
# update_table; the filled AWS CLI skeleton accepted by moto too.
#   test_update_moto.sh DTCALL DYNTABLECTL DATA_DIR
set -u
dtcall=$1 ctl=$2 data=$3
sock=${DYNTABLE_SOCKET:?run me through harness.sh}
requests=${DYNTABLE_TEST_REQUESTS:?run me through harness.sh}
[ "${DYNTABLE_TEST_BACKEND:-}" = moto ] || { echo "run me with DYNTABLE_TEST_BACKEND=moto" >&2; exit 2; }
pass=0 fail=0
check() { local what=$1; shift; if "$@"; then echo "PASS: $what"; pass=$((pass + 1)); else echo "FAIL: $what"; fail=$((fail + 1)); sed "s/^/      last: /" "$DYNTABLE_TEST_DIR/last.out" 2>/dev/null | cut -c1-1500; fi; }
call() { "$dtcall" "$sock" "$1" "$2" | tail -n 1 | tee "$DYNTABLE_TEST_DIR/last.out" | jq -e "$3" >/dev/null; }
last_body() { jq -cS --arg t "DynamoDB_20120810.$1" 'select(.target == $t) | .body' "$requests" | tail -n 1; }
t="moto-$$"

"$ctl" create --input-json "$data/create-table-filled.json" >/dev/null
check "the filled AWS CLI skeleton: moto accepts what the daemon sends" test $? -eq 0
"$ctl" create "$t" --pk pk:S --wait >/dev/null
check "create $t" test $? -eq 0

# ---- TTL ---------------------------------------------------------------------
check "update_time_to_live: enable on exp" call update_time_to_live "{\"name\":\"$t\",\"time_to_live\":{\"Enabled\":true,\"AttributeName\":\"exp\"}}" \
	'.result.time_to_live == {"Enabled": true, "AttributeName": "exp"}'
check "... sent as UpdateTimeToLive" test "$(last_body UpdateTimeToLive)" = "$(jq -cnS --arg t "$t" '{TableName: $t, TimeToLiveSpecification: {Enabled: true, AttributeName: "exp"}}')"
check "describe_time_to_live: ENABLED on exp" call describe_time_to_live "{\"name\":\"$t\"}" \
	'.result.time_to_live.TimeToLiveStatus == "ENABLED" and .result.time_to_live.AttributeName == "exp"'

# ---- point-in-time recovery --------------------------------------------------
check "describe_continuous_backups: PITR DISABLED at first" call describe_continuous_backups "{\"name\":\"$t\"}" \
	'.result.continuous_backups.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus == "DISABLED"'
check "update_continuous_backups: enable" call update_continuous_backups "{\"name\":\"$t\",\"point_in_time_recovery\":{\"PointInTimeRecoveryEnabled\":true}}" \
	'.result.continuous_backups.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus == "ENABLED"'
check "... sent as UpdateContinuousBackups" test "$(last_body UpdateContinuousBackups)" = "$(jq -cnS --arg t "$t" '{TableName: $t, PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true}}')"
check "describe_continuous_backups: ENABLED" call describe_continuous_backups "{\"name\":\"$t\"}" \
	'.result.continuous_backups.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus == "ENABLED"'

# ---- update_table: table class, SSE, streams, deletion protection ----------
up='{"TableClass":"STANDARD_INFREQUENT_ACCESS","StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_AND_OLD_IMAGES"},"DeletionProtectionEnabled":true}'
check "update_table: class, stream, deletion protection, with wait" call update_table "{\"name\":\"$t\",\"update\":$up,\"wait\":true}" '.ok'
check "... the exact body sent" test "$(last_body UpdateTable)" = "$(jq -cS --arg t "$t" '. + {TableName: $t}' <<<"$up")"
# moto reports the stream and deletion protection after an update; it
# takes TableClass and SSESpecification but does not report them back
# (so those are checked on the recorded request only).
check "... DescribeTable: StreamSpecification, DeletionProtectionEnabled" call describe_table "{\"name\":\"$t\"}" \
	'.result.table | .StreamSpecification.StreamViewType == "NEW_AND_OLD_IMAGES" and .DeletionProtectionEnabled == true'
check "update_table: SSE to the AWS managed key" call update_table "{\"name\":\"$t\",\"update\":{\"SSESpecification\":{\"Enabled\":true,\"SSEType\":\"KMS\"}}}" '.ok'
check "... the exact body sent" test "$(last_body UpdateTable)" = "$(jq -cnS --arg t "$t" '{TableName: $t, SSESpecification: {Enabled: true, SSEType: "KMS"}}')"

# ---- a GSI added, then deleted (moto; dynalite does neither) ----------------
GD='"AttributeDefinitions":[{"AttributeName":"g","AttributeType":"S"}]'
CG='{"Create":{"IndexName":"by-g","KeySchema":[{"AttributeName":"g","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"}}}'
check "GSI create with wait: by-g listed and ACTIVE" \
	call update_table "{\"name\":\"$t\",\"update\":{$GD,\"GlobalSecondaryIndexUpdates\":[$CG]},\"wait\":true}" \
	'.ok and .result.table.TableStatus == "ACTIVE" and ([.result.table.GlobalSecondaryIndexes[] | select(.IndexName == "by-g") | .IndexStatus] == ["ACTIVE"])'
check "... the exact body sent" test "$(last_body UpdateTable)" = "$(jq -cS --arg t "$t" ". + {TableName: \$t}" <<<"{$GD,\"GlobalSecondaryIndexUpdates\":[$CG]}")"
check "... DescribeTable agrees: by-g ACTIVE" call describe_table "{\"name\":\"$t\"}" \
	'[.result.table.GlobalSecondaryIndexes[] | select(.IndexName == "by-g") | .IndexStatus] == ["ACTIVE"]'
check "GSI delete with wait: by-g gone" \
	call update_table "{\"name\":\"$t\",\"update\":{\"GlobalSecondaryIndexUpdates\":[{\"Delete\":{\"IndexName\":\"by-g\"}}]},\"wait\":true}" \
	'.ok and ((.result.table.GlobalSecondaryIndexes // []) | map(.IndexName) | index("by-g") == null)'
check "... DescribeTable agrees: no by-g" call describe_table "{\"name\":\"$t\"}" \
	'(.result.table.GlobalSecondaryIndexes // []) | map(.IndexName) | index("by-g") == null'
check "delete with deletion protection on: DynamoDB refuses" call delete_table "{\"name\":\"$t\"}" '.error.name == "AWS"'
check "update_table: deletion protection off" call update_table "{\"name\":\"$t\",\"update\":{\"DeletionProtectionEnabled\":false}}" '.ok'
check "delete: ok" call delete_table "{\"name\":\"$t\"}" '.ok'

# ---- dyntablectl's verbs (libdyntable's blocking calls) --------------------
c=$t-cli
"$ctl" create "$c" --pk pk:S --wait >/dev/null
echo "{\"TableName\":\"$c\",\"StreamSpecification\":{\"StreamEnabled\":true,\"StreamViewType\":\"KEYS_ONLY\"}}" >"$DYNTABLE_TEST_DIR/u.json"
"$ctl" update "$c" --input-json "$DYNTABLE_TEST_DIR/u.json" --wait --json >"$DYNTABLE_TEST_DIR/out"
check "update --input-json --wait --json: exit 0, TableDescription with the stream" \
	jq -e '.TableDescription.StreamSpecification.StreamViewType == "KEYS_ONLY"' "$DYNTABLE_TEST_DIR/out"
check "... sent without the file's TableName twice: TableName + StreamSpecification" \
	test "$(last_body UpdateTable)" = "$(jq -cS . "$DYNTABLE_TEST_DIR/u.json")"
echo '{"TableName":"not-it","TableClass":"STANDARD"}' >"$DYNTABLE_TEST_DIR/u2.json"
"$ctl" update "$c" --input-json "$DYNTABLE_TEST_DIR/u2.json" 2>"$DYNTABLE_TEST_DIR/err" >/dev/null
check "update: a file naming another table: exit 4" test $? -eq 4
"$ctl" ttl "$c" --on --attribute exp >/dev/null
check "ttl --on --attribute exp: exit 0" test $? -eq 0
"$ctl" ttl "$c" --off >/dev/null 2>&1
check "ttl --off without --attribute: usage, exit 2" test $? -eq 2
"$ctl" tag "$c" --tag team=a --tag env=ci >/dev/null && "$ctl" untag "$c" --key env >/dev/null
check "tag, untag: exit 0" test $? -eq 0
"$ctl" tags "$c" >"$DYNTABLE_TEST_DIR/out"
check "tags: team=a alone" grep -qx 'Tags: *team=a' "$DYNTABLE_TEST_DIR/out"
"$ctl" pitr "$c" --on --days 7 >/dev/null
check "pitr --on --days 7: exit 0" test $? -eq 0
"$ctl" describe "$c" --all >"$DYNTABLE_TEST_DIR/out"
check "describe --all: TTL, tags and PITR lines" grep -q "^TTL: *ENABLED (attribute exp)" "$DYNTABLE_TEST_DIR/out"
grep -q "^PITR period: *7 days" "$DYNTABLE_TEST_DIR/out" || { echo "FAIL: PITR period line"; fail=$((fail + 1)); }
"$ctl" describe "$c" --all --json >"$DYNTABLE_TEST_DIR/out"
check "describe --all --json: the AWS CLI's four outputs" jq -e --arg c "$c" '(keys == ["ContinuousBackupsDescription", "Table", "Tags", "TimeToLiveDescription"]) and .Table.TableName == $c and .TimeToLiveDescription.AttributeName == "exp" and .Tags == [{"Key": "team", "Value": "a"}] and .ContinuousBackupsDescription.PointInTimeRecoveryDescription.RecoveryPeriodInDays == 7' "$DYNTABLE_TEST_DIR/out"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
