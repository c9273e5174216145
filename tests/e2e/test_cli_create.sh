#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# End-to-end test of `dyntablectl create`'s whole CreateTable surface:
# every flag, --gsi/--lsi SPECs, --input-json, --model and --dry-run.
#
#   test_cli_create.sh PATH/TO/dyntablectl
#
# Run it through the harness, which starts dynalite, its recording proxy
# and the daemon, and exports what this script reads:
#   tests/e2e/harness.sh BUILD/daemon/dyntabled -- \
#       bash tests/e2e/test_cli_create.sh BUILD/client/dyntablectl
#
#   DYNTABLE_SOCKET         the daemon's socket (required)
#   DYNTABLE_TEST_REQUESTS  JSONL, one object per request the daemon sent
#                           to DynamoDB, with "target" and "body" (required)
#   DYNTABLE_TEST_DIR       where to write input files (else a temporary
#                           directory)
#
# What reaches the endpoint is read from DYNTABLE_TEST_REQUESTS: dynalite
# accepts TableClass, SSESpecification, StreamSpecification, Tags and
# DeletionProtectionEnabled but does not report them, so those are checked
# there only; keys, indexes, billing and capacities are checked in both.
# Needs jq. Prints one PASS/FAIL line per check, then "N passed, N failed";
# exits 1 if any check failed.
set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 PATH/TO/dyntablectl" >&2
	exit 2
fi
ctl=$1
if [ ! -x "$ctl" ]; then
	echo "$0: no executable at $ctl" >&2
	exit 2
fi
if [ -z "${DYNTABLE_SOCKET:-}" ] || [ ! -f "${DYNTABLE_TEST_REQUESTS:-}" ]; then
	echo "$0: DYNTABLE_SOCKET or DYNTABLE_TEST_REQUESTS is not set; run me through tests/e2e/harness.sh" >&2
	exit 2
fi
requests=$DYNTABLE_TEST_REQUESTS
if ! command -v jq >/dev/null 2>&1; then
	echo "$0: needs jq (scripts/setup-debian.sh installs it)" >&2
	exit 2
fi

tmp=$(mktemp -d /tmp/dyntable-cli-create.XXXXXX) || exit 2
files=${DYNTABLE_TEST_DIR:-$tmp}
prefix="clc-$$-$RANDOM"
created=() # tables this run may have made, deleted on exit
passed=0
failed=0
bogus=/nonexistent/dyntable.sock

# ---- helpers -------------------------------------------------------------------

pass() { passed=$((passed + 1)); printf 'PASS: %s\n' "$1"; }
# fail NAME [WHY]: also shows the last command's exit status and output.
fail() {
	failed=$((failed + 1))
	printf 'FAIL: %s%s\n' "$1" "${2:+ ($2)}"
	printf '      last: dyntablectl %s -> exit %s\n' "$last" "$rc"
	sed 's/^/      stdout: /' "$tmp/out" | head -n 40
	sed 's/^/      stderr: /' "$tmp/err"
	return 1
}
# COND; check NAME: PASS if the condition just tested held.
check() {
	local st=$?
	if [ "$st" -eq 0 ]; then pass "$1"; else fail "$1"; fi
}

# run ARGS...: runs dyntablectl; sets rc, and its output in $tmp/out, err.
run() {
	last="$*"
	timeout -k 2 20 "$ctl" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}
# runin FILE ARGS...: the same with FILE on standard input.
runin() {
	local f=$1
	shift
	last="$* <$f"
	timeout -k 2 20 "$ctl" "$@" <"$f" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

rc_is() { [ "$rc" -eq "$1" ]; }
err_has() { grep -Eq -- "$1" "$tmp/err"; }
err_oneline() { [ "$(wc -l <"$tmp/err")" -eq 1 ]; }
out_has() { grep -Eq -- "$1" "$tmp/out"; }

# creates: how many CreateTable requests the daemon has sent so far.
creates() { grep -c '"target": *"DynamoDB_20120810.CreateTable"' "$requests"; }

# body TABLE: the last CreateTable body (compact JSON) sent for TABLE.
body() {
	jq -c --arg t "$1" 'select(.target == "DynamoDB_20120810.CreateTable")
		| .body | objects | select(.TableName == $t)' "$requests" | tail -n 1
}
# member TABLE FILTER: FILTER applied to TABLE's CreateTable body, compact,
# keys sorted ("null" when absent, "" when no such request).
member() { body "$1" | jq -cS "$2"; }
# is_member TABLE FILTER EXPECTED: member equals EXPECTED (compact JSON,
# keys sorted); prints the body when not.
is_member() {
	local got
	got=$(member "$1" "$2")
	[ "$got" = "$3" ] && return 0
	printf '      %s: got %s\n      want %s\n' "$2" "$got" "$3"
	return 1
}
# norm: a CreateTableInput without its TableName, AttributeDefinitions in
# name order (their order means nothing), keys sorted.
norm() { jq -cS 'del(.TableName) | .AttributeDefinitions |= sort_by(.AttributeName)'; }
# desc TABLE FILTER: FILTER applied to `describe TABLE --json`.
desc() { "$ctl" describe "$1" --json | jq -cS "$2"; }
# What describe says about a table's keys, indexes and capacity, without
# names that hold the table's (ARNs). DynamoDB leaves BillingModeSummary
# out for a table that was always PROVISIONED.
schema='.Table | {KeySchema,
	AttributeDefinitions: (.AttributeDefinitions | sort_by(.AttributeName)),
	Billing: (.BillingModeSummary.BillingMode // "PROVISIONED"),
	Capacity: [.ProvisionedThroughput.ReadCapacityUnits, .ProvisionedThroughput.WriteCapacityUnits],
	GSIs: [.GlobalSecondaryIndexes[]? | {IndexName, KeySchema, Projection,
		Capacity: [.ProvisionedThroughput.ReadCapacityUnits, .ProvisionedThroughput.WriteCapacityUnits]}],
	LSIs: [.LocalSecondaryIndexes[]? | {IndexName, KeySchema, Projection}]}'

# mk NAME...: registers tables for the cleanup.
mk() { created+=("$@"); }

# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	local t st
	for t in "${created[@]}"; do
		st=$(timeout 10 "$ctl" exists "$t" 2>/dev/null) || continue
		case $st in
		*"does not exist") ;;
		*"(DELETING)") timeout 15 "$ctl" wait "$t" --deleted --timeout 10 ;;
		*)
			timeout 15 "$ctl" wait "$t" --timeout 10
			timeout 15 "$ctl" delete "$t" --wait --timeout 10
			;;
		esac >/dev/null 2>&1 || echo "note: could not delete table $t" >&2
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

# invalid NAME FIELD ARGS...: `create ARGS` must exit 4 with one stderr line
# "dyntablectl: create ...: INVALID: ..." naming FIELD, and send nothing.
# FIELD is the CreateTableInput member the daemon names, or for flags and
# models the libdyntable field its own check names (gsis[0]...).
invalid() {
	local name=$1 field=$2 before
	shift 2
	before=$(creates)
	run create "$@"
	rc_is 4 && err_oneline && err_has "^dyntablectl: create [^:]*: INVALID: .*$field" &&
		[ "$(creates)" = "$before" ]
	check "invalid: $name: exit 4, one line naming $field, no request"
}
# usage NAME PATTERN ARGS...: `create ARGS` must exit 2, stderr matching
# PATTERN, before any connection (the socket is bogus).
usage() {
	local name=$1 pat=$2
	shift 2
	run --socket "$bogus" create "$@"
	rc_is 2 && err_has "$pat"
	check "usage: $name: exit 2"
}

# ---- help ------------------------------------------------------------------------

run create --help
rc_is 0 && out_has "--gsi SPEC" && out_has "--lsi SPEC" &&
	out_has "name=NAME,pk=ATTR:TYPE\[\+ATTR:TYPE\.\.\.\]" &&
	out_has "name=NAME,sk=ATTR:TYPE" && out_has "--input-json FILE" &&
	out_has "--model FILE" && out_has "docs/MODEL.md" && out_has "--dry-run" &&
	out_has "--encryption KEY_TYPE" && out_has "CUSTOMER_MANAGED" &&
	out_has "--kms-key-id KEY" && out_has "--tag KEY=VALUE" &&
	out_has "--stream VIEW_TYPE" && out_has "--deletion-protection" &&
	out_has "--table-class CLASS" && out_has "^Exit status"
check "create --help documents every flag and the SPEC syntax"

# ---- defaults: nothing optional is sent ----------------------------------------------

t=$prefix-plain
mk "$t"
run create "$t" --pk pk:S
rc_is 0 &&
	is_member "$t" . '{"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"TableName":"'"$t"'"}'
check "defaults: exactly TableName, KeySchema, AttributeDefinitions, BillingMode (no SSESpecification: AWS owned key)"

# ---- one flag at a time: the member that reached the endpoint ---------------------------

t=$prefix-class
mk "$t"
run create "$t" --pk pk:S --table-class STANDARD_INFREQUENT_ACCESS
rc_is 0 && is_member "$t" .TableClass '"STANDARD_INFREQUENT_ACCESS"'
check "--table-class STANDARD_INFREQUENT_ACCESS: TableClass sent"
t=$prefix-class-std
mk "$t"
run create "$t" --pk pk:S --table-class standard
rc_is 0 && is_member "$t" .TableClass '"STANDARD"'
check "--table-class standard (any case): TableClass STANDARD sent"

t=$prefix-sse-owned
mk "$t"
run create "$t" --pk pk:S --encryption AWS_OWNED
rc_is 0 && is_member "$t" 'has("SSESpecification")' false
check "--encryption AWS_OWNED: no SSESpecification sent"
t=$prefix-sse-managed
mk "$t"
run create "$t" --pk pk:S --encryption AWS_MANAGED
rc_is 0 && is_member "$t" .SSESpecification '{"Enabled":true,"SSEType":"KMS"}'
check "--encryption AWS_MANAGED: SSESpecification Enabled, KMS, no key"
t=$prefix-sse-cmk
key=arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab
mk "$t"
run create "$t" --pk pk:S --encryption CUSTOMER_MANAGED --kms-key-id "$key"
rc_is 0 && is_member "$t" .SSESpecification '{"Enabled":true,"KMSMasterKeyId":"'"$key"'","SSEType":"KMS"}'
check "--encryption CUSTOMER_MANAGED --kms-key-id: SSESpecification with the key"

before=$(creates)
for enc in "" "--encryption AWS_MANAGED" "--encryption AWS_OWNED"; do
	# shellcheck disable=SC2086 # $enc is two words or none
	run create "$prefix-kms" --pk pk:S $enc --kms-key-id alias/mine
	rc_is 2 && err_has "--kms-key-id needs --encryption CUSTOMER_MANAGED"
	check "--kms-key-id with ${enc:-no --encryption}: exit 2"
done
run create "$prefix-kms" --pk pk:S --encryption CUSTOMER_MANAGED
rc_is 2 && err_has "needs --kms-key-id"
check "--encryption CUSTOMER_MANAGED without --kms-key-id: exit 2"
[ "$(creates)" = "$before" ]
check "--kms-key-id misuse: no CreateTable sent"

t=$prefix-tags
mk "$t"
run create "$t" --pk pk:S --tag env=test --tag "owner=team a" --tag empty= --tag "k=v=w"
rc_is 0 && is_member "$t" .Tags '[{"Key":"env","Value":"test"},{"Key":"owner","Value":"team a"},{"Key":"empty","Value":""},{"Key":"k","Value":"v=w"}]'
check "--tag (4 times): Tags in order, empty value, '=' in a value"

t=$prefix-stream
mk "$t"
run create "$t" --pk pk:S --stream NEW_AND_OLD_IMAGES
rc_is 0 && is_member "$t" .StreamSpecification '{"StreamEnabled":true,"StreamViewType":"NEW_AND_OLD_IMAGES"}'
check "--stream NEW_AND_OLD_IMAGES: StreamSpecification sent"

t=$prefix-protect
mk "$t"
run create "$t" --pk pk:S --deletion-protection
rc_is 0 && is_member "$t" .DeletionProtectionEnabled true
check "--deletion-protection: DeletionProtectionEnabled true sent"

# Every value of the enumerated flags, through --dry-run (nothing sent).
before=$(creates)
for v in NEW_IMAGE OLD_IMAGE NEW_AND_OLD_IMAGES KEYS_ONLY; do
	run --socket "$bogus" create "$prefix-dry" --pk pk:S --stream "$v" --dry-run
	rc_is 0 && [ "$(jq -c .StreamSpecification <"$tmp/out")" = '{"StreamEnabled":true,"StreamViewType":"'"$v"'"}' ]
	check "--dry-run --stream $v"
done
for v in STANDARD STANDARD_INFREQUENT_ACCESS; do
	run --socket "$bogus" create "$prefix-dry" --pk pk:S --table-class "$v" --dry-run
	rc_is 0 && [ "$(jq -r .TableClass <"$tmp/out")" = "$v" ]
	check "--dry-run --table-class $v"
done
[ "$(creates)" = "$before" ]
check "--dry-run sends nothing"

# ---- billing and capacities --------------------------------------------------------------

t=$prefix-prov
mk "$t"
run create "$t" --pk pk:S --billing-mode PROVISIONED --rcu 3 --wcu 4 \
	--gsi name=by-a,pk=a:S --gsi name=by-b,pk=b:N,rcu=2,wcu=1 --gsi name=by-c,pk=c:S,wcu=6 --wait
rc_is 0
check "create PROVISIONED 3/4 with three GSIs --wait: exit 0"
is_member "$t" '[.BillingMode, .ProvisionedThroughput]' '["PROVISIONED",{"ReadCapacityUnits":3,"WriteCapacityUnits":4}]'
check "PROVISIONED: BillingMode and ProvisionedThroughput 3/4 sent"
is_member "$t" '[.GlobalSecondaryIndexes[].ProvisionedThroughput]' '[{"ReadCapacityUnits":3,"WriteCapacityUnits":4},{"ReadCapacityUnits":2,"WriteCapacityUnits":1},{"ReadCapacityUnits":3,"WriteCapacityUnits":6}]'
check "PROVISIONED: each GSI's ProvisionedThroughput sent, the table's by default"
[ "$(desc "$t" '[.Table.ProvisionedThroughput.ReadCapacityUnits, .Table.ProvisionedThroughput.WriteCapacityUnits, [.Table.GlobalSecondaryIndexes[] | [.IndexName, .ProvisionedThroughput.ReadCapacityUnits, .ProvisionedThroughput.WriteCapacityUnits]]]')" = \
	'[3,4,[["by-a",3,4],["by-b",2,1],["by-c",3,6]]]' ]
check "describe --json: table 3/4, GSIs 3/4, 2/1, 3/6"
run describe "$t"
rc_is 0 && out_has "^Global index: +by-b: b \(N\); projection ALL; 2 read, 1 write; ACTIVE$"
check "describe: a GSI's keys, projection, capacity and status"

t=$prefix-prov5
mk "$t"
run create "$t" --pk pk:S --billing-mode PROVISIONED --gsi name=by-a,pk=a:S
rc_is 0 && is_member "$t" '[.ProvisionedThroughput, .GlobalSecondaryIndexes[0].ProvisionedThroughput]' \
	'[{"ReadCapacityUnits":5,"WriteCapacityUnits":5},{"ReadCapacityUnits":5,"WriteCapacityUnits":5}]'
check "PROVISIONED without --rcu/--wcu: 5/5 for the table and its GSI"

t=$prefix-ondemand
mk "$t"
run create "$t" --pk pk:S --billing-mode pay_per_request --gsi name=by-a,pk=a:S
rc_is 0 && is_member "$t" '[.BillingMode, has("ProvisionedThroughput"), (.GlobalSecondaryIndexes[0] | has("ProvisionedThroughput"))]' '["PAY_PER_REQUEST",false,false]'
check "PAY_PER_REQUEST: no ProvisionedThroughput for the table or the GSI"

# ---- indexes --------------------------------------------------------------------------

t=$prefix-idx
mk "$t"
run create "$t" --pk pk:S --sk sk:N \
	--gsi name=by-email,pk=email:S,sk=created:N,projection=KEYS_ONLY \
	--gsi name=by-name,pk=name:S,projection=INCLUDE:email+age \
	--lsi name=by-created,sk=created:N \
	--lsi name=by-score,sk=score:B,projection=include:name --wait
rc_is 0
check "create with 2 GSIs and 2 LSIs --wait: exit 0"
is_member "$t" .GlobalSecondaryIndexes '[{"IndexName":"by-email","KeySchema":[{"AttributeName":"email","KeyType":"HASH"},{"AttributeName":"created","KeyType":"RANGE"}],"Projection":{"ProjectionType":"KEYS_ONLY"}},{"IndexName":"by-name","KeySchema":[{"AttributeName":"name","KeyType":"HASH"}],"Projection":{"NonKeyAttributes":["email","age"],"ProjectionType":"INCLUDE"}}]'
check "--gsi: GlobalSecondaryIndexes sent (keys, KEYS_ONLY, INCLUDE)"
is_member "$t" .LocalSecondaryIndexes '[{"IndexName":"by-created","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"created","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}},{"IndexName":"by-score","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"score","KeyType":"RANGE"}],"Projection":{"NonKeyAttributes":["name"],"ProjectionType":"INCLUDE"}}]'
check "--lsi: LocalSecondaryIndexes sent (table's HASH, own RANGE, ALL by default)"
is_member "$t" '.AttributeDefinitions | sort_by(.AttributeName)' '[{"AttributeName":"created","AttributeType":"N"},{"AttributeName":"email","AttributeType":"S"},{"AttributeName":"name","AttributeType":"S"},{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"score","AttributeType":"B"},{"AttributeName":"sk","AttributeType":"N"}]'
check "AttributeDefinitions: every key attribute once, nothing else"
[ "$(desc "$t" '[.Table.GlobalSecondaryIndexes[] | {IndexName, KeySchema, Projection}] | sort_by(.IndexName)')" = \
	"$(member "$t" '.GlobalSecondaryIndexes | sort_by(.IndexName)')" ]
check "describe --json: the GSIs as sent"
[ "$(desc "$t" '[.Table.LocalSecondaryIndexes[] | {IndexName, KeySchema, Projection}] | sort_by(.IndexName)')" = \
	"$(member "$t" '.LocalSecondaryIndexes | sort_by(.IndexName)')" ]
check "describe --json: the LSIs as sent"
run describe "$t"
rc_is 0 &&
	out_has "^Global index: +by-email: email \(S\), created \(N\); projection KEYS_ONLY; ACTIVE$" &&
	out_has "^Global index: +by-name: name \(S\); projection INCLUDE \(email, age\); ACTIVE$" &&
	out_has "^Local index: +by-created: pk \(S\), created \(N\); projection ALL$" &&
	out_has "^Local index: +by-score: pk \(S\), score \(B\); projection INCLUDE \(name\)$"
check "describe: every index with its keys and projection"

# Multi-attribute GSI keys: dynalite predates them and refuses more than
# two KeySchema elements, so only what was sent is checked.
t=$prefix-multi
mk "$t"
run create "$t" --pk pk:S --gsi 'name=by-place,pk=country:S+city:S,sk=year:N+month:N+day:N+hour:N'
is_member "$t" .GlobalSecondaryIndexes[0].KeySchema '[{"AttributeName":"country","KeyType":"HASH"},{"AttributeName":"city","KeyType":"HASH"},{"AttributeName":"year","KeyType":"RANGE"},{"AttributeName":"month","KeyType":"RANGE"},{"AttributeName":"day","KeyType":"RANGE"},{"AttributeName":"hour","KeyType":"RANGE"}]' &&
	is_member "$t" '.AttributeDefinitions | map(.AttributeName) | sort' '["city","country","day","hour","month","pk","year"]'
check "--gsi with 2 + 4 key attributes: KeySchema and AttributeDefinitions sent"

# ---- invalid definitions: the daemon's message, nothing sent -------------------------------

invalid "LSI without a table sort key" "LocalSecondaryIndexes" \
	"$prefix-bad1" --pk pk:S --lsi name=by-x,sk=x:S
invalid "GSI capacity under PAY_PER_REQUEST (flags)" "(gsis\[0\]\.read_capacity|GlobalSecondaryIndexes\[0\]\.ProvisionedThroughput)" \
	"$prefix-bad2" --pk pk:S --gsi name=by-x,pk=x:S,rcu=5,wcu=5
gsis=()
for i in $(seq 21); do gsis+=(--gsi "name=g$i-x,pk=a$i:S"); done
invalid "21 GSIs" "GlobalSecondaryIndexes.*20" "$prefix-bad3" --pk pk:S "${gsis[@]}"
invalid "duplicate index name" "duplicate index name \"same\"" \
	"$prefix-bad4" --pk pk:S --sk sk:S --gsi name=same,pk=a:S --lsi name=same,sk=b:S
invalid "duplicate GSI name" "GlobalSecondaryIndexes\[1\]\.IndexName" \
	"$prefix-bad5" --pk pk:S --gsi name=same,pk=a:S --gsi name=same,pk=b:S
invalid "bad index name" "IndexName" "$prefix-bad6" --pk pk:S --gsi name=x,pk=a:S
invalid "key typed twice differently" "(AttributeDefinitions|'pk' is N here but S)" \
	"$prefix-bad7" --pk pk:S --gsi name=by-pk,pk=pk:N
invalid "bad tag key (empty)" "Tags\[0\]\.Key" "$prefix-bad8" --pk pk:S --tag =v

cat >"$files/gsi-ondemand.json" <<EOF
{
    "TableName": "$prefix-bad9",
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                             {"AttributeName": "g", "AttributeType": "S"}],
    "BillingMode": "PAY_PER_REQUEST",
    "GlobalSecondaryIndexes": [{
        "IndexName": "by-g",
        "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"},
        "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    }]
}
EOF
invalid "--input-json: GSI capacity under PAY_PER_REQUEST" \
	"GlobalSecondaryIndexes\[0\]\.ProvisionedThroughput: not allowed" \
	--input-json "$files/gsi-ondemand.json"
jq '. + {"VectorIndexes": []} | del(.GlobalSecondaryIndexes) |
	.AttributeDefinitions |= map(select(.AttributeName == "pk"))' \
	"$files/gsi-ondemand.json" >"$files/unknown.json"
invalid "--input-json: unknown member" "VectorIndexes: unknown member" \
	--input-json "$files/unknown.json"

# ---- --input-json --------------------------------------------------------------------------

# A realistic file, as `aws dynamodb create-table --generate-cli-skeleton`
# would be filled in.
cat >"$files/orders.json" <<EOF
{
    "TableName": "$prefix-orders",
    "AttributeDefinitions": [
        {"AttributeName": "customer", "AttributeType": "S"},
        {"AttributeName": "order_id", "AttributeType": "S"},
        {"AttributeName": "status", "AttributeType": "S"},
        {"AttributeName": "placed_at", "AttributeType": "N"},
        {"AttributeName": "total", "AttributeType": "N"}
    ],
    "KeySchema": [
        {"AttributeName": "customer", "KeyType": "HASH"},
        {"AttributeName": "order_id", "KeyType": "RANGE"}
    ],
    "LocalSecondaryIndexes": [{
        "IndexName": "by-total",
        "KeySchema": [
            {"AttributeName": "customer", "KeyType": "HASH"},
            {"AttributeName": "total", "KeyType": "RANGE"}
        ],
        "Projection": {"ProjectionType": "KEYS_ONLY"}
    }],
    "GlobalSecondaryIndexes": [{
        "IndexName": "by-status",
        "KeySchema": [
            {"AttributeName": "status", "KeyType": "HASH"},
            {"AttributeName": "placed_at", "KeyType": "RANGE"}
        ],
        "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["total", "items"]},
        "ProvisionedThroughput": {"ReadCapacityUnits": 2, "WriteCapacityUnits": 3}
    }],
    "BillingMode": "PROVISIONED",
    "ProvisionedThroughput": {"ReadCapacityUnits": 10, "WriteCapacityUnits": 8},
    "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_IMAGE"},
    "SSESpecification": {"Enabled": true, "SSEType": "KMS"},
    "Tags": [{"Key": "team", "Value": "shop"}],
    "TableClass": "STANDARD",
    "DeletionProtectionEnabled": false
}
EOF
t=$prefix-orders
mk "$t"
run create --input-json "$files/orders.json" --wait
rc_is 0 && [ "$(body "$t" | norm)" = "$(norm <"$files/orders.json")" ]
check "--input-json FILE (TableName from the file): the file is sent as is"
[ "$(desc "$t" "$schema | {Billing, Capacity, GSIs, LSIs}")" = \
	'{"Billing":"PROVISIONED","Capacity":[10,8],"GSIs":[{"Capacity":[2,3],"IndexName":"by-status","KeySchema":[{"AttributeName":"status","KeyType":"HASH"},{"AttributeName":"placed_at","KeyType":"RANGE"}],"Projection":{"NonKeyAttributes":["total","items"],"ProjectionType":"INCLUDE"}}],"LSIs":[{"IndexName":"by-total","KeySchema":[{"AttributeName":"customer","KeyType":"HASH"},{"AttributeName":"total","KeyType":"RANGE"}],"Projection":{"ProjectionType":"KEYS_ONLY"}}]}' ]
check "--input-json: describe --json shows the file's billing, capacities and indexes"

t=$prefix-orders-stdin
mk "$t"
runin "$files/orders.json" create "$t" --input-json -
rc_is 0 && is_member "$t" .TableName "\"$t\"" &&
	[ "$(body "$t" | norm)" = "$(norm <"$files/orders.json")" ]
check "--input-json - (stdin) with TABLE: TABLE replaces TableName, the rest as is"

t=$prefix-orders-over
mk "$t"
run create "$t" --input-json "$files/orders.json" --billing-mode PAY_PER_REQUEST \
	--table-class STANDARD_INFREQUENT_ACCESS --encryption AWS_OWNED --tag env=ci --tag x=y \
	--stream KEYS_ONLY --deletion-protection
rc_is 0
check "--input-json with flags overriding: exit 0"
is_member "$t" '[.BillingMode, has("ProvisionedThroughput"), (.GlobalSecondaryIndexes[0] | has("ProvisionedThroughput"))]' '["PAY_PER_REQUEST",false,false]'
check "override --billing-mode PAY_PER_REQUEST: the file's capacities dropped"
is_member "$t" '[.TableClass, has("SSESpecification"), .Tags, .StreamSpecification, .DeletionProtectionEnabled]' \
	'["STANDARD_INFREQUENT_ACCESS",false,[{"Key":"env","Value":"ci"},{"Key":"x","Value":"y"}],{"StreamEnabled":true,"StreamViewType":"KEYS_ONLY"},true]'
check "override --table-class, --encryption AWS_OWNED, --tag, --stream, --deletion-protection"
[ "$(member "$t" '{KeySchema, LocalSecondaryIndexes, GlobalSecondaryIndexes: [.GlobalSecondaryIndexes[] | del(.ProvisionedThroughput)], AttributeDefinitions}')" = \
	"$(jq -cS '{KeySchema, LocalSecondaryIndexes, GlobalSecondaryIndexes: [.GlobalSecondaryIndexes[] | del(.ProvisionedThroughput)], AttributeDefinitions}' "$files/orders.json")" ]
check "override: the members no flag stands for are the file's"

t=$prefix-orders-keys
mk "$t"
run create "$t" --input-json "$files/orders.json" --pk id:N --sk ts:S --lsi name=by-ts2,sk=ts2:S \
	--gsi name=by-region,pk=region:S,projection=KEYS_ONLY --rcu 20 --encryption CUSTOMER_MANAGED --kms-key-id alias/orders --wait
rc_is 0
check "--input-json with --pk, --sk, --gsi, --lsi, --rcu, --kms-key-id: exit 0"
is_member "$t" .KeySchema '[{"AttributeName":"id","KeyType":"HASH"},{"AttributeName":"ts","KeyType":"RANGE"}]' &&
	is_member "$t" '.AttributeDefinitions | sort_by(.AttributeName)' '[{"AttributeName":"id","AttributeType":"N"},{"AttributeName":"region","AttributeType":"S"},{"AttributeName":"ts","AttributeType":"S"},{"AttributeName":"ts2","AttributeType":"S"}]'
check "override --pk/--sk: KeySchema replaced, AttributeDefinitions exactly the new keys"
is_member "$t" .GlobalSecondaryIndexes '[{"IndexName":"by-region","KeySchema":[{"AttributeName":"region","KeyType":"HASH"}],"Projection":{"ProjectionType":"KEYS_ONLY"},"ProvisionedThroughput":{"ReadCapacityUnits":20,"WriteCapacityUnits":8}}]' &&
	is_member "$t" .LocalSecondaryIndexes '[{"IndexName":"by-ts2","KeySchema":[{"AttributeName":"id","KeyType":"HASH"},{"AttributeName":"ts2","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}}]'
check "override --gsi/--lsi: the file's index lists replaced; GSI capacity from the table's (--rcu 20, file's 8)"
is_member "$t" '[.BillingMode, .ProvisionedThroughput, .SSESpecification]' '["PROVISIONED",{"ReadCapacityUnits":20,"WriteCapacityUnits":8},{"Enabled":true,"KMSMasterKeyId":"alias/orders","SSEType":"KMS"}]'
check "override --rcu (file PROVISIONED) and --encryption CUSTOMER_MANAGED"
[ "$(desc "$t" "$schema | {KeySchema, GSIs, LSIs}")" = \
	"$(member "$t" '{KeySchema, GSIs: [.GlobalSecondaryIndexes[] | {IndexName, KeySchema, Projection, Capacity: [.ProvisionedThroughput.ReadCapacityUnits, .ProvisionedThroughput.WriteCapacityUnits]}], LSIs: .LocalSecondaryIndexes}')" ]
check "override: describe --json shows the overridden keys and indexes"

invalid "--input-json: TABLE not a valid name" "TableName: \"ab\"" ab --input-json "$files/orders.json"

jq '.BillingMode = "PAY_PER_REQUEST" | del(.ProvisionedThroughput) |
	.GlobalSecondaryIndexes[0] |= del(.ProvisionedThroughput)' \
	"$files/orders.json" >"$files/orders-ondemand.json"
t=$prefix-orders-prov
mk "$t"
run create "$t" --input-json "$files/orders-ondemand.json" --billing-mode PROVISIONED --wcu 7
rc_is 0 && is_member "$t" '[.ProvisionedThroughput, .GlobalSecondaryIndexes[0].ProvisionedThroughput]' \
	'[{"ReadCapacityUnits":5,"WriteCapacityUnits":7},{"ReadCapacityUnits":5,"WriteCapacityUnits":7}]'
check "override --billing-mode PROVISIONED on an on-demand file: capacities filled in (5, --wcu 7), GSI too"

before=$(creates)
run --socket "$bogus" create "$prefix-u" --input-json "$files/orders-ondemand.json" --rcu 3
rc_is 2 && err_has "need.*PROVISIONED"
check "usage: --rcu with an on-demand --input-json file: exit 2"
printf '{"KeySchema": []}' >"$files/noname.json"
run --socket "$bogus" create --input-json "$files/noname.json"
rc_is 2 && err_has "TABLE missing, and .* has no TableName"
check "usage: --input-json without TableName nor TABLE: exit 2"
printf '{"TableName": "x",\n "KeySchema": [}' >"$files/broken.json"
run --socket "$bogus" create --input-json "$files/broken.json"
rc_is 2 && err_has "broken.json: line 2, column"
check "usage: --input-json not JSON: exit 2, line and column"
run --socket "$bogus" create --input-json "$files/absent.json"
rc_is 2 && err_has "absent.json"
check "usage: --input-json FILE missing: exit 2"
printf '[1, 2]' >"$files/array.json"
run --socket "$bogus" create t-array --input-json "$files/array.json"
rc_is 2 && err_has "want a JSON object"
check "usage: --input-json not an object: exit 2"
run --socket "$bogus" create "$prefix-dry" --input-json "$files/orders.json" --tag a=b --dry-run
rc_is 0 && [ "$(sed -n 2p "$tmp/out")" = '    "TableName": "'"$prefix-dry"'",' ] &&
	[ "$(jq -cS 'del(.TableName, .Tags)' "$tmp/out")" = "$(jq -cS 'del(.TableName, .Tags)' "$files/orders.json")" ] &&
	[ "$(jq -c .Tags "$tmp/out")" = '[{"Key":"a","Value":"b"}]' ]
check "--input-json --dry-run: the merged document, 4-space indent, in the file's order"
[ "$(creates)" = "$before" ]
check "--input-json usage errors and --dry-run: nothing sent"

# ---- --model: the same table three ways ------------------------------------------------------

cat >"$files/users.model.json" <<EOF
{
    "table": "$prefix-users-m",
    "attributes": {"pk": "S", "sk": "N", "email": "S", "created": "N",
                   "name": "S", "score": "N", "country": "S"},
    "partition_key": "pk",
    "sort_key": "sk",
    "indexes": [
        {"name": "by-email", "type": "global", "partition_key": "email",
         "sort_key": "created", "projection": "ALL"},
        {"name": "by-country", "type": "global", "partition_key": ["country"],
         "projection": ["name", "email"], "read_capacity": 2, "write_capacity": 1},
        {"name": "by-created", "type": "local", "sort_key": "created",
         "projection": ["email"]},
        {"name": "by-score", "type": "local", "sort_key": "score",
         "projection": "KEYS_ONLY"}
    ]
}
EOF
cat >"$files/users.input.json" <<EOF
{
    "TableName": "$prefix-users-j",
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                  {"AttributeName": "sk", "KeyType": "RANGE"}],
    "AttributeDefinitions": [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "N"},
        {"AttributeName": "email", "AttributeType": "S"},
        {"AttributeName": "created", "AttributeType": "N"},
        {"AttributeName": "score", "AttributeType": "N"},
        {"AttributeName": "country", "AttributeType": "S"}
    ],
    "GlobalSecondaryIndexes": [
        {"IndexName": "by-email",
         "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"},
                       {"AttributeName": "created", "KeyType": "RANGE"}],
         "Projection": {"ProjectionType": "ALL"},
         "ProvisionedThroughput": {"ReadCapacityUnits": 4, "WriteCapacityUnits": 3}},
        {"IndexName": "by-country",
         "KeySchema": [{"AttributeName": "country", "KeyType": "HASH"}],
         "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["name", "email"]},
         "ProvisionedThroughput": {"ReadCapacityUnits": 2, "WriteCapacityUnits": 1}}
    ],
    "LocalSecondaryIndexes": [
        {"IndexName": "by-created",
         "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                       {"AttributeName": "created", "KeyType": "RANGE"}],
         "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["email"]}},
        {"IndexName": "by-score",
         "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                       {"AttributeName": "score", "KeyType": "RANGE"}],
         "Projection": {"ProjectionType": "KEYS_ONLY"}}
    ],
    "BillingMode": "PROVISIONED",
    "ProvisionedThroughput": {"ReadCapacityUnits": 4, "WriteCapacityUnits": 3},
    "Tags": [{"Key": "app", "Value": "users"}],
    "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    "SSESpecification": {"Enabled": true, "SSEType": "KMS"},
    "TableClass": "STANDARD_INFREQUENT_ACCESS",
    "DeletionProtectionEnabled": true
}
EOF
opts=(--billing-mode PROVISIONED --rcu 4 --wcu 3 --tag app=users --stream NEW_AND_OLD_IMAGES
	--encryption AWS_MANAGED --table-class STANDARD_INFREQUENT_ACCESS --deletion-protection)
tm=$prefix-users-m tf=$prefix-users-f tj=$prefix-users-j
mk "$tm" "$tf" "$tj"
run create --model "$files/users.model.json" "${opts[@]}" --wait
rc_is 0
check "--model (GSIs + LSIs, table name from the model) with options --wait: exit 0"
run create "$tf" --pk pk:S --sk sk:N "${opts[@]}" \
	--gsi name=by-email,pk=email:S,sk=created:N,projection=ALL \
	--gsi name=by-country,pk=country:S,projection=INCLUDE:name+email,rcu=2,wcu=1 \
	--lsi name=by-created,sk=created:N,projection=INCLUDE:email \
	--lsi name=by-score,sk=score:N,projection=KEYS_ONLY --wait
rc_is 0
check "the same table by flags --wait: exit 0"
run create --input-json "$files/users.input.json" --wait
rc_is 0
check "the same table by --input-json --wait: exit 0"
bm=$(body "$tm" | norm)
[ -n "$bm" ] && [ "$bm" = "$(body "$tf" | norm)" ]
check "--model and flags: identical CreateTable bodies (but TableName)" ||
	diff <(jq -S . <<<"$bm") <(body "$tf" | norm | jq -S .) | sed 's/^/      /'
[ -n "$bm" ] && [ "$bm" = "$(body "$tj" | norm)" ]
check "--model and --input-json: identical CreateTable bodies (but TableName)" ||
	diff <(jq -S . <<<"$bm") <(body "$tj" | norm | jq -S .) | sed 's/^/      /'
dm=$(desc "$tm" "$schema")
[ -n "$dm" ] && [ "$dm" = "$(desc "$tf" "$schema")" ] && [ "$dm" = "$(desc "$tj" "$schema")" ]
check "--model, flags, --input-json: identical describe key schemas, indexes, capacities"
[ "$(jq -c '[.GSIs[].Capacity, .LSIs[].IndexName]' <<<"$dm")" = '[[4,3],[2,1],"by-created","by-score"]' ]
check "--model: describe shows GSI capacities (the table's, the index's) and both LSIs"

before=$(creates)
run --socket "$bogus" create "$prefix-users-d" --model "$files/users.model.json" "${opts[@]}" --dry-run
rc_is 0 && [ "$(norm <"$tmp/out")" = "$bm" ] && [ "$(jq -r .TableName <"$tmp/out")" = "$prefix-users-d" ]
check "--model --dry-run TABLE: what --model sent, with TABLE as TableName, no daemon needed"
[ "$(creates)" = "$before" ]
check "--model --dry-run: nothing sent"
t=$prefix-users-t
mk "$t"
run create "$t" --model "$files/users.model.json" --billing-mode PROVISIONED
rc_is 0 && is_member "$t" '[.TableName, .ProvisionedThroughput, [.GlobalSecondaryIndexes[].ProvisionedThroughput]]' \
	'["'"$t"'",{"ReadCapacityUnits":5,"WriteCapacityUnits":5},[{"ReadCapacityUnits":5,"WriteCapacityUnits":5},{"ReadCapacityUnits":2,"WriteCapacityUnits":1}]]'
check "--model TABLE --billing-mode PROVISIONED: TABLE used; 5/5 by default, the model's 2/1"
invalid "--model GSI capacity under PAY_PER_REQUEST" "(indexes\[1\]\.read_capacity|GlobalSecondaryIndexes\[1\]\.ProvisionedThroughput)" \
	"$prefix-users-x" --model "$files/users.model.json"

printf '{"table": "%s", "attributes": {"pk": "S"}, "partition_key": "pk",\n "indexes": [{"name": "by-x", "type": "global", "partition_key": "x"}]}\n' \
	"$prefix-m-unknown" >"$files/unknown-attr.model.json"
before=$(creates)
run create --model "$files/unknown-attr.model.json"
rc_is 4 && err_oneline && err_has "^dyntablectl: create $prefix-m-unknown: INVALID: indexes\[0\]\.partition_keys\[0\]: 'x' is not an attribute" &&
	[ "$(creates)" = "$before" ]
check "--model naming an undeclared attribute: exit 4, one line, nothing sent"
printf '{"table": "%s", "attributes": {"pk": "S", "sk": "S"}, "partition_key": "pk",\n "indexes": [{"name": "by-sk", "type": "local", "sort_key": "sk"}]}\n' \
	"$prefix-m-nosk" >"$files/lsi-nosk.model.json"
invalid "--model LSI on a table without sort key" "LocalSecondaryIndexes" \
	--model "$files/lsi-nosk.model.json"

# Model file errors are usage errors naming the member.
model_bad() {
	local name=$1 pat=$2
	printf '%s\n' "$3" >"$files/bad.model.json"
	usage "--model $name" "$pat" "$prefix-u" --model "$files/bad.model.json"
}
model_bad "unknown top-level key" "bad --model .*: sortkey: unknown key" \
	'{"attributes": {"pk": "S"}, "partition_key": "pk", "sortkey": "sk"}'
model_bad "unknown index key" "indexes\[0\]\.projections: unknown key" \
	'{"attributes": {"a": "S", "b": "S"}, "partition_key": "a", "indexes": [{"name": "by-b", "type": "global", "partition_key": "b", "projections": "ALL"}]}'
model_bad "bad attribute type" "attributes\.a: want" \
	'{"attributes": {"a": "BOOL"}, "partition_key": "a"}'
model_bad "partition_key not an attribute" "partition_key: \"z\" is not in attributes" \
	'{"attributes": {"a": "S"}, "partition_key": "z"}'
model_bad "no partition_key" "partition_key: required" '{"attributes": {"a": "S"}}'
model_bad "bad index type" "indexes\[0\]\.type" \
	'{"attributes": {"a": "S"}, "partition_key": "a", "indexes": [{"name": "i1x", "type": "globl", "partition_key": "a"}]}'
model_bad "five partition key attributes" "indexes\[0\]\.partition_key" \
	'{"attributes": {"a": "S"}, "partition_key": "a", "indexes": [{"name": "i1x", "type": "global", "partition_key": ["a","b","c","d","e"]}]}'
model_bad "partition_key on a local index" "indexes\[0\]\.partition_key: a local index" \
	'{"attributes": {"a": "S", "b": "S"}, "partition_key": "a", "sort_key": "b", "indexes": [{"name": "i1x", "type": "local", "partition_key": "a", "sort_key": "b"}]}'
model_bad "bad projection" "indexes\[0\]\.projection" \
	'{"attributes": {"a": "S"}, "partition_key": "a", "indexes": [{"name": "i1x", "type": "global", "partition_key": "a", "projection": "SOME"}]}'
model_bad "zero capacity" "indexes\[0\]\.read_capacity" \
	'{"attributes": {"a": "S"}, "partition_key": "a", "indexes": [{"name": "i1x", "type": "global", "partition_key": "a", "read_capacity": 0}]}'
usage "--model without table nor TABLE" "TABLE missing, and .* names no table" \
	--model "$files/bad.model.json"
usage "--model with --pk" "cannot be used with --model" "$prefix-u" --model "$files/users.model.json" --pk a:S
usage "--model with --gsi" "cannot be used with --model" "$prefix-u" --model "$files/users.model.json" --gsi name=g1x,pk=a:S
usage "--model with --input-json" "exclude each other" "$prefix-u" --model "$files/users.model.json" --input-json "$files/orders.json"

# ---- malformed SPECs and values: usage errors, no connection -------------------------------

usage "--gsi without a type" "bad --gsi 'name=g1x,pk=a': at 'pk=a': want ATTR:TYPE" \
	"$prefix-u" --pk pk:S --gsi name=g1x,pk=a
usage "--gsi without pk" "pk=ATTR:TYPE is required" "$prefix-u" --pk pk:S --gsi name=g1x
usage "--gsi without name" "name=NAME is required" "$prefix-u" --pk pk:S --gsi pk=a:S
usage "--gsi unknown key" "at 'size=3': unknown key 'size'" "$prefix-u" --pk pk:S --gsi name=g1x,pk=a:S,size=3
usage "--gsi key twice" "at 'pk=b:S': 'pk' given twice" "$prefix-u" --pk pk:S --gsi name=g1x,pk=a:S,pk=b:S
usage "--gsi five pk attributes" "up to 4 attributes" "$prefix-u" --pk pk:S --gsi name=g1x,pk=a:S+b:S+c:S+d:S+e:S
usage "--gsi bad projection" "at 'projection=INCLUDE': want ALL, KEYS_ONLY or INCLUDE" \
	"$prefix-u" --pk pk:S --gsi name=g1x,pk=a:S,projection=INCLUDE
usage "--gsi bad rcu" "at 'rcu=0': want a whole number" "$prefix-u" --pk pk:S --gsi name=g1x,pk=a:S,rcu=0
usage "--gsi empty part" "at '': empty part" "$prefix-u" --pk pk:S --gsi name=g1x,,pk=a:S
usage "--lsi with pk" "unknown key 'pk'.*table's partition key" "$prefix-u" --pk pk:S --sk s:S --lsi name=l1x,pk=a:S,sk=b:S
usage "--lsi two sort attributes" "takes one attribute" "$prefix-u" --pk pk:S --sk s:S --lsi name=l1x,sk=a:S+b:S
usage "--lsi without sk" "sk=ATTR:TYPE is required" "$prefix-u" --pk pk:S --sk s:S --lsi name=l1x
usage "--tag without =" "bad --tag 'novalue'" "$prefix-u" --pk pk:S --tag novalue
usage "--stream bad" "bad --stream" "$prefix-u" --pk pk:S --stream NEW
usage "--table-class bad" "bad --table-class" "$prefix-u" --pk pk:S --table-class COLD
usage "--encryption bad" "bad --encryption" "$prefix-u" --pk pk:S --encryption KMS
usage "TABLE missing" "TABLE missing" --pk pk:S

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
