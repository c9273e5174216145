#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Issue 11, run by harness.sh for its dynalite and proxy:
#   test_hardening.sh DYNTABLED DYNTABLECTL FLOOD DTCALL
# Each failure the issue found is reproduced against the real daemon, the
# endpoint misbehaving on purpose through the proxy's lies
# (tests/tools/dynalite-proxy.js):
#   - secrets: an error that echoes the Authorization header, a
#     credential_process that prints the keys it gave, an endpoint with
#     user:password: no log line, reply or status shows them;
#   - pagers: ListTables that never ends, or repeats its token, fails as
#     an upstream error; a listing whose client left makes no more calls;
#     reap too;
#   - waits say what the endpoint did (garbage, too large, truncated), and
#     a wrong-typed TableStatus is an upstream error;
#   - fair admission: 1,100 connections of one uid, then of another, and
#     root's status still answers;
#   - SIGHUP closes the connections of a user [access] no longer admits;
#   - SIGTERM: queued creates are refused at once as not sent, a sent one
#     is answered "outcome unknown" at the drain deadline;
#   - --ephemeral-ttl out of range names the range.
set -u
daemon=$1 ctl=$2 flood=$3 dtcall=$4
: "${DYNTABLE_TEST_DIR:?run me through harness.sh}"
endpoint=${DYNTABLE_TEST_ENDPOINT:?}
control=${DYNTABLE_TEST_CONTROL:?}
secrets=${DYNTABLE_TEST_SECRETS:?}
pass=0 fail=0
ok() { echo "PASS: $1"; pass=$((pass + 1)); }
ko() { echo "FAIL: $1"; fail=$((fail + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else ko "$what"; fi; }
until_ok() { for _ in $(seq 100); do "$@" && return 0; sleep 0.1; done; return 1; }
says() { grep -Eq -- "$2" <<<"$1"; }
lacks() { ! grep -qF -- "$2" <<<"$1"; }
faults() { curl -sf -X POST "$control/faults" -d "$1" >/dev/null; }
calls() { curl -sf "$control/stats" | jq -r ".targets.$1 // 0"; }

# A directory "nobody" can traverse, holding the sockets and copies of the
# tools (the build tree may not be readable by other users). Its logs are
# copied into DYNTABLE_TEST_DIR at the end, for the harness's secrets sweep.
pub=$(mktemp -d /tmp/dyntable-hard.XXXXXX)
chmod 755 "$pub"
pids=()
cleanup() {
  exec 7>&- 8>&- 2>/dev/null
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  curl -s -X POST "$control/reset" >/dev/null 2>&1
  mkdir -p "$DYNTABLE_TEST_DIR/hardening"
  cp "$pub"/*.log "$pub"/*.out "$DYNTABLE_TEST_DIR/hardening/" 2>/dev/null
  rm -rf "$pub"
}
trap cleanup EXIT
cp "$flood" "$pub/flood"
cp "$dtcall" "$pub/dtcall"
chmod 755 "$pub"/*
ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)"
as_uid() { local u=$1; shift; setpriv --reuid="$u" --regid="$u" --clear-groups "$@"; }
# Keys our own daemons sign with, accepted by the proxy.
export AWS_ACCESS_KEY_ID=AKIDHARD$RANDOM$RANDOM AWS_SECRET_ACCESS_KEY=hard-secret-$RANDOM$RANDOM$RANDOM
unset AWS_SESSION_TOKEN
printf '{"access_key":"%s","secret":"%s"}\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" >>"${DYNTABLE_TEST_KEYS:?}"
printf '%s\n%s\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" >>"$secrets"

start() { # name [flags...]: a daemon of ours on $pub/name.sock, log $pub/name.log
  local name=$1; shift
  "$daemon" --socket "$pub/$name.sock" --endpoint "$endpoint" --socket-mode 0666 \
    "$@" 2>"$pub/$name.log" &
  pids+=($!)
  eval "${name}_pid=$!"
  until_ok test -S "$pub/$name.sock"
}

# ---- 3. an upstream error quoting the request's headers --------------------
# The harness's daemon signs with AKIDEXAMPLE and the harness's secret and
# session token (all in $secrets).
faults '[{"target":"DescribeTable","action":"echo_headers"}]'
out=$("$ctl" describe users 2>&1); rc=$?
check "an error quoting the Authorization header reaches the client (exit 4, its type)" \
  says "$rc $out" '^4 .*IncompleteSignatureException'
check "... with the key id as its last four characters only" says "$out" 'Credential=\*\*\*\*MPLE/'
check "... and neither the full key id, the signature nor the token" \
  bash -c '! grep -Eq "AKIDEXAMPLE|Signature=[0-9a-f]{8}|testtoken" <<<"$1"' _ "$out"
faults '[]'

# ---- 4. pagers --------------------------------------------------------------
faults '[{"target":"ListTables","action":"paginate_repeat"}]'
out=$("$ctl" list 2>&1); rc=$?
check "ListTables repeating its token: an upstream error (exit 4)" \
  says "$rc $out" '^4 .*UPSTREAM.*does not move forward'
faults '[{"target":"ListTables","action":"paginate_forever"}]'
before=$(calls ListTables)
out=$(timeout 60 "$ctl" list 2>&1); rc=$?
after=$(calls ListTables)
check "ListTables never ending: an upstream error (exit 4) after the page limit" \
  says "$rc $out" '^4 .*UPSTREAM.*more than 1000 pages'
check "... and no more than 1000 calls" test $((after - before)) -le 1000
# Pages 100 ms apart: the client leaves after a second; no call follows.
faults '[{"target":"ListTables","action":"paginate_forever","ms":100}]'
"$ctl" list >/dev/null 2>&1 &
lister=$!
sleep 1
kill -KILL "$lister"; wait "$lister" 2>/dev/null
sleep 0.3 # the call in flight when it left may still arrive
before=$(calls ListTables)
sleep 1
after=$(calls ListTables)
check "a listing whose client left makes no more calls ($before, then $after)" test "$before" -eq "$after"
check "... and it had made some ($before)" test "$before" -gt 1000
faults '[{"target":"ListTables","action":"paginate_repeat"}]'
out=$("$ctl" reap 2>&1); rc=$?
check "reap with a ListTables that repeats: an upstream error (exit 4)" \
  says "$rc $out" '^4 .*UPSTREAM.*does not move forward'
faults '[]'

# ---- 6. wait diagnostics and wrong types -----------------------------------
wait_says() { # action pattern: a wait on a missing table under the lie
  faults "[{\"target\":\"DescribeTable\",\"action\":\"$1\"}]"
  out=$("$ctl" wait nosuch-$1 --timeout 2 2>&1); rc=$?
  faults '[]'
  check "wait under $1: deadline (exit 5) saying what was seen: $out" \
    bash -c '[[ "$1" =~ ^5\ .*last\ seen:.*$2 ]] && ! grep -q unreachable <<<"$1"' _ "$rc $out" "$2"
}
wait_says garbage 'malformed reply'
wait_says too_large 'too large'
wait_says truncated 'DynamoDB endpoint: .*(transfer closed|partial|bytes remaining)'
"$ctl" create typed --pk pk:S --wait >/dev/null 2>&1
check "a table to describe" "$ctl" exists typed
faults '[{"target":"DescribeTable","action":"wrong_types"}]'
out=$("$ctl" exists typed 2>&1); rc=$?
check "exists with a numeric TableStatus: an upstream error (exit 4), not a status '?'" \
  says "$rc $out" '^4 .*UPSTREAM.*TableStatus'
out=$("$ctl" wait typed --timeout 2 2>&1); rc=$?
check "wait with a numeric TableStatus: last seen says so" \
  says "$rc $out" '^5 .*malformed DescribeTable reply: Table.TableStatus'
faults '[]'
"$ctl" delete typed >/dev/null 2>&1

# ---- 2. an endpoint with user:password --------------------------------------
refused_quietly() { # name: the daemon refused to start and kept the password
  local st
  wait "$2"; st=$?
  [ "$st" -ne 0 ] && grep -q 'must not have a user' "$pub/$1.log" &&
    ! grep -q 'pa55word' "$pub/$1.log"
}
"$daemon" --socket "$pub/u1.sock" --endpoint http://alice:pa55word@127.0.0.1:9 2>"$pub/u1.log" &
check "--endpoint with user:password is refused without quoting the password" refused_quietly u1 $!
AWS_ENDPOINT_URL=http://alice:pa55word@127.0.0.1:9 "$daemon" --socket "$pub/u2.sock" 2>"$pub/u2.log" &
check "AWS_ENDPOINT_URL with user:password: the same" refused_quietly u2 $!
printf '[daemon]\nendpoint = http://alice:pa55word@127.0.0.1:9\n' >"$pub/u3.conf"
"$daemon" --config "$pub/u3.conf" --socket "$pub/u3.sock" 2>"$pub/u3.log" &
check "the configuration file's endpoint with user:password: the same" refused_quietly u3 $!
echo pa55word >>"$secrets"

# ---- 1. credential_process printing the keys it gave ------------------------
akid=AKIDPROC$RANDOM$RANDOM psecret=proc-secret-$RANDOM$RANDOM$RANDOM
printf '%s\n%s\n' "$akid" "$psecret" >>"$secrets"
printf '{"access_key":"%s","secret":"%s"}\n' "$akid" "$psecret" >>"${DYNTABLE_TEST_KEYS:?}"
cat >"$pub/cp.sh" <<SH
#!/bin/sh
# Gives keys once, for 6 s; afterwards fails, printing them.
if [ -e "$pub/cp.given" ]; then
  echo "refresh failed for $akid / $psecret" >&2
  exit 1
fi
touch "$pub/cp.given"
printf '{"Version":1,"AccessKeyId":"%s","SecretAccessKey":"%s","Expiration":"%s"}\n' \
  "$akid" "$psecret" "\$(date -u -d @\$((\$(date +%s) + 6)) +%Y-%m-%dT%H:%M:%SZ)"
SH
chmod 755 "$pub/cp.sh"
printf '[default]\ncredential_process = %s\n' "$pub/cp.sh" >"$pub/aws.conf"
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN \
  HOME="$pub" AWS_CONFIG_FILE="$pub/aws.conf" AWS_SHARED_CREDENTIALS_FILE="$pub/none" \
  "$daemon" --socket "$pub/cp.sock" --endpoint "$endpoint" --log-level debug \
  2>"$pub/cp.log" &
pids+=($!)
until_ok test -S "$pub/cp.sock"
check "the process's keys work" "$ctl" --socket "$pub/cp.sock" list
for _ in 1 2 3 4 5 6 7 8 9 10 11 12; do
  grep -q 'said: refresh failed for' "$pub/cp.log" && break
  sleep 1
done
check "its failed refresh was logged" grep -q 'said: refresh failed for' "$pub/cp.log"
check "... without the secret key or the full key id" \
  bash -c '! grep -qF -e "$1" -e "$2" "$3"' _ "$akid" "$psecret" "$pub/cp.log"
"$ctl" --socket "$pub/cp.sock" status >"$pub/cp-status.out" 2>&1
check "status shows the last error, and no secret" \
  bash -c 'grep -q "last_error.*credential_process cp.sh: exited with status 1" "$1" && ! grep -qF -e "$2" -e "$3" "$1"' _ \
  "$pub/cp-status.out" "$akid" "$psecret"

# ---- 5. fair admission ------------------------------------------------------
start adm
hold() { # uid fd n: flood as uid, kept open until fd closes; its first
  # line in $pub/floodFD.out
  mkfifo "$pub/hold$2"
  as_uid "$1" "$pub/flood" "$pub/adm.sock" "$3" <"$pub/hold$2" >"$pub/flood$2.out" &
  pids+=($!)
  eval "exec $2>\"$pub/hold$2\""
  until_ok test -s "$pub/flood$2.out"
}
hold 65534 7 1100
f1=$(head -n 1 "$pub/flood7.out")
check "1,100 connections of uid 65534: half of --max-clients accepted ($f1)" \
  says "$f1" '"accepted":512,"refused":588,"failed":0,"refusal":"too many connections from uid 65534 \(limit 512: dyntabled --max-clients-per-uid\)"'
hold 65533 8 1100
f2=$(head -n 1 "$pub/flood8.out")
check "1,100 more of uid 65533: its half too ($f2)" says "$f2" '"accepted":512,"refused":588'
f3=$(as_uid 65532 "$pub/flood" "$pub/adm.sock" 3 </dev/null)
check "a third uid, --max-clients reached: refused, naming the limit ($f3)" \
  says "$f3" '"accepted":0,"refused":3,.*too many clients \(limit 1024: dyntabled --max-clients\)'
out=$("$ctl" --socket "$pub/adm.sock" status 2>&1); rc=$?
check "root's status still answers, beyond --max-clients (1,024 + its own)" bash -c '[ "$1" -eq 0 ] && grep -Eq "^clients +1025$" <<<"$2"' _ "$rc" "$out"
check "the refusals were logged, rate-limited" \
  bash -c 'n=$(grep -c "refused a client" "$1"); [ "$n" -ge 1 ] && [ "$n" -le 10 ]' _ "$pub/adm.log"
exec 7>&- 8>&-

# ---- 7. SIGHUP revokes --------------------------------------------------------
printf '[access]\nallow-users = root, nobody\n' >"$pub/acc.conf"
start acc --config "$pub/acc.conf"
as_uid 65534 "$pub/dtcall" --repeat 100 --interval-ms 100 "$pub/acc.sock" list_tables '{}' \
  >"$pub/revoked.out" 2>&1 &
revoked=$!
pids+=($revoked)
until_ok grep -q '"ok":true' "$pub/revoked.out"
check "nobody may list while [access] allows it" grep -q '"ok":true' "$pub/revoked.out"
printf '[access]\nallow-users = root\n' >"$pub/acc.conf"
kill -HUP "$acc_pid"
until_ok grep -q 'no longer allowed by \[access\] after SIGHUP' "$pub/acc.log"
check "SIGHUP: the revoked user's connection is closed, and logged" \
  grep -q 'conn [0-9]* (pid [0-9]* uid 65534): no longer allowed by \[access\] after SIGHUP' "$pub/acc.log"
wait "$revoked" 2>/dev/null
check "... its client was told DENIED and could not go on" \
  bash -c 'grep -q "\"name\":\"DENIED\"" "$1" && [ "$(grep -c "\"ok\":true" "$1")" -lt 100 ]' _ "$pub/revoked.out"
check "root still may" "$ctl" --socket "$pub/acc.sock" list

# ---- 8. drain: not sent vs outcome unknown ------------------------------------
start drn --max-mutations 1
faults '[{"target":"CreateTable","action":"delay","ms":20000,"count":1}]'
"$ctl" --socket "$pub/drn.sock" create sent-$$ --pk pk:S >"$pub/c1.out" 2>&1 &
c1=$!
until_ok test "$(calls CreateTable)" -ge 1
"$ctl" --socket "$pub/drn.sock" create queued1-$$ --pk pk:S >"$pub/c2.out" 2>&1 &
c2=$!
"$ctl" --socket "$pub/drn.sock" create queued2-$$ --pk pk:S >"$pub/c3.out" 2>&1 &
c3=$!
sleep 0.5
t0=$(date +%s%N)
kill -TERM "$drn_pid"
wait "$c2"; rc2=$?
wait "$c3"; rc3=$?
t1=$(date +%s%N)
check "SIGTERM: queued creates answered at once ($(( (t1 - t0) / 1000000 )) ms)" test $(( (t1 - t0) / 1000000 )) -lt 2000
check "... as not sent" bash -c '[ "$1" -eq 4 ] && [ "$2" -eq 4 ] && grep -q "SHUTDOWN.*was not sent to DynamoDB" "$3" && grep -q "SHUTDOWN.*was not sent" "$4"' _ \
  "$rc2" "$rc3" "$pub/c2.out" "$pub/c3.out"
wait "$c1"; rc1=$?
check "the sent one: outcome unknown at the drain deadline" \
  bash -c '[ "$1" -eq 4 ] && grep -q "SHUTDOWN.*outcome is unknown" "$2"' _ "$rc1" "$pub/c1.out"
check "the proxy saw one CreateTable, the sent one" \
  bash -c '! grep -q "queued[12]-$1" "$2"' _ "$$" "$DYNTABLE_TEST_REQUESTS"
wait "$drn_pid"
check "the daemon exited 0" test $? -eq 0
faults '[]'

# ---- small ones -----------------------------------------------------------------
out=$("$daemon" --ephemeral-ttl 5 2>&1); rc=$?
check "--ephemeral-ttl 5 names the allowed range" says "$rc $out" '^2 .*from 10 to 2592000 seconds|^1 .*from 10 to 2592000 seconds'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
