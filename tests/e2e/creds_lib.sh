# SPDX-License-Identifier: MIT
# creds_lib.sh: what the credential end-to-end tests share (sourced by
# test_creds.sh and test_creds_profiles.sh, with creds_work set to the
# name of their directory under DYNTABLE_TEST_DIR): argument and
# environment checks, tests/tools/aws-standins.js started for the run,
# keys and a credential_process the tests make up, daemons started with a
# controlled environment, checks, and the final secrets check.
# shellcheck shell=bash
set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 PATH/TO/dyntabled PATH/TO/dtcall" >&2
	exit 2
fi
daemon_bin=$1
dtcall=$2
for v in DYNTABLE_TEST_DIR DYNTABLE_TEST_ENDPOINT DYNTABLE_TEST_KEYS \
	DYNTABLE_TEST_REQUESTS; do
	if [ -z "${!v:-}" ]; then
		echo "$0: $v is not set; run me through tests/e2e/harness.sh" >&2
		exit 2
	fi
done
if ! command -v jq >/dev/null 2>&1; then
	echo "$0: needs jq" >&2
	exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd) || exit 2
tools=$(cd "$here/../tools" && pwd) || exit 2

work=$DYNTABLE_TEST_DIR/${creds_work:?}
mkdir -p "$work" || exit 2
endpoint=$DYNTABLE_TEST_ENDPOINT
keys=$DYNTABLE_TEST_KEYS
requests=$DYNTABLE_TEST_REQUESTS
replies=$work/replies.jsonl # every reply any daemon gave
secrets=$work/secrets.txt   # every secret any provider handed out
: >"$replies"
: >"$secrets"
wrapper=${DYNTABLE_TEST_WRAPPER:-}
slow=1
[ -n "$wrapper" ] && slow=4

passed=0
failed=0
pass() { passed=$((passed + 1)); printf 'PASS: %s\n' "$1"; }
fail() {
	failed=$((failed + 1))
	printf 'FAIL: %s%s\n' "$1" "${2:+ ($2)}"
}
check() { # COND; check NAME [WHY]
	local st=$?
	if [ "$st" -eq 0 ]; then pass "$1"; else fail "$1" "${2:-}"; fi
}
hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

# ---- the stand-ins ------------------------------------------------------------
web_token="webtoken$(hex 24)"
container_token="containertoken$(hex 24)"
printf '%s\n%s\n' "$web_token" "$container_token" >>"$secrets"
printf '%s\n' "$web_token" >"$work/web-token"
printf '%s\n' "$container_token" >"$work/container-token"

node "$tools/aws-standins.js" --state "$work/standins.json" --keys "$keys" \
	--secrets "$secrets" --lifetime 3600 --web-token "$web_token" \
	--container-token "$container_token" \
	</dev/null >"$work/standins.log" 2>&1 &
standins_pid=$!
declare -A pids=()
cleanup() {
	local n
	for n in "${!pids[@]}"; do
		kill -KILL "${pids[$n]}" 2>/dev/null
		wait "${pids[$n]}" 2>/dev/null
	done
	kill -TERM "$standins_pid" 2>/dev/null
	wait "$standins_pid" 2>/dev/null
}
trap cleanup EXIT
for _ in $(seq 100); do
	[ -s "$work/standins.json" ] && break
	sleep 0.1
done
if [ ! -s "$work/standins.json" ]; then
	echo "$0: aws-standins did not start:" >&2
	cat "$work/standins.log" >&2
	exit 1
fi
sport=$(jq -r .port "$work/standins.json")
cport=$(jq -r .control "$work/standins.json")
standins=http://127.0.0.1:$sport
control() { # control JSON: configures the stand-ins
	curl -fsS -X POST --data "$1" "http://127.0.0.1:$cport/config" >/dev/null
}
sstat() { # sstat STREAM FIELD: a stand-in counter
	curl -fsS "http://127.0.0.1:$cport/stats" | jq -r ".$1.$2"
}

# ---- keys the tests make up -----------------------------------------------------
# new_keys [TOKEN]: sets kid, ksecret, ktoken and lets the proxy accept them.
new_keys() {
	kid="AKIDTEST$(hex 6 | tr a-f A-F)"
	ksecret="testsecret$(hex 20)"
	ktoken=""
	if [ "${1:-token}" = token ]; then
		ktoken="testtoken$(hex 40)"
		printf '{"access_key":"%s","secret":"%s","token":"%s"}\n' \
			"$kid" "$ksecret" "$ktoken" >>"$keys"
		printf '%s\n%s\n' "$ksecret" "$ktoken" >>"$secrets"
	else
		printf '{"access_key":"%s","secret":"%s"}\n' "$kid" \
			"$ksecret" >>"$keys"
		printf '%s\n' "$ksecret" >>"$secrets"
	fi
}

# A credential_process: cred-proc MODE LIFETIME DELAY WORD. MODE ok or
# fail; LIFETIME 0 gives keys without Expiration; WORD must be "two words"
# (checks the daemon split the command line like a shell would).
bindir="$work/bin dir"
mkdir -p "$bindir"
cat >"$bindir/cred-proc" <<EOF
#!/usr/bin/env bash
set -u
mode=\$1 lifetime=\$2 delay=\$3
if [ "\$4" != "two words" ]; then echo "bad argument: \$4" >&2; exit 3; fi
sleep "\$delay"
if [ "\$mode" = fail ]; then echo "cred-proc: no credentials today" >&2; exit 1; fi
rnd() { od -An -tx1 -N"\$1" /dev/urandom | tr -d ' \\n'; }
id=ASIAPR\$(rnd 6 | tr a-f A-F)
secret=procsecret\$(rnd 20)
token=proctoken\$(rnd 40)
now=\$(date +%s)
if [ "\$lifetime" -gt 0 ]; then
	exp=\$((now + lifetime))
	printf '{"access_key":"%s","secret":"%s","token":"%s","expires":%s000,"issued":%s,"stream":"process"}\\n' \\
		"\$id" "\$secret" "\$token" "\$exp" "\$(date +%s%3N)" >>"$keys"
	printf '%s\\n%s\\n' "\$secret" "\$token" >>"$secrets"
	printf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s", "SessionToken": "%s", "Expiration": "%s"}\\n' \\
		"\$id" "\$secret" "\$token" "\$(date -u -d @\$exp +%Y-%m-%dT%H:%M:%SZ)"
else
	printf '{"access_key":"%s","secret":"%s","token":"%s"}\\n' "\$id" "\$secret" "\$token" >>"$keys"
	printf '%s\\n%s\\n' "\$secret" "\$token" >>"$secrets"
	printf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s", "SessionToken": "%s"}\\n' \\
		"\$id" "\$secret" "\$token"
fi
EOF
chmod +x "$bindir/cred-proc"
proc_cmd() { # proc_cmd MODE LIFETIME DELAY: a credential_process line
	printf '"%s/cred-proc" %s %s %s '"'"'two words'"'" "$bindir" "$1" "$2" "$3"
}

# ---- daemons ------------------------------------------------------------------------
std_args=(--endpoint "$endpoint" --region us-east-1)

# start NAME [VAR=VALUE...] [-- DAEMON-ARGS...]: a daemon with only these
# variables (and PATH, HOME=$work/NAME, IMDS disabled unless overridden).
# Without DAEMON-ARGS: the proxy's endpoint and us-east-1.
start() {
	local name=$1 sock=$work/$1.sock
	shift
	local envs=() args=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
	if [ $# -gt 0 ]; then shift; args=("$@"); else args=("${std_args[@]}"); fi
	mkdir -p "$work/$name"
	rm -f "$sock"
	# shellcheck disable=SC2086 # the wrapper is a command line on purpose
	env -i PATH="$PATH" HOME="$work/$name" NO_PROXY='*' no_proxy='*' \
		ASAN_OPTIONS="${ASAN_OPTIONS:-}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" \
		AWS_EC2_METADATA_DISABLED=true "${envs[@]}" \
		$wrapper "$daemon_bin" --socket "$sock" --log-level debug "${args[@]}" \
		</dev/null >"$work/$name.log" 2>&1 &
	pids[$name]=$!
	for _ in $(seq $((100 * slow))); do
		[ -S "$sock" ] && return 0
		kill -0 "${pids[$name]}" 2>/dev/null || break
		sleep 0.1
	done
	fail "$name: daemon did not start" "$(tail -n 3 "$work/$name.log" | tr '\n' ' ')"
	return 1
}

# stop NAME: SIGTERM; the daemon must exit 0, its log free of sanitizer
# reports.
stop() {
	local name=$1 pid=${pids[$1]:-} st
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq $((100 * slow))); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
		fail "$name: exits on SIGTERM"
	fi
	wait "$pid"
	st=$?
	unset "pids[$name]"
	if [ "$st" -ne 0 ]; then
		fail "$name: exit status 0 after SIGTERM" "status $st"
	fi
	if grep -Eq 'ERROR: (Address|Leak|Memory)Sanitizer|runtime error:|== ?ERROR SUMMARY: [1-9]' \
		"$work/$name.log"; then
		fail "$name: no sanitizer or valgrind report"
	fi
}

# call NAME OP [ARGS]: the last reply in $work/reply (all go to $replies).
call() {
	local name=$1 op=$2
	shift 2
	timeout -k 2 $((30 * slow)) "$dtcall" "$work/$name.sock" "$op" "$@" \
		>"$work/reply" 2>"$work/reply.err"
	cat "$work/reply" >>"$replies"
}
reply() { tail -n 1 "$work/reply" | jq -r "$1"; }
status() { call "$1" status && reply ".result.$2"; }

# The key id a stand-in or cred-proc issued last with this prefix.
last_issued() { grep -o "\"access_key\":\"$1[A-Z0-9]*\"" "$keys" | tail -n 1 | cut -d'"' -f4; }

# expect_keys NAME SOURCE KEYID: list_tables succeeds, signed with KEYID
# (seen by the proxy), and status names SOURCE and KEYID's last four.
# KEYID PREFIX* means the keys issued last with that prefix, once the
# daemon has them.
expect_keys() {
	local name=$1 source=$2 id=$3 before after
	before=$(grep -c . "$requests")
	call "$name" list_tables
	[ "$(reply .ok)" = true ]
	check "$name: list_tables succeeds" "$(cat "$work/reply" "$work/reply.err")"
	case $id in *\*) id=$(last_issued "${id%\*}") ;; esac
	before=$(head -n "$before" "$requests" | grep -c "\"akid\":\"$id\"")
	after=$(grep -c "\"akid\":\"$id\"" "$requests")
	[ "$after" -gt "$before" ]
	# Only the tail: what the tests print is swept for full key ids too.
	check "$name: requests signed with the key id ending ${id: -4}"
	[ "$(status "$name" credentials.source)" = "$source" ]
	check "$name: credentials from $source" "$(reply .result.credentials)"
	[ "$(reply .result.credentials.key_id_tail)" = "${id: -4}" ]
	check "$name: status shows the key id's last four characters"
}

# expect_no_creds NAME WORDS: list_tables fails with CREDENTIALS whose
# message mentions WORDS.
expect_no_creds() {
	call "$1" list_tables
	[ "$(reply .ok)" = false ] && [ "$(reply .error.name)" = CREDENTIALS ]
	check "$1: CREDENTIALS error" "$(cat "$work/reply")"
	reply .error.message | grep -qF -- "$2"
	check "$1: the message says why ($2)" "$(reply .error.message)"
}


# load_ok NAME N: NAME's load run ($work/NAME.load) had N calls, all
# succeeded, and the daemon got keys at least 3 times meanwhile.
load_ok() {
	local n=$1 count=$2 refreshes
	cat "$work/$n.load" >>"$replies"
	[ "$(grep -c '"ok":true' "$work/$n.load")" -eq "$count" ]
	check "$n: $count calls 100 ms apart with keys living $life s all succeed" \
		"$(grep -v '"ok":true' "$work/$n.load" | head -n 2)"
	refreshes=$(grep -c 'credentials: from' "$work/$n.log")
	[ "$refreshes" -ge 3 ]
	check "$n: the keys were refreshed ($refreshes sets)"
}
# signed_ok WHAT LINE: the proxy accepted every request logged after LINE
# (none signed with expired keys); they go to $work/WHAT.requests.
signed_ok() {
	tail -n +"$(($2 + 1))" "$requests" >"$work/$1.requests"
	[ "$(grep -c '"sig_ok":true' "$work/$1.requests")" -eq "$(wc -l <"$work/$1.requests")" ]
	check "$1: the proxy accepted every request (none signed with expired keys)" \
		"$(grep -v '"sig_ok":true' "$work/$1.requests" | head -n 2)"
}

# ---- the end: no secret left the daemons ---------------------------------------------
# creds_finish MIN: every secret any provider handed out (at least MIN of
# them) is in no daemon log and no reply; they go to the harness's
# DYNTABLE_TEST_SECRETS too, for its sweep of every output of the run.
# Prints the totals; returns 1 if a check failed.
creds_finish() {
	echo "# secrets"
	# Everything the stand-ins handed out too (and the cred-proc keys again).
	jq -r '.secret, (.token // empty)' "$keys" >>"$secrets"
	sort -u "$secrets" | grep . >"$secrets.sorted" && mv "$secrets.sorted" "$secrets"
	[ -n "${DYNTABLE_TEST_SECRETS:-}" ] && cat "$secrets" >>"$DYNTABLE_TEST_SECRETS"
	n_secrets=$(grep -c . "$secrets")
	[ "$n_secrets" -ge "$1" ]
	check "secrets: $n_secrets secrets were handed out by the providers"
	leaks=$(grep -lF -f "$secrets" "$work"/*.log "$DYNTABLE_TEST_DAEMON_LOG" 2>/dev/null)
	[ -z "$leaks" ]
	check "secrets: none appears in any daemon log (all at debug level)" "$leaks"
	! grep -qF -f "$secrets" "$replies"
	check "secrets: none appears in any of the $(grep -c . "$replies") replies"
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
