#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# End-to-end test of dyntablectl's namespaces, ephemeral tables, sessions
# (hold), --table-only, list --all and reap, through libdyntable.
#
#   test_cli_ephemeral.sh PATH/TO/dyntablectl
#
# Run through tests/e2e/harness.sh with the daemon's --ephemeral-grace 1
# (tests/e2e/CMakeLists.txt does). Prints PASS/FAIL per check; exits 1 if
# any check failed.
set -u

if [ $# -ne 1 ] || [ ! -x "$1" ] || [ -z "${DYNTABLE_SOCKET:-}" ]; then
	echo "usage: $0 PATH/TO/dyntablectl (under tests/e2e/harness.sh)" >&2
	exit 2
fi
ctl=$1
grace=1 # the daemon's --ephemeral-grace here
tmp=$(mktemp -d /tmp/dyntable-clieph.XXXXXX) || exit 2
p="ce$$"
passed=0
failed=0
holder=

cleanup() {
	[ -n "$holder" ] && kill "$holder" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
unset DYNTABLE_NAMESPACE DYNTABLE_SESSION

pass() { passed=$((passed + 1)); printf 'PASS: %s\n' "$1"; }
fail() {
	failed=$((failed + 1))
	printf 'FAIL: %s\n      last: %s -> exit %s\n' "$1" "$last" "$rc"
	sed 's/^/      stdout: /' "$tmp/out"
	sed 's/^/      stderr: /' "$tmp/err"
}
check() { if [ $? -eq 0 ]; then pass "$1"; else fail "$1"; fi; }
run() {
	last="$*"
	timeout -k 2 30 "$ctl" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}
out_line() { grep -Fxq -- "$1" "$tmp/out"; }
# gone TABLE SECONDS: true once TABLE does not exist, within SECONDS.
gone() {
	local i
	for i in $(seq $(($2 * 10))); do
		"$ctl" exists "$1" >/dev/null 2>&1
		[ $? -eq 1 ] && return 0
		sleep 0.1
	done
	return 1
}

# ---- namespaces ----------------------------------------------------------------
DYNTABLE_NAMESPACE=${p}a run create users --pk id:S --wait
[ "$rc" -eq 0 ] && grep -q 'users' "$tmp/out"
check "create in namespace ${p}a (DYNTABLE_NAMESPACE)"
run --namespace "${p}b" create users --pk id:S --wait --json
[ "$rc" -eq 0 ] && grep -q '"TableName": "users"' "$tmp/out"
check "create the same name in namespace ${p}b (--namespace), name unprefixed"
DYNTABLE_NAMESPACE=${p}a run list
[ "$rc" -eq 0 ] && out_line users && ! grep -q "${p}b" "$tmp/out"
check "list shows the namespace's tables, unprefixed"
DYNTABLE_NAMESPACE=${p}a run list --all
[ "$rc" -eq 0 ] && out_line "${p}a.users" && out_line "${p}b.users"
check "list --all shows every namespace, prefixed"
run --namespace "${p}a" delete users --wait
[ "$rc" -eq 0 ]
check "delete in one namespace"
run exists "${p}b.users"
[ "$rc" -eq 0 ]
check "the other namespace's table is untouched"
run --namespace 'bad.ns' list
[ "$rc" -eq 3 ] && grep -q namespace "$tmp/err"
check "a bad namespace fails the handshake"

# ---- waits ------------------------------------------------------------------------
run create "${p}-only" --pk id:S --table-only
[ "$rc" -eq 2 ]
check "--table-only needs --wait"
run create "${p}-only" --pk id:S --wait --table-only
[ "$rc" -eq 0 ] && grep -q ACTIVE "$tmp/out"
check "create --wait --table-only"
run wait "${p}-only" --table-only --timeout 10
[ "$rc" -eq 0 ] && out_line "${p}-only ACTIVE"
check "wait --table-only"
run wait "${p}-only" --table-only --deleted
[ "$rc" -eq 2 ]
check "--table-only and --deleted exclude each other"

# ---- ephemeral tables and hold --------------------------------------------------------
run create "${p}-brief" --pk id:S --ephemeral --wait
[ "$rc" -eq 0 ] && grep -q 'ephemeral' "$tmp/err"
check "create --ephemeral without a holder says when it goes"
gone "${p}-brief" $((grace + 10))
check "... and it is gone soon after the command exits"

exec 3< <(exec "$ctl" hold)
holder=$!
read -r -t 10 token <&3
[ "${#token}" -eq 32 ]
check "hold prints a session token"
DYNTABLE_SESSION=$token run create "${p}-held" --pk id:S --ephemeral --wait
[ "$rc" -eq 0 ] && [ ! -s "$tmp/err" ]
check "create --ephemeral in the held session"
# Its dyntable:* tags are on it in DynamoDB (dynalite drops CreateTable's
# Tags: the daemon adds them with TagResource), read straight from
# dynalite: they let a reap delete it if this daemon dies.
tags_on() {
	local arn
	arn=$(curl -sf -X POST "${DYNTABLE_TEST_DYNALITE_URL:?}" \
		-H 'Content-Type: application/x-amz-json-1.0' \
		-H 'X-Amz-Target: DynamoDB_20120810.DescribeTable' \
		-H 'Authorization: AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0' \
		-d "{\"TableName\":\"$1\"}" | jq -r .Table.TableArn) || return 1
	curl -sf -X POST "$DYNTABLE_TEST_DYNALITE_URL" \
		-H 'Content-Type: application/x-amz-json-1.0' \
		-H 'X-Amz-Target: DynamoDB_20120810.ListTagsOfResource' \
		-H 'Authorization: AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0' \
		-d "{\"ResourceArn\":\"$arn\"}" |
		jq -e '[.Tags[].Key] | index("dyntable:owner") != null and index("dyntable:expires") != null' >/dev/null
}
for _ in 1 2 3 4 5 6 7 8 9 10; do tags_on "${p}-held" && break; sleep 0.3; done
tags_on "${p}-held"
check "its dyntable:owner and dyntable:expires tags are on it"
# ... and the daemon knows it: dynalite answers TagResource with a body
# of "", which is a success, not a malformed reply to warn about.
! grep -q "TagResource failed" "${DYNTABLE_TEST_DAEMON_LOG:?}"
check "the daemon read TagResource's answer as a success"
sleep $((grace + 2))
run exists "${p}-held"
[ "$rc" -eq 0 ]
check "the held session's table outlives its creator"
kill "$holder"
wait "$holder" 2>/dev/null
holder=
exec 3<&-
gone "${p}-held" $((grace + 10))
check "the table goes once the holder is gone"

# ---- reap --------------------------------------------------------------------------------
run reap
[ "$rc" -eq 0 ] && grep -q 'tables checked' "$tmp/err"
check "reap"
run reap --json
[ "$rc" -eq 0 ] && grep -q '"Checked"' "$tmp/out" && grep -q '"Deleted"' "$tmp/out"
check "reap --json"

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
