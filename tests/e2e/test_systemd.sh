#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# systemd integration, run by harness.sh (which provides dynalite):
#   test_systemd.sh DYNTABLED DYNTABLECTL UNIT_BUILD_DIR
# - the units pass `systemd-analyze verify` with no complaint at all;
# - socket activation: the daemon serves on the socket systemd passes;
# - it refuses an activated socket that is not an AF_UNIX stream socket,
#   and more than one socket;
# - readiness: READY=1 and STATUS= reach NOTIFY_SOCKET, STOPPING=1 on stop.
set -u
daemon=$1 ctl=$2 units=$3
src=$(cd "$(dirname "$0")/../.." && pwd)
dir=${DYNTABLE_TEST_DIR:?run me through harness.sh}/systemd
mkdir -p "$dir"
pass=0 fail=0
ok() { echo "PASS: $1"; pass=$((pass + 1)); }
ko() { echo "FAIL: $1"; fail=$((fail + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else ko "$what"; fi; }
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null' EXIT
export AWS_ACCESS_KEY_ID=AKIDSYSTEMD AWS_SECRET_ACCESS_KEY=systemd-test-secret
endpoint=${DYNTABLE_TEST_DYNALITE_URL:?}

# Waits up to 10 s for a command to succeed.
until_ok() { for _ in $(seq 100); do "$@" && return 0; sleep 0.1; done; return 1; }

# --- units ------------------------------------------------------------------
verify() { # scope files...
  local scope=$1; shift
  local out
  out=$(XDG_RUNTIME_DIR="$dir/rt" systemd-analyze verify $scope --man=no "$@" 2>&1)
  local rc=$?
  [ $rc -eq 0 ] && [ -z "$out" ] || { echo "$out"; return 1; }
}
mkdir -p "$dir/rt" "$dir/system" "$dir/user" && chmod 700 "$dir/rt"
cp "$units/dyntabled.service" "$src/systemd/dyntabled.socket" "$dir/system/"
cp "$units/user/dyntabled.service" "$src/systemd/user/dyntabled.socket" "$dir/user/"
# The units name the installed binary; point them at the one under test.
sed -i "s|^ExecStart=.*|ExecStart=$daemon|" "$dir/system/dyntabled.service" "$dir/user/dyntabled.service"
check "system units verify cleanly" verify "" "$dir/system/dyntabled.socket" "$dir/system/dyntabled.service"
check "user units verify cleanly" verify --user "$dir/user/dyntabled.socket" "$dir/user/dyntabled.service"
printf '[Bogus]\nX=1\n' >>"$dir/system/dyntabled.socket"
if verify "" "$dir/system/dyntabled.socket" >/dev/null; then ko "a broken unit is noticed"; else ok "a broken unit is noticed"; fi
# sysusers and tmpfiles entries, applied to a scratch root.
root=$dir/root
mkdir -p "$root/etc"
check "sysusers.d entry applies" systemd-sysusers --root="$root" "$src/systemd/dyntabled.sysusers"
check "it makes the daemon user" grep -q "^dyntabled:" "$root/etc/passwd"
check "it makes the clients' group" grep -q "^dyntable:" "$root/etc/group"
check "tmpfiles.d entry applies" systemd-tmpfiles --create --root="$root" "$src/systemd/dyntabled.tmpfiles"
uid=$(awk -F: '$1 == "dyntabled" {print $3}' "$root/etc/passwd")
check "the runtime directory belongs to the daemon user" \
  test "$(stat -c %u "$root/run/dyntabled" 2>/dev/null)" = "$uid"

# --- socket activation --------------------------------------------------------
sock=$dir/act.sock
systemd-socket-activate -l "$sock" -E AWS_ACCESS_KEY_ID -E AWS_SECRET_ACCESS_KEY \
  "$daemon" --endpoint "$endpoint" --region us-east-1 --log-level debug \
  2>"$dir/act.log" &
pids+=($!)
until_ok test -S "$sock"
check "an activated daemon serves requests" "$ctl" --socket "$sock" list
check "it used the socket systemd passed" grep -q "listening on socket from systemd" "$dir/act.log"

# A TCP socket or two sockets must be refused, not served.
port=$((20000 + RANDOM % 20000))
systemd-socket-activate -l "127.0.0.1:$port" "$daemon" --endpoint "$endpoint" 2>"$dir/tcp.log" &
pids+=($!)
until_ok bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null
until_ok grep -q "not a listening AF_UNIX stream socket" "$dir/tcp.log"
check "an activated TCP socket is refused" grep -q "not a listening AF_UNIX stream socket" "$dir/tcp.log"
systemd-socket-activate -l "$dir/a.sock" -l "$dir/b.sock" "$daemon" --endpoint "$endpoint" 2>"$dir/two.log" &
pids+=($!)
until_ok test -S "$dir/a.sock"
"$ctl" --socket "$dir/a.sock" list >/dev/null 2>&1
until_ok grep -q "expected exactly one" "$dir/two.log"
check "two activated sockets are refused" grep -q "expected exactly one" "$dir/two.log"

# --- readiness notification ---------------------------------------------------
notify=$dir/notify.sock
python3 - "$notify" >"$dir/notify.txt" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
try:
    while True:
        msg = s.recv(4096).decode()
        print(msg.replace("\n", "|"), flush=True)
        if "STOPPING=1" in msg:
            break
except socket.timeout:
    pass
PY
listener=$!
until_ok test -S "$notify"
NOTIFY_SOCKET=$notify "$daemon" --socket "$dir/n.sock" --endpoint "$endpoint" 2>"$dir/n.log" &
d=$!
until_ok grep -q "READY=1" "$dir/notify.txt"
check "READY=1 is sent" grep -q "READY=1" "$dir/notify.txt"
check "STATUS= is sent" grep -q "STATUS=" "$dir/notify.txt"
check "ready means serving" "$ctl" --socket "$dir/n.sock" list
kill -TERM "$d"
wait "$d"; rc=$?
check "it exits 0 on SIGTERM" test "$rc" -eq 0
wait "$listener"
check "STOPPING=1 is sent" grep -q "STOPPING=1" "$dir/notify.txt"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
