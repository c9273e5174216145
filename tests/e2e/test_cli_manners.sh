#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# dyntablectl's manners (issue 17), run by harness.sh with tables that
# stay CREATING 2.5 s (DYNTABLE_TEST_CREATE_MS, tests/e2e/CMakeLists.txt):
#   test_cli_manners.sh DYNTABLED DYNTABLECTL man/dyntablectl.1.in
# - connection errors say what to do next: no daemon, a path that is not
#   a socket, a stale socket, permission denied (as nobody, when root);
# - a usage error is one line, in dyntablectl and in dyntabled;
# - every verb takes --json and prints JSON;
# - a wait longer than a second shows its progress on a terminal (a pty,
#   through script(1)) and nothing when stderr is not one;
# - --help and dyntablectl(1) list every verb.
# Each message is checked on its key phrase.
set -u
daemon=$1 ctl=$2 manpage=$3
: "${DYNTABLE_SOCKET:?run me through harness.sh}"
dir=${DYNTABLE_TEST_DIR:?run me through harness.sh}
pass=0 fail=0
check() { local what=$1; shift; if "$@"; then echo "PASS: $what"; pass=$((pass + 1)); else echo "FAIL: $what"; sed 's/^/      stderr: /' "$dir/err" 2>/dev/null; fail=$((fail + 1)); fi; }
skip() { echo "SKIP: $1"; }
# run ARGS...: dyntablectl; rc, $dir/out, $dir/err.
run() { timeout -k 2 30 "$ctl" "$@" >"$dir/out" 2>"$dir/err"; rc=$?; }
says() { grep -q -- "$1" "$dir/err"; }
oneline() { [ "$(wc -l <"$dir/err")" -eq 1 ]; }

# ---- connection errors -----------------------------------------------------------
run --socket "$dir/none/x.sock" list
check "no daemon at --socket: exit 3, one line, says to start dyntabled" \
  bash -c "[ $rc -eq 3 ] && [ \$(wc -l <'$dir/err') -eq 1 ] && grep -q 'is dyntabled running' '$dir/err' && grep -q '(from --socket)' '$dir/err'"
if [ -e /run/dyntabled/dyntabled.sock ]; then
	skip "no daemon at the default socket (a daemon runs at /run/dyntabled/dyntabled.sock here)"
else
	DYNTABLE_SOCKET= run list
	check "no daemon at the default socket: says start dyntabled or set DYNTABLE_SOCKET" \
	  bash -c "[ $rc -eq 3 ] && grep -q 'Start it (systemctl start dyntabled, or run dyntabled), or set DYNTABLE_SOCKET' '$dir/err'"
fi
echo "not a socket" >"$dir/plain"
DYNTABLE_SOCKET=$dir/plain run list
check "a path that is not a socket: names DYNTABLE_SOCKET as its source" \
  bash -c "[ $rc -eq 3 ] && grep -q 'that is not a socket (from DYNTABLE_SOCKET): set DYNTABLE_SOCKET' '$dir/err'"
/usr/bin/python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$dir/stale.sock"
run --socket "$dir/stale.sock" list
check "a stale socket: says no dyntabled answers, start it" \
  bash -c "[ $rc -eq 3 ] && grep -q 'the socket is there but no dyntabled answers: start dyntabled' '$dir/err'"
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null 2>&1; then
	skip "permission denied on the socket (needs root and setpriv to run as nobody)"
else
	# A directory nobody can enter, with the CLI and its library (the
	# build tree may not be readable by nobody) and a socket it may not
	# write.
	pub=$(mktemp -d /tmp/dyntable-manners.XXXXXX)
	chmod 755 "$pub"
	cp "$ctl" "$pub/"
	cp -P "$(dirname "$ctl")"/libdyntable.so* "$pub/"
	ln -s "$DYNTABLE_SOCKET" "$pub/link.sock" 2>/dev/null
	/usr/bin/python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); import time; time.sleep(30)' "$pub/s.sock" &
	holder=$!
	trap 'kill "$holder" 2>/dev/null' EXIT
	for _ in $(seq 50); do [ -S "$pub/s.sock" ] && break; sleep 0.1; done
	chmod 660 "$pub/s.sock"
	LD_LIBRARY_PATH=$pub timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$pub/dyntablectl" --socket "$pub/s.sock" list >"$dir/out" 2>"$dir/err"
	rc=$?
	check "permission denied: exit 3, names the owner and the group to join" \
	  bash -c "[ $rc -eq 3 ] && grep -q 'Permission denied; .*s.sock belongs to user root, group root (mode 0660): ask an administrator to add you to group root' '$dir/err'"
	mkdir -m 700 "$pub/closed"
	LD_LIBRARY_PATH=$pub timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$pub/dyntablectl" --socket "$pub/closed/x.sock" list >"$dir/out" 2>"$dir/err"
	rc=$?
	check "a directory it cannot enter: names that directory" \
	  bash -c "[ $rc -eq 3 ] && grep -q 'its directory $pub/closed belongs to user root' '$dir/err'"
	kill "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
	rm -rf "$pub"
fi

# ---- usage errors: one line ----------------------------------------------------------
run --bogus
check "dyntablectl --bogus: exit 2, one line, points at --help" \
  bash -c "[ $rc -eq 2 ] && [ \$(wc -l <'$dir/err') -eq 1 ] && grep -q \"unknown option '--bogus' (see 'dyntablectl --help')\" '$dir/err'"
run describe t --bogus
check "dyntablectl describe --bogus: one line, points at describe --help" \
  bash -c "[ $rc -eq 2 ] && [ \$(wc -l <'$dir/err') -eq 1 ] && grep -q \"(see 'dyntablectl describe --help')\" '$dir/err'"
run create t
check "a missing required flag: one line" \
  bash -c "[ $rc -eq 2 ] && [ \$(wc -l <'$dir/err') -eq 1 ] && grep -q -- '--pk is required' '$dir/err'"
"$daemon" --bogus >"$dir/out" 2>"$dir/err"; rc=$?
check "dyntabled --bogus: exit 2, one line (not the whole help)" \
  bash -c "[ $rc -eq 2 ] && [ \$(wc -l <'$dir/err') -eq 1 ] && [ ! -s '$dir/out' ] && grep -q \"unknown option '--bogus' (see dyntabled --help)\" '$dir/err'"
"$daemon" --socket >"$dir/out" 2>"$dir/err"; rc=$?
check "dyntabled --socket without its value: one line" \
  bash -c "[ $rc -eq 2 ] && [ \$(wc -l <'$dir/err') -eq 1 ] && grep -q \"missing the value of option '--socket'\" '$dir/err'"

# ---- --json on every verb ----------------------------------------------------------
"$ctl" --help >"$dir/help"
verbs=$(awk '/^Verbs:/ { on = 1; next } /^Options:/ { on = 0 } on && /^  [a-z]/ { print $1 }' "$dir/help")
check "--help lists verbs" test -n "$verbs"
for v in $verbs; do
	"$ctl" "$v" --help >"$dir/vhelp" 2>&1
	check "$v --help lists --json" grep -q -- '--json' "$dir/vhelp"
done
t=manners-$$
json_ok() { jq -e "$1" "$dir/out" >/dev/null 2>&1; }
run create "$t" --pk pk:S --wait --json
check "create --json" json_ok '.TableDescription.TableName'
run exists "$t" --json
check "exists --json: exists" json_ok '.Exists == true and .TableStatus == "ACTIVE"'
run exists "$t-none" --json
check "exists --json: absent, exit 1" bash -c "[ $rc -eq 1 ] && jq -e '.Exists == false' '$dir/out' >/dev/null"
run describe "$t" --json
check "describe --json" json_ok '.Table.TableName'
run list --json
check "list --json" json_ok '.TableNames | index("'"$t"'") != null'
run wait "$t" --json
check "wait --json: the table" json_ok '.Table.TableStatus == "ACTIVE"'
run status --json
check "status --json" json_ok '.server'
run metrics --json
check "metrics --json" json_ok '.Metrics | endswith("# EOF\n")'
run reap --json
check "reap --json" json_ok '.Checked >= 0'
timeout 2 "$ctl" hold --json >"$dir/out" 2>/dev/null
check "hold --json: the session" json_ok '.Session | test("^[0-9a-f]{32}$")'
run delete "$t" --wait --json
check "delete --json" json_ok '.TableDescription.TableName'
run wait "$t" --deleted --json
check "wait --deleted --json" json_ok '.Deleted == true'

# ---- progress of long waits ------------------------------------------------------
if ! command -v script >/dev/null 2>&1; then
	check "script(1) is installed (util-linux; scripts/setup-debian.sh)" false
else
	t2=manners2-$$
	script -qec "'$ctl' create '$t2' --pk pk:S --gsi name=by-a,pk=a:S --wait" /dev/null >"$dir/pty" 2>&1
	tr '\r' '\n' <"$dir/pty" >"$dir/pty.lines"
	check "on a terminal, a long create --wait shows the status, the indexes and the time" \
	  grep -Eq "waiting for $t2: CREATING; indexes: by-a CREATING; [1-9][0-9]* s" "$dir/pty.lines"
	check "... then erases it (the answer starts its own line)" \
	  grep -q $'\r\033\[KTable: ' "$dir/pty"
	run delete "$t2" --wait
	check "not on a terminal: nothing on stderr" bash -c "[ $rc -eq 0 ] && [ ! -s '$dir/err' ]"
	script -qec "'$ctl' wait '$t2' --deleted" /dev/null >"$dir/pty" 2>&1
	check "a wait that is over at once shows nothing" bash -c "! grep -q 'waiting for' '$dir/pty'"
fi

# ---- dyntablectl(1) lists every verb --------------------------------------------
# An entry of the page's VERBS list: ".It Ic VERB ..." or, for a long
# synopsis, ".It Xo" then ".Ic VERB ...". A mention elsewhere does not count.
manverbs=$(awk '/^\.Sh / { on = ($2 == "VERBS") } on && /^\.It Xo/ { xo = 1; next }
	on && xo && /^\.Ic / { print $2 } { xo = 0 }
	on && /^\.It Ic / { print $3 }' "$manpage" 2>/dev/null)
check "dyntablectl(1) has a VERBS list (evidence for the next checks)" test -n "$manverbs"
for v in $verbs; do
	check "dyntablectl(1) lists $v" grep -qxF -- "$v" <<<"$manverbs"
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
