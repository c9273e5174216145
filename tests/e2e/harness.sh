#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# End-to-end harness: runs COMMAND against a real dyntabled that talks to
# dynalite through tests/tools/dynalite-proxy.js, all on loopback.
#
#   harness.sh DAEMON_BIN -- COMMAND [ARGS...]
#
# With DYNTABLE_TEST_SOCKET set, only exports DYNTABLE_SOCKET=$it and runs
# COMMAND (for a daemon that is already running; no checks).
#
# Otherwise, in a fresh temporary directory:
#   1. starts dynalite and its proxy (tables stay CREATING/DELETING for
#      $DYNTABLE_TEST_CREATE_MS / $DYNTABLE_TEST_DELETE_MS, default 500 ms);
#   2. starts DAEMON_BIN (prefixed by $DYNTABLE_TEST_WRAPPER, e.g.
#      "valgrind --error-exitcode=99 --leak-check=full") with test
#      credentials and nothing from this machine's AWS setup;
#   3. runs COMMAND with these exported:
#        DYNTABLE_SOCKET             the daemon's socket
#        DYNTABLE_TEST_DIR           the temporary directory
#        DYNTABLE_TEST_REQUESTS      JSONL, one line per request to DynamoDB
#        DYNTABLE_TEST_CONTROL       http://127.0.0.1:PORT, fault injection
#        DYNTABLE_TEST_DYNALITE_URL  dynalite itself, bypassing the proxy
#        DYNTABLE_TEST_ENDPOINT      the proxy, for more daemons of a test
#        DYNTABLE_TEST_KEYS          JSONL of more keys the proxy accepts
#                                    (dynalite-proxy.js --keys); append to it
#        DYNTABLE_TEST_DAEMON_PID    the daemon's pid
#        DYNTABLE_TEST_DAEMON_LOG    its stderr
#        DYNTABLE_TEST_SECRETS       every secret of the run, one a line:
#                                    the daemon's key id, secret and token;
#                                    tests append the ones they add
#      and keeps what COMMAND prints (replies, status, messages) in
#      command.out;
#   4. stops the daemon with SIGTERM and fails unless it exits 0 within
#      10 s, every request it sent was correctly signed, no sanitizer
#      reported anything, and the secrets sweep finds nothing: no secret,
#      token or full access key id of DYNTABLE_TEST_SECRETS or
#      DYNTABLE_TEST_KEYS in any log or output of the run (command.out and
#      every *.log and *.out under the temporary directory: tests keep the
#      logs of their own daemons there). With DYNTABLE_TEST_ARTIFACTS set,
#      what was swept is also copied below it, for the suite-wide sweep
#      (secrets_sweep.sh).
# DYNTABLE_TEST_DAEMON_ARGS: more options for the daemon (split on
# blanks), after the harness's own; unlike a daemon_args.sh wrapper, they
# keep DYNTABLE_TEST_WRAPPER (valgrind in scripts/test.sh's pass).
# DYNTABLE_TEST_CREDS_EXPIRE: the daemon's keys are temporary and expire
# then (AWS_CREDENTIAL_EXPIRATION, an ISO 8601 time).
# DYNTABLE_TEST_BACKEND=moto puts moto's server (moto_server, on a free
# loopback port) behind the proxy instead of dynalite, for what dynalite
# lacks (UpdateTimeToLive, continuous backups, table class, SSE and
# streams in DescribeTable); without moto_server the harness exits 77
# (ctest: skipped) and says why. DYNTABLE_TEST_BACKEND is exported.
# The proxy also accepts the signing regions in $DYNTABLE_TEST_EXTRA_REGIONS
# (comma-separated). AWS_EC2_METADATA_DISABLED=true is exported so that no
# daemon can reach for a real metadata address; a test that points one at
# tests/tools/aws-standins.js sets it to false for that daemon only.
# Exits with COMMAND's status when that failed, else 1 when a check failed,
# else 0. DYNTABLE_TEST_KEEP=1 keeps the temporary directory.
set -u

me=harness.sh
say() { printf '%s: %s\n' "$me" "$*" >&2; }

if [ $# -lt 3 ] || [ "$2" != "--" ]; then
	echo "usage: $me DAEMON_BIN -- COMMAND [ARGS...]" >&2
	exit 2
fi
daemon_bin=$1
shift 2

if [ -n "${DYNTABLE_TEST_SOCKET:-}" ]; then
	export DYNTABLE_SOCKET=$DYNTABLE_TEST_SOCKET
	exec "$@"
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd) || exit 1
tools=$(cd "$here/../tools" && pwd) || exit 1

if ! command -v node >/dev/null 2>&1; then
	say "node not found; install Node.js 20, then run: npm ci --prefix tests/tools"
	exit 1
fi
if [ ! -f "$tools/node_modules/dynalite/package.json" ]; then
	say "dynalite is not installed; run: npm ci --prefix tests/tools"
	exit 1
fi
if [ ! -x "$daemon_bin" ]; then
	say "no daemon executable at $daemon_bin"
	exit 1
fi

# Nothing from this machine's AWS or proxy setup may reach the daemon or
# the tests: loopback only, and only the credentials below.
for v in AWS_PROFILE AWS_DEFAULT_PROFILE AWS_CONFIG_FILE \
	AWS_SHARED_CREDENTIALS_FILE AWS_REGION AWS_DEFAULT_REGION \
	AWS_ENDPOINT_URL AWS_ENDPOINT_URL_DYNAMODB AWS_ENDPOINT_URL_STS \
	AWS_IGNORE_CONFIGURED_ENDPOINT_URLS AWS_USE_FIPS_ENDPOINT \
	AWS_USE_DUALSTACK_ENDPOINT AWS_ROLE_ARN \
	AWS_ROLE_SESSION_NAME AWS_WEB_IDENTITY_TOKEN_FILE \
	AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_CONTAINER_CREDENTIALS_FULL_URI \
	AWS_CONTAINER_AUTHORIZATION_TOKEN AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE \
	AWS_EC2_METADATA_SERVICE_ENDPOINT AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE \
	AWS_EC2_METADATA_V1_DISABLED AWS_CREDENTIAL_EXPIRATION CREDENTIALS_DIRECTORY \
	AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_SECURITY_TOKEN \
	http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY \
	no_proxy NO_PROXY DYNTABLE_SOCKET; do
	unset "$v"
done
export AWS_EC2_METADATA_DISABLED=true NO_PROXY='*' no_proxy='*'

dir=$(mktemp -d /tmp/dyntable-e2e.XXXXXX) || exit 1
node_pid=
moto_pid=
daemon_pid=
cmd_pid=

# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	local pid
	for pid in $cmd_pid $daemon_pid; do
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	for pid in $node_pid $moto_pid; do
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	if [ "${DYNTABLE_TEST_KEEP:-0}" = 1 ]; then
		say "kept $dir"
	else
		rm -rf "$dir"
	fi
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT
trap 'say "terminated"; exit 143' TERM

# True while PID runs; a zombie (exited, not yet waited for) does not.
running() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	[ "${st%% *}" != Z ]
}
random_hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }
access_key=AKIDEXAMPLE
secret_key="testsecret$(random_hex 16)"
session_token="testtoken$(random_hex 24)"
region=us-east-1

# ---- moto, when asked for ---------------------------------------------------
upstream_args=()
moto_pid=
export DYNTABLE_TEST_BACKEND=${DYNTABLE_TEST_BACKEND:-dynalite}
if [ "$DYNTABLE_TEST_BACKEND" = moto ]; then
	if ! command -v moto_server >/dev/null 2>&1; then
		say "SKIP: moto_server is not on PATH (pip install 'moto[server]'); this test needs moto for what dynalite lacks"
		exit 77
	fi
	moto_port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	moto_server -H 127.0.0.1 -p "$moto_port" </dev/null >"$dir/moto.log" 2>&1 &
	moto_pid=$!
	for _ in $(seq 150); do
		curl -s -o /dev/null "http://127.0.0.1:$moto_port/" && break
		running "$moto_pid" || break
		sleep 0.1
	done
	if ! curl -s -o /dev/null "http://127.0.0.1:$moto_port/"; then
		say "moto_server did not start on 127.0.0.1:$moto_port; its output:"
		cat "$dir/moto.log" >&2
		exit 1
	fi
	upstream_args=(--upstream-port "$moto_port")
fi

# ---- dynalite and its proxy ------------------------------------------------
touch "$dir/keys.jsonl"
node "$tools/dynalite-proxy.js" "${upstream_args[@]}" --state "$dir/state.json" \
	--log "$dir/requests.jsonl" --secret "$secret_key" \
	--access-key "$access_key" --token "$session_token" \
	--region "$region${DYNTABLE_TEST_EXTRA_REGIONS:+,$DYNTABLE_TEST_EXTRA_REGIONS}" \
	--keys "$dir/keys.jsonl" \
	--create-ms "${DYNTABLE_TEST_CREATE_MS:-500}" \
	--delete-ms "${DYNTABLE_TEST_DELETE_MS:-500}" \
	--update-ms "${DYNTABLE_TEST_UPDATE_MS:-500}" \
	</dev/null >"$dir/proxy.log" 2>&1 &
node_pid=$!

for _ in $(seq 100); do
	[ -s "$dir/state.json" ] && break
	running "$node_pid" || break
	sleep 0.1
done
if [ ! -s "$dir/state.json" ]; then
	say "dynalite-proxy did not start; its output:"
	cat "$dir/proxy.log" >&2
	exit 1
fi
port() { sed -n "s/.*\"$1\": *\([0-9][0-9]*\).*/\1/p" "$dir/state.json"; }
proxy_port=$(port proxy)
control_port=$(port control)
dynalite_port=$(port dynalite)

# Every secret of the run, for the sweep at the end (tests append theirs).
printf '%s\n' "$access_key" "$secret_key" "$session_token" >"$dir/secrets"

# ---- the daemon --------------------------------------------------------------
socket=$dir/dyntabled.sock
daemon_log=$dir/daemon.log
daemon_env=()
[ -n "${DYNTABLE_TEST_CREDS_EXPIRE:-}" ] &&
	daemon_env+=("AWS_CREDENTIAL_EXPIRATION=$DYNTABLE_TEST_CREDS_EXPIRE")
# shellcheck disable=SC2086 # the wrapper and the options are word lists on purpose
env HOME="$dir" AWS_ACCESS_KEY_ID="$access_key" \
	AWS_SECRET_ACCESS_KEY="$secret_key" AWS_SESSION_TOKEN="$session_token" \
	"${daemon_env[@]}" \
	${DYNTABLE_TEST_WRAPPER:-} "$daemon_bin" --socket "$socket" \
	--endpoint "http://127.0.0.1:$proxy_port" --region "$region" \
	--log-level debug ${DYNTABLE_TEST_DAEMON_ARGS:-} \
	</dev/null >"$daemon_log" 2>&1 &
daemon_pid=$!

# Under a wrapper such as valgrind, starting takes longer.
start_tenths=100
[ -n "${DYNTABLE_TEST_WRAPPER:-}" ] && start_tenths=600
for _ in $(seq "$start_tenths"); do
	[ -S "$socket" ] && break
	running "$daemon_pid" || break
	sleep 0.1
done
if [ ! -S "$socket" ]; then
	if running "$daemon_pid"; then
		say "dyntabled did not create $socket within $((start_tenths / 10)) s; its log:"
	else
		wait "$daemon_pid"
		say "dyntabled exited with status $? before listening; its log:"
		daemon_pid=
	fi
	cat "$daemon_log" >&2
	exit 1
fi

export DYNTABLE_SOCKET="$socket"
export DYNTABLE_TEST_DIR="$dir"
export DYNTABLE_TEST_REQUESTS="$dir/requests.jsonl"
export DYNTABLE_TEST_CONTROL="http://127.0.0.1:$control_port"
export DYNTABLE_TEST_DYNALITE_URL="http://127.0.0.1:$dynalite_port"
export DYNTABLE_TEST_ENDPOINT="http://127.0.0.1:$proxy_port"
export DYNTABLE_TEST_KEYS="$dir/keys.jsonl"
export DYNTABLE_TEST_DAEMON_PID="$daemon_pid"
export DYNTABLE_TEST_DAEMON_LOG="$daemon_log"
export DYNTABLE_TEST_SECRETS="$dir/secrets"

# ---- the test ------------------------------------------------------------------
# In the background so that INT/TERM reach our traps at once; what it says
# goes to our output and to command.out, for the sweep.
{ "$@" <&0 2>&1; echo $? >"$dir/command.status"; } | tee "$dir/command.out" &
cmd_pid=$!
wait "$cmd_pid"
cmd_status=$(cat "$dir/command.status" 2>/dev/null || echo 1)
cmd_pid=
failed=0
if [ "$cmd_status" -ne 0 ]; then
	say "FAIL: the test command exited with status $cmd_status"
	failed=1
fi

# ---- checks ----------------------------------------------------------------
if ! running "$daemon_pid"; then
	wait "$daemon_pid"
	say "FAIL: dyntabled died during the test (status $?)"
	daemon_pid=
	failed=1
else
	kill -TERM "$daemon_pid"
	stop_tenths=100
	[ -n "${DYNTABLE_TEST_WRAPPER:-}" ] && stop_tenths=300
	for _ in $(seq "$stop_tenths"); do
		running "$daemon_pid" || break
		sleep 0.1
	done
	if running "$daemon_pid"; then
		say "FAIL: dyntabled did not exit within $((stop_tenths / 10)) s of SIGTERM"
		kill -KILL "$daemon_pid" 2>/dev/null
		wait "$daemon_pid" 2>/dev/null
		failed=1
	else
		wait "$daemon_pid"
		daemon_status=$?
		if [ "$daemon_status" -ne 0 ]; then
			say "FAIL: dyntabled exited with status $daemon_status after SIGTERM"
			failed=1
		fi
	fi
	daemon_pid=
fi

if grep -Eq 'ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error:|== ?ERROR SUMMARY: [1-9]' "$daemon_log"; then
	say "FAIL: a sanitizer or valgrind reported errors in the daemon"
	failed=1
fi
# The secrets sweep: the run's secrets (ours, the tests', the proxy's
# extra keys) against every log and output. Short strings are no evidence
# either way and are left out.
{
	cat "$dir/secrets"
	jq -r '.access_key, .secret, .token // empty' "$dir/keys.jsonl" 2>/dev/null
} | awk 'length($0) >= 6' | sort -u >"$dir/secrets.all"
find "$dir" -type f \( -name '*.log' -o -name '*.out' \) ! -name proxy.log \
	>"$dir/swept.list"
n_secrets=$(grep -c . "$dir/secrets.all")
n_files=$(grep -c . "$dir/swept.list")
if [ "$n_secrets" -lt 3 ] || [ "$n_files" -lt 2 ]; then
	say "FAIL: secrets sweep without evidence ($n_secrets secrets, $n_files files)"
	failed=1
elif hits=$(xargs -d '\n' grep -lF -f "$dir/secrets.all" <"$dir/swept.list"); then
	say "FAIL: a secret, token or full key id appears in: $(echo $hits)"
	for f in $hits; do
		grep -noF -f "$dir/secrets.all" "$f" | head -n 3 |
			sed 's/:[^:]*$/: (a secret)/' >&2
	done
	failed=1
else
	say "secrets sweep: none of $n_secrets secrets in $n_files logs and outputs"
fi
if [ -n "${DYNTABLE_TEST_ARTIFACTS:-}" ] &&
	mkdir -p "$DYNTABLE_TEST_ARTIFACTS" &&
	art=$(mktemp -d "$DYNTABLE_TEST_ARTIFACTS/run.XXXXXX"); then
	cp "$dir/secrets.all" "$art/secrets"
	n=0
	while IFS= read -r f; do
		n=$((n + 1))
		cp "$f" "$art/$n.$(basename "$f")"
	done <"$dir/swept.list"
fi

total=0
bad=0
if [ -f "$DYNTABLE_TEST_REQUESTS" ]; then
	total=$(grep -c . "$DYNTABLE_TEST_REQUESTS")
	bad=$(grep -cv '"sig_ok":true' "$DYNTABLE_TEST_REQUESTS")
fi
if [ "$bad" -ne 0 ]; then
	say "FAIL: $bad of $total requests to DynamoDB were not correctly signed:"
	grep -v '"sig_ok":true' "$DYNTABLE_TEST_REQUESTS" | head -n 5 >&2
	failed=1
else
	say "$total requests to DynamoDB, all correctly signed"
fi

if [ "$failed" -ne 0 ]; then
	say "last lines of the daemon's log ($daemon_log):"
	tail -n 40 "$daemon_log" >&2
	if [ -s "$dir/proxy.log" ]; then
		say "dynalite-proxy's output:"
		tail -n 20 "$dir/proxy.log" >&2
	fi
	[ "$cmd_status" -ne 0 ] && exit "$cmd_status"
	exit 1
fi
exit 0
