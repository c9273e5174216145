#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The daemon's log formats (issue 17), run by harness.sh with the daemon
# started with --log-format json (tests/e2e/CMakeLists.txt):
#   test_logs.sh DYNTABLED DYNTABLECTL
# - every line of the JSON log is one object with time, level, event and
#   fields.message, secrets redacted (a lying endpoint quotes the request's
#   signature and token back; the harness's sweep also checks the log);
# - a daemon whose endpoint is unreachable, with a client waiting on it,
#   writes each of its two warnings once, then one summary with the count
#   (fields.repeated), instead of both every 150 ms; same in text.
set -u
daemon=$1 ctl=$2
: "${DYNTABLE_SOCKET:?run me through harness.sh}"
: "${DYNTABLE_TEST_DAEMON_LOG:?run me through harness.sh}"
control=${DYNTABLE_TEST_CONTROL:?run me through harness.sh}
dir=${DYNTABLE_TEST_DIR:?run me through harness.sh}
pass=0 fail=0
check() { local what=$1; shift; if "$@"; then echo "PASS: $what"; pass=$((pass + 1)); else echo "FAIL: $what"; fail=$((fail + 1)); fi; }
faults() { curl -sf -X POST -H 'Content-Type: application/json' -d "$1" "$control/faults" >/dev/null; }

# ---- JSON lines ---------------------------------------------------------------
t=logs-$$
"$ctl" create "$t" --pk pk:S --wait >/dev/null
"$ctl" describe "$t-missing" >/dev/null 2>&1
faults '[{"target":"DescribeTable","action":"echo_headers","count":1}]'
"$ctl" describe "$t" >/dev/null 2>&1
faults '[]'
# The daemon's lines; under valgrind (scripts/test.sh), valgrind's own
# "==PID==" lines share its stderr.
grep -v '^==[0-9][0-9]*==' "$DYNTABLE_TEST_DAEMON_LOG" >"$dir/daemon.json"
log=$dir/daemon.json
check "the JSON log has lines" test "$(wc -l <"$log")" -gt 5
check "every line is one object: time, level, event, fields.message" \
  jq -e -n '[inputs] | all(type == "object" and (.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$")) and (.level | IN("error","warn","info","debug")) and (.event | type == "string") and (.fields.message | type == "string") and (keys == ["event","fields","level","time"]))' "$log"
check "the event is the message's template, the message its rendering" \
  jq -e -n '[inputs | select(.event == "listening on %s")] | length == 1 and (.[0].fields.message | startswith("listening on /"))' "$log"
check "the lying endpoint's error is logged, its signature redacted" \
  jq -e -n '[inputs | select(.fields.message | test("Authorization=AWS4"))] | length >= 1 and all(.fields.message | test("Signature=\\*\\*\\* X-Amz-Security-Token=\\*\\*\\*"))' "$log"

# ---- repeats held back ----------------------------------------------------------
# unreachable DAEMON_LOG FORMAT: a daemon on a closed loopback port, a
# client waiting 2.5 s on it (a poll and two warnings every ~150 ms), then
# SIGTERM.
unreachable() {
	local sock=$dir/$2.sock pid
	env AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=unused-secret \
		"$daemon" --socket "$sock" --endpoint http://127.0.0.1:9 \
		--region us-east-1 --config /dev/null --log-format "$2" \
		</dev/null 2>"$1" &
	pid=$!
	for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
	DYNTABLE_SOCKET=$sock "$ctl" wait never --timeout 2.5 >/dev/null 2>&1
	kill -TERM "$pid"
	wait "$pid"
}
unreachable "$dir/unreach-json.log" json
ev='wait: %s: %s; still waiting'
polls=$(jq -n '[inputs | select(.event == "upstream: %s failed after %u attempt(s): %s")] | map(.fields.repeated // 1) | add' "$dir/unreach-json.log")
check "the unreachable endpoint was polled many times ($polls)" test "${polls:-0}" -ge 8
check "its 'still waiting' warning written once, then once with its count" \
  jq -e -n --arg ev "$ev" '[inputs | select(.event == $ev)] | length == 2 and .[0].fields.repeated == null and .[1].fields.repeated >= 6' "$dir/unreach-json.log"
check "so is the upstream failure: warnings total at most 6 lines" \
  jq -e -n '[inputs | select(.level == "warn")] | length <= 6' "$dir/unreach-json.log"
unreachable "$dir/unreach-text.log" text
check "text: the same warning once, then '(repeated N times in the last S s)'" \
  bash -c "[ \$(grep -c 'still waiting' '$dir/unreach-text.log') -eq 2 ] && grep -Eq 'still waiting \(repeated [0-9]+ times in the last [0-9]+ s\)' '$dir/unreach-text.log'"

out=$("$daemon" --log-format yaml 2>&1); rc=$?
check "--log-format yaml: exit 2, says text or json" \
  bash -c "[ $rc -eq 2 ] && grep -q 'text or json' <<<'$out'"

"$ctl" delete "$t" >/dev/null
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
