#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# End-to-end test of dyntablectl against a running dyntabled.
#
#   test_cli.sh PATH/TO/dyntablectl
#
# Run it through the harness, which starts dynalite, its recording proxy
# and the daemon, and exports what this script reads:
#   tests/e2e/harness.sh BUILD/daemon/dyntabled -- \
#       bash tests/e2e/test_cli.sh BUILD/client/dyntablectl
#
#   DYNTABLE_SOCKET             the daemon's socket (required)
#   DYNTABLE_TEST_REQUESTS      JSONL, one object per request the daemon
#                               sent to DynamoDB, with "target" and "body"
#   DYNTABLE_TEST_DYNALITE_URL  dynalite itself, for the AWS CLI cross-check
#
# JSON is read with jq (.ci installs it), else with python3. Prints one
# PASS/FAIL/SKIP line per check, then "N passed, N failed"; exits 1 if any
# check failed.
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
if [ -z "${DYNTABLE_SOCKET:-}" ]; then
	echo "$0: DYNTABLE_SOCKET is not set; run me through tests/e2e/harness.sh" >&2
	exit 2
fi
requests=${DYNTABLE_TEST_REQUESTS:-}
dynalite_url=${DYNTABLE_TEST_DYNALITE_URL:-}

if command -v jq >/dev/null 2>&1; then
	have_jq=1
elif command -v python3 >/dev/null 2>&1; then
	have_jq=0
else
	echo "$0: needs jq (or python3) to read JSON" >&2
	exit 2
fi

tmp=$(mktemp -d /tmp/dyntable-cli.XXXXXX) || exit 2
prefix="cli-$$-$RANDOM"
created=() # tables this run made, deleted on exit
passed=0
failed=0

# ---- helpers -----------------------------------------------------------------

pass() { passed=$((passed + 1)); printf 'PASS: %s\n' "$1"; }
skip() { printf 'SKIP: %s\n' "$1"; }
# fail NAME [WHY]: also shows the last command's exit status and output.
fail() {
	failed=$((failed + 1))
	printf 'FAIL: %s%s\n' "$1" "${2:+ ($2)}"
	printf '      last: dyntablectl %s -> exit %s\n' "$last" "$rc"
	sed 's/^/      stdout: /' "$tmp/out"
	sed 's/^/      stderr: /' "$tmp/err"
	return 1
}
# COND; check NAME: PASS if the condition just tested held.
check() {
	local st=$?
	if [ "$st" -eq 0 ]; then pass "$1"; else fail "$1"; fi
}

# run ARGS...: runs dyntablectl; sets rc, and its output in $tmp/out, err.
# A command that hangs is killed after 20 s (exit 124).
run() {
	last="$*"
	timeout -k 2 20 "$ctl" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

rc_is() { [ "$rc" -eq "$1" ]; }
# need VAR NAME: whether harness.sh exported VAR (a path must exist), which
# check NAME reads. Under the harness it always does, so a missing one
# fails NAME; against a daemon already running (DYNTABLE_TEST_SOCKET) NAME
# is skipped, saying why.
need() {
	local v=${!1:-}
	if [ -n "$v" ] && { [[ $v != /* ]] || [ -e "$v" ]; }; then return 0; fi
	if [ -n "${DYNTABLE_TEST_SOCKET:-}" ]; then
		skip "$2 (no \$$1 with a daemon already running)"
	else
		failed=$((failed + 1))
		printf 'FAIL: %s ($%s is not set or missing)\n' "$2" "$1"
	fi
	return 1
}
out_has() { grep -Eq -- "$1" "$tmp/out"; }
out_line() { grep -Fxq -- "$1" "$tmp/out"; }
err_has() { grep -Eq -- "$1" "$tmp/err"; }
err_oneline() { [ "$(wc -l <"$tmp/err")" -eq 1 ]; }

# json_get PATH: the value at PATH (".a.b") of the JSON on stdin: strings
# raw, anything else as compact JSON with sorted keys, "null" when absent.
# Fails on input that is not JSON.
json_get() {
	if [ "$have_jq" = 1 ]; then
		jq -rcS "$1"
	else
		python3 -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split(".")[1:]:
    v = v.get(k) if isinstance(v, dict) else None
print(v if isinstance(v, str) else json.dumps(v, sort_keys=True, separators=(",", ":")))
' "$1"
	fi
}

# recorded OP TABLE: the body (compact JSON) of the last request with
# target DynamoDB_20120810.OP for TABLE that the daemon sent. The proxy
# logs a body that is not JSON as a string; such lines never match.
recorded() {
	if [ "$have_jq" = 1 ]; then
		jq -c --arg tg "DynamoDB_20120810.$1" --arg t "$2" '
			select(.target == $tg)
			| .body | objects | select(.TableName == $t)' "$requests" |
			tail -n 1
	else
		python3 -c '
import json, sys
last = None
for line in open(sys.argv[1]):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    b = r.get("body")
    if r.get("target") == sys.argv[2] and isinstance(b, dict) and b.get("TableName") == sys.argv[3]:
        last = b
if last is not None:
    print(json.dumps(last, separators=(",", ":")))
' "$requests" "DynamoDB_20120810.$1" "$2"
	fi
}

# same_fields A B: every member of A's .Table is in B's .Table, equal. (The
# AWS CLI prints members in its model's order and drops those its model
# lacks; dyntablectl prints what the daemon got, in DynamoDB's order.)
same_fields() {
	if [ "$have_jq" = 1 ]; then
		jq -e -n --slurpfile a "$1" --slurpfile b "$2" \
			'$a[0].Table | to_entries | all(.value == $b[0].Table[.key])' >/dev/null
	else
		python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))["Table"]
b = json.load(open(sys.argv[2]))["Table"]
sys.exit(0 if all(b.get(k) == v for k, v in a.items()) else 1)
' "$1" "$2"
	fi
}

now_ms() { date +%s%3N; }

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

t1=$prefix-1 # PAY_PER_REQUEST, string key
t2=$prefix-2 # PROVISIONED 3/4
t3=$prefix-3 # number partition key, binary sort key
t4=$prefix-4 # created without --wait
missing=$prefix-missing
created=("$t1" "$t2" "$t3" "$t4")

# ---- help and version ----------------------------------------------------------

run --help
rc_is 0 && out_has "^Exit status" && out_has "^  5 "
check "--help exits 0 and documents the exit codes"
run --version
rc_is 0 && out_has "^dyntablectl [0-9]"
check "--version exits 0"
run create --help
rc_is 0 && out_has "--pk NAME:TYPE"
check "create --help exits 0 and lists --pk"

# ---- create, describe ------------------------------------------------------------

run create "$t1" --pk pk:S --wait
rc_is 0 && out_has "^Status: +ACTIVE$"
check "create --wait: exit 0, ACTIVE"

run describe "$t1"
rc_is 0 &&
	out_has "^Table: +$t1$" && out_has "^Status: +ACTIVE$" &&
	out_has "^Partition key: +pk \(S\)$" &&
	out_has "^Billing mode: +PAY_PER_REQUEST$" &&
	! out_has "^Sort key:" && out_has "^ARN: +arn:aws:dynamodb:" &&
	out_has "^Items: +0 "
check "describe: ACTIVE, key, billing mode"

run describe "$t1" --json
if rc_is 0 && json_get . <"$tmp/out" >/dev/null 2>&1; then
	pass "describe --json: exit 0, valid JSON"
	[ "$(json_get .Table.TableName <"$tmp/out")" = "$t1" ]
	check "describe --json: Table.TableName"
	[ "$(json_get .Table.KeySchema <"$tmp/out")" = "[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}]" ]
	check "describe --json: Table.KeySchema"
	[ "$(json_get .Table.BillingModeSummary.BillingMode <"$tmp/out")" = PAY_PER_REQUEST ]
	check "describe --json: Table.BillingModeSummary.BillingMode"
	[ "$(sed -n 2p "$tmp/out")" = "    \"Table\": {" ]
	check "describe --json: pretty-printed like the AWS CLI"
else
	fail "describe --json: exit 0, valid JSON"
fi

if need DYNTABLE_TEST_REQUESTS "CreateTable request has BillingMode PAY_PER_REQUEST explicitly"; then
	body=$(recorded CreateTable "$t1")
	[ "$(json_get .BillingMode <<<"$body")" = PAY_PER_REQUEST ] &&
		[ "$(json_get .ProvisionedThroughput <<<"$body")" = null ]
	check "CreateTable request has BillingMode PAY_PER_REQUEST explicitly" ||
		printf '      body: %s\n' "$body"
fi

run create "$t2" --pk id:S --billing-mode PROVISIONED --rcu 3 --wcu 4 --wait
rc_is 0
check "create PROVISIONED --rcu 3 --wcu 4 --wait: exit 0"
run describe "$t2"
rc_is 0 &&
	out_has "^Billing mode: +PROVISIONED$" &&
	out_has "^Capacity: +3 read, 4 write$"
check "describe: PROVISIONED, 3 read, 4 write"
run describe "$t2" --json
rc_is 0 &&
	[ "$(json_get .Table.ProvisionedThroughput.ReadCapacityUnits <"$tmp/out")" = 3 ] &&
	[ "$(json_get .Table.ProvisionedThroughput.WriteCapacityUnits <"$tmp/out")" = 4 ]
check "describe --json: ProvisionedThroughput 3/4"
if need DYNTABLE_TEST_REQUESTS "CreateTable request has PROVISIONED and 3/4"; then
	body=$(recorded CreateTable "$t2")
	[ "$(json_get .BillingMode <<<"$body")" = PROVISIONED ] &&
		[ "$(json_get .ProvisionedThroughput <<<"$body")" = "{\"ReadCapacityUnits\":3,\"WriteCapacityUnits\":4}" ]
	check "CreateTable request has PROVISIONED and 3/4" ||
		printf '      body: %s\n' "$body"
fi

# Options after or before TABLE, long type names, and create --json.
run create --pk id:number --sk blob:Binary "$t3" --wait --json
rc_is 0 &&
	[ "$(json_get .TableDescription.TableName <"$tmp/out")" = "$t3" ] &&
	[ "$(json_get .TableDescription.TableStatus <"$tmp/out")" = ACTIVE ]
check "create --sk, N/B types, --json: TableDescription ACTIVE"
[ "$(json_get .TableDescription.KeySchema <"$tmp/out")" = "[{\"AttributeName\":\"id\",\"KeyType\":\"HASH\"},{\"AttributeName\":\"blob\",\"KeyType\":\"RANGE\"}]" ]
check "create --json: KeySchema HASH id, RANGE blob"
run describe "$t3"
rc_is 0 &&
	out_has "^Partition key: +id \(N\)$" && out_has "^Sort key: +blob \(B\)$"
check "describe: id (N), blob (B)"

# ---- exists ------------------------------------------------------------------------

run exists "$t1"
rc_is 0 && out_line "$t1 exists (ACTIVE)"
check "exists: exit 0, prints ACTIVE"
run exists "$missing"
rc_is 1 && out_line "$missing does not exist" && [ ! -s "$tmp/err" ]
check "exists on a missing table: exit 1"

# ---- errors from DynamoDB ------------------------------------------------------------

run create "$t1" --pk pk:S
rc_is 4 &&
	err_oneline && err_has "^dyntablectl: create $t1: ResourceInUseException: "
check "create an existing table: exit 4, ResourceInUseException"
run describe "$missing"
rc_is 4 && err_oneline && [ ! -s "$tmp/out" ] &&
	err_has "^dyntablectl: describe $missing: ResourceNotFoundException: ."
check "describe a missing table: exit 4, one line, ResourceNotFoundException"
run describe "$missing" --json
rc_is 4 && err_oneline && [ ! -s "$tmp/out" ]
check "describe --json a missing table: exit 4, nothing on stdout"
run delete "$missing"
rc_is 4 &&
	err_oneline && err_has "^dyntablectl: delete $missing: ResourceNotFoundException: "
check "delete a missing table: exit 4, ResourceNotFoundException"

# ---- list --------------------------------------------------------------------------

run list
rc_is 0 && out_line "$t1" && out_line "$t2" && out_line "$t3"
check "list: one name a line, all three tables"
run list --json
rc_is 0 &&
	names=$(json_get .TableNames <"$tmp/out") &&
	grep -Fq "\"$t1\"" <<<"$names" && grep -Fq "\"$t3\"" <<<"$names"
check "list --json: TableNames holds the tables"

# ---- cross-check with the AWS CLI, straight against dynalite ---------------------------

if ! command -v aws >/dev/null 2>&1; then
	skip "AWS CLI cross-check (aws is not installed)"
elif need DYNTABLE_TEST_DYNALITE_URL "AWS CLI cross-check"; then
	for t in "$t1" "$t3"; do
		env AWS_ACCESS_KEY_ID=AKIDDUMMY AWS_SECRET_ACCESS_KEY=dummy \
			AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
			AWS_PAGER= timeout 30 aws dynamodb describe-table --table-name "$t" \
			--endpoint-url "$dynalite_url" --region us-east-1 --output json \
			>"$tmp/aws.json" 2>"$tmp/aws.err"
		awsrc=$?
		run describe "$t" --json
		if [ "$awsrc" -ne 0 ]; then
			fail "aws describe-table $t agrees with dyntablectl" "aws exited $awsrc: $(head -n 3 "$tmp/aws.err")"
			continue
		fi
		rc_is 0 &&
			[ "$(json_get .Table.KeySchema <"$tmp/out")" = "$(json_get .Table.KeySchema <"$tmp/aws.json")" ] &&
			[ "$(json_get .Table.AttributeDefinitions <"$tmp/out")" = "$(json_get .Table.AttributeDefinitions <"$tmp/aws.json")" ] &&
			[ "$(json_get .Table.BillingModeSummary.BillingMode <"$tmp/out")" = "$(json_get .Table.BillingModeSummary.BillingMode <"$tmp/aws.json")" ] &&
			[ "$(json_get .Table.TableArn <"$tmp/out")" = "$(json_get .Table.TableArn <"$tmp/aws.json")" ]
		check "aws describe-table $t: same KeySchema and BillingMode"
		same_fields "$tmp/aws.json" "$tmp/out"
		check "aws describe-table $t: every field it prints, dyntablectl prints the same"
	done
fi

# ---- waits -------------------------------------------------------------------------

start=$(now_ms)
run wait "$missing" --timeout 0.5
took=$(($(now_ms) - start))
rc_is 5 && [ "$took" -lt 2000 ] && err_oneline &&
	err_has "^dyntablectl: wait $missing: TIMEOUT"
check "wait on a missing table --timeout 0.5: exit 5 within 2 s (took ${took} ms)"

run create "$t4" --pk k:S
rc_is 0 && out_has "^Status: +CREATING$"
check "create without --wait: exit 0, CREATING"
run exists "$t4"
rc_is 0 && out_has "^$t4 exists \((CREATING|ACTIVE)\)$"
check "exists on a table being created: exit 0"
run wait "$t4" --timeout 10
rc_is 0 && out_line "$t4 ACTIVE"
check "wait --timeout 10: exit 0, prints ACTIVE"

run delete "$t1" --wait
rc_is 0 && out_line "$t1 deleted"
check "delete --wait: exit 0, prints deleted"
run exists "$t1"
rc_is 1
check "exists after delete --wait: exit 1"
run wait "$t1" --deleted
rc_is 0 && out_line "$t1 deleted"
check "wait --deleted on a gone table: exit 0"

run delete "$t4"
rc_is 0 && out_line "$t4 DELETING"
check "delete without --wait: exit 0, prints DELETING"
run wait "$t4" --deleted --timeout 10
rc_is 0 && out_line "$t4 deleted"
check "wait --deleted --timeout 10 after delete: exit 0"

run delete "$t2" --json
rc_is 0 &&
	[ "$(json_get .TableDescription.TableName <"$tmp/out")" = "$t2" ] &&
	[ "$(json_get .TableDescription.TableStatus <"$tmp/out")" = DELETING ]
check "delete --json: TableDescription, DELETING"
run wait "$t2" --deleted --timeout 10
rc_is 0
check "wait --deleted after delete --json: exit 0"
run delete "$t3" --wait --timeout 10
rc_is 0 && out_line "$t3 deleted"
check "delete --wait --timeout 10: exit 0"

# ---- usage errors: exit 2 before any connection (the socket here is bogus) -------------

bogus=/nonexistent/dyntable.sock
run --socket "$bogus" create "$prefix-u" --pk a:X
rc_is 2 && err_has "--pk"
check "usage: bad key type: exit 2"
run --socket "$bogus" create "$prefix-u"
rc_is 2 && err_has "--pk is required"
check "usage: missing --pk: exit 2"
run --socket "$bogus" frobnicate "$prefix-u"
rc_is 2 && err_has "unknown verb"
check "usage: unknown verb: exit 2"
run --socket "$bogus" create "$prefix-u" --pk a:S --rcu 3 --wcu 3
rc_is 2 && err_has "PAY_PER_REQUEST"
check "usage: --rcu/--wcu with PAY_PER_REQUEST: exit 2"
run --socket "$bogus" wait "$prefix-u" --timeout soon
rc_is 2
check "usage: bad --timeout: exit 2"
run --socket "$bogus" describe
rc_is 2
check "usage: missing TABLE: exit 2"
run --socket "$bogus"
rc_is 2
check "usage: no verb: exit 2"

# ---- daemon unreachable ------------------------------------------------------------------

run --socket "$bogus" list
rc_is 3 &&
	err_oneline && err_has "^dyntablectl: cannot connect to $bogus: "
check "unreachable daemon: exit 3, one line naming the socket"
run --socket "$bogus" exists "$prefix-u"
rc_is 3
check "exists with an unreachable daemon: exit 3 (not 1)"

# A socket that accepts and hangs up at once: the handshake fails.
if command -v python3 >/dev/null 2>&1; then
	timeout 20 python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(8)
while True:
    s.accept()[0].close()
' "$tmp/hangup.sock" &
	hangup_pid=$!
	for _ in $(seq 50); do
		[ -S "$tmp/hangup.sock" ] && break
		sleep 0.1
	done
	run --socket "$tmp/hangup.sock" describe "$prefix-u"
	rc_is 3 && err_oneline && err_has "^dyntablectl: cannot connect to $tmp/hangup.sock: "
	check "daemon hangs up at once: exit 3, one line"
	kill "$hangup_pid" 2>/dev/null
	wait "$hangup_pid" 2>/dev/null
else
	skip "daemon hangs up at once (no python3)"
fi

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
