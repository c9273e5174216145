#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Operations (issue 6), run by harness.sh for its dynalite and proxy:
#   test_ops.sh DYNTABLED DYNTABLECTL
# - the configuration file sets daemon options, flags override it, and a
#   bad file is refused with a precise message;
# - access control on peer credentials: a client of another uid (nobody,
#   through setpriv) is refused by [access] allow-users, kept to its
#   [user] table prefixes, and denied admin verbs; each denial is logged
#   with the peer's uid and pid;
# - status (plain and --json) shows the credentials' source, never secrets;
# - SIGTERM drains: a wait in flight is answered SHUTDOWN at once, a
#   request in flight still finishes, new clients are refused, exit 0.
set -u
daemon=$1 ctl=$2
: "${DYNTABLE_TEST_DIR:?run me through harness.sh}"
endpoint=${DYNTABLE_TEST_ENDPOINT:?}
control=${DYNTABLE_TEST_CONTROL:?}
pass=0 fail=0
ok() { echo "PASS: $1"; pass=$((pass + 1)); }
ko() { echo "FAIL: $1"; fail=$((fail + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else ko "$what"; fi; }
until_ok() { for _ in $(seq 100); do "$@" && return 0; sleep 0.1; done; return 1; }
# rc_and_says RC WANT TEXT PATTERN: the exit status was WANT and TEXT
# matches the extended regular expression PATTERN.
rc_and_says() { [ "$1" -eq "$2" ] && grep -Eq -- "$4" <<<"$3"; }

# A directory "nobody" can traverse, holding the sockets and a copy of the
# CLI and its library (the build tree may not be readable by nobody).
pub=$(mktemp -d /tmp/dyntable-ops.XXXXXX)
chmod 755 "$pub"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  curl -s -X POST "$control/reset" >/dev/null 2>&1
  rm -rf "$pub"
}
trap cleanup EXIT
cp "$ctl" "$pub/dyntablectl"
cp -L "$(dirname "$ctl")"/libdyntable.so.0 "$pub/"
chmod 755 "$pub"/*
# Keys this test's daemons sign with, accepted by the proxy.
akid=AKIDOPS$RANDOM secret=ops-secret-$RANDOM$RANDOM
printf '{"access_key":"%s","secret":"%s"}\n' "$akid" "$secret" >>"${DYNTABLE_TEST_KEYS:?}"
export AWS_ACCESS_KEY_ID=$akid AWS_SECRET_ACCESS_KEY=$secret
unset AWS_SESSION_TOKEN

start() { # name config-file [flags...]: starts a daemon, waits for its socket
  local name=$1 conf=$2; shift 2
  "$daemon" --config "$conf" "$@" 2>"$pub/$name.log" &
  pids+=($!)
  eval "${name}_pid=$!"
}
as_nobody() {
  setpriv --reuid=65534 --regid=65534 --clear-groups \
    env LD_LIBRARY_PATH="$pub" "$pub/dyntablectl" "$@"
}

# --- the configuration file ---------------------------------------------------
cat >"$pub/a.conf" <<CONF
# comments are allowed
[daemon]
socket = $pub/a.sock
socket-mode = 0666
endpoint = $endpoint
region = us-east-1
log-level = debug
max-clients = 40

[access]
allow-users = root, nobody
admin-users = root

[user nobody]
table-prefixes = ci-
CONF
start a "$pub/a.conf"
until_ok test -S "$pub/a.sock"
check "the daemon takes its socket and endpoint from the file" \
  "$ctl" --socket "$pub/a.sock" list
check "socket-mode from the file" test "$(stat -c %a "$pub/a.sock")" = 666
status=$("$ctl" --socket "$pub/a.sock" status --json)
check "status --json: the endpoint from the file" \
  test "$(jq -r .endpoint <<<"$status")" = "$endpoint"
check "status --json: credentials from the environment, key ...${akid: -4}" \
  test "$(jq -r '.credentials.source + " " + .credentials.key_id_tail' <<<"$status")" = "environment ${akid: -4}"
check "status never shows the secret" bash -c '! grep -qF -- "$1" <<<"$2"' _ "$secret" "$status"
check "plain status names the credentials' source" \
  bash -c "'$ctl' --socket '$pub/a.sock' status | grep -q '^credentials.source *environment'"

"$daemon" --config "$pub/a.conf" --socket "$pub/b.sock" 2>"$pub/b.log" &
b=$!
pids+=($b)
until_ok test -S "$pub/b.sock"
check "a flag overrides the file" "$ctl" --socket "$pub/b.sock" list
kill -TERM "$b"; wait "$b"

printf '[daemon]\nmax-clients = lots\n' >"$pub/bad.conf"
out=$("$daemon" --config "$pub/bad.conf" 2>&1); rc=$?
check "a bad value is refused, naming file, section and key" \
  rc_and_says "$rc" 2 "$out" 'bad.conf: \[daemon\] max-clients' 
printf '[access]\nallow-users = no-such-user-dyntable\n' >"$pub/bad.conf"
out=$("$daemon" --config "$pub/bad.conf" 2>&1); rc=$?
check "an unknown user in [access] is refused" \
  rc_and_says "$rc" 2 "$out" 'no such user' 

# --- access control -------------------------------------------------------------
# Switching to another uid needs root (CI runs as root).
if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: access control by another uid (not root)"
  as_nobody() { return 99; }
fi
t=ci-$$-ops
check "nobody may create a table under its prefix" as_nobody --socket "$pub/a.sock" create "$t" --pk pk:S --wait
out=$(as_nobody --socket "$pub/a.sock" create prod-$$ --pk pk:S 2>&1); rc=$?
check "nobody may not create outside its prefix (exit 4, DENIED)" \
  rc_and_says "$rc" 4 "$out" 'DENIED.*ci-' 
check "the denial is logged with uid and pid" \
  grep -q "denied create_table on prod-$$ to pid [0-9]* uid 65534" "$pub/a.log"
check "no CreateTable for the denied table reached DynamoDB" \
  bash -c "! grep -q 'prod-$$' '${DYNTABLE_TEST_REQUESTS:?}'"
"$ctl" --socket "$pub/a.sock" create other-$$ --pk pk:S --wait >/dev/null
check "nobody's list shows only its prefix" \
  bash -c "out=\$(LD_LIBRARY_PATH='$pub' setpriv --reuid=65534 --regid=65534 --clear-groups '$pub/dyntablectl' --socket '$pub/a.sock' list); grep -qx '$t' <<<\"\$out\" && ! grep -q 'other-$$' <<<\"\$out\""
out=$(as_nobody --socket "$pub/a.sock" status 2>&1); rc=$?
check "status is an admin verb: nobody is denied" \
  rc_and_says "$rc" 4 "$out" DENIED
check "root may use status" "$ctl" --socket "$pub/a.sock" status
out=$(as_nobody --socket "$pub/a.sock" metrics 2>&1); rc=$?
check "metrics is an admin verb: nobody is denied" \
  rc_and_says "$rc" 4 "$out" DENIED
check "root may use metrics" "$ctl" --socket "$pub/a.sock" metrics
"$ctl" --socket "$pub/a.sock" delete "$t" --wait >/dev/null
"$ctl" --socket "$pub/a.sock" delete other-$$ --wait >/dev/null

sed -i 's/^allow-users = root, nobody/allow-users = root/' "$pub/a.conf"
kill -HUP "$a_pid"
until_ok grep -q "access policy read from" "$pub/a.log"
out=$(as_nobody --socket "$pub/a.sock" list 2>&1); rc=$?
check "after SIGHUP, nobody is no longer allowed to connect (exit 3)" \
  rc_and_says "$rc" 3 "$out" 'may not use dyntabled' 
check "the refused connection is logged with uid and pid" \
  grep -q "denied a client (pid [0-9]* uid 65534" "$pub/a.log"
check "root still may" "$ctl" --socket "$pub/a.sock" list

# --- graceful drain -------------------------------------------------------------
"$ctl" --socket "$pub/a.sock" create drain-$$ --pk pk:S --wait >/dev/null
# DescribeTable answers take 3 s from now on: a describe will be in flight.
curl -s -X POST "$control/faults" -d '[{"target":"DescribeTable","action":"delay","ms":3000}]' >/dev/null
"$ctl" --socket "$pub/a.sock" wait missing-$$ --timeout 120 >"$pub/wait.out" 2>&1 &
w=$!
sleep 0.3
"$ctl" --socket "$pub/a.sock" describe drain-$$ >"$pub/describe.out" 2>&1 &
dsc=$!
sleep 0.5
start_ns=$(date +%s%N)
kill -TERM "$a_pid"
wait "$w"; wrc=$?
waited_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
check "the wait in flight is answered SHUTDOWN (exit 4) at once ($waited_ms ms)" \
  rc_and_says "$wrc" 4 "$(cat "$pub/wait.out")" SHUTDOWN
check "  ... well before the describe in flight ends" test "$waited_ms" -lt 2500
out=$("$ctl" --socket "$pub/a.sock" list 2>&1); rc=$?
check "a new client is refused while draining (exit 3)" test "$rc" -eq 3
wait "$dsc"; drc=$?
check "the describe in flight finishes normally" \
  rc_and_says "$drc" 0 "$(cat "$pub/describe.out")" "drain-$$"
wait "$a_pid"; arc=$?
check "the daemon exits 0 after draining" test "$arc" -eq 0
check "it logs its shutdown" grep -q "shutting down" "$pub/a.log"
curl -s -X POST "$control/reset" >/dev/null
"$ctl" delete drain-$$ --wait >/dev/null 2>&1

for l in "$pub"/*.log; do
  check "no secret in $(basename "$l")" bash -c "! grep -qF '$secret' '$l'"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
