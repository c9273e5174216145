#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Jest example as CI runs it (ctest node.jest_example, under
# tests/e2e/harness.sh with a daemon whose --ephemeral-grace is 1 s):
#   1. two runs at once, 4 workers each, against the one daemon: all pass,
#      and afterwards no table is left (listed across every namespace);
#   2. a run killed with SIGKILL once its tables exist leaves none behind
#      once the daemon's grace period has passed.
set -u
cd "$(dirname "$0")"
export DYNAMODB_ENDPOINT=${DYNTABLE_TEST_DYNALITE_URL:?run under tests/e2e/harness.sh}
export AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING=1
fail() { echo "ci.sh: FAIL: $*" >&2; exit 1; }
[ -d node_modules/jest ] || fail "jest is not installed: npm ci --prefix client/node/examples/jest"

# Every table in DynamoDB, one a line, through the client itself.
all_tables() {
  node -e 'const { DynamoDBClient } = require("dyntable");
    const c = new DynamoDBClient({ namespace: "" });
    c.listTables({ all: true }).then((t) => { for (const n of t) console.log(n); return c.close() })'
}

[ -z "$(all_tables)" ] || fail "tables exist before the runs: $(all_tables | tr '\n' ' ')"

npx jest --maxWorkers=4 >run1.log 2>&1 &
p1=$!
npx jest --maxWorkers=4 >run2.log 2>&1 &
p2=$!
wait "$p1"; s1=$?
wait "$p2"; s2=$?
for i in 1 2; do
  echo "--- run $i"; grep -E '^(PASS|FAIL)|^Tests:|^Test Suites:' "run$i.log"
done
[ "$s1" -eq 0 ] && [ "$s2" -eq 0 ] || { cat run1.log run2.log >&2; fail "a run failed ($s1, $s2)"; }
for i in 1 2; do
  grep -q '^Tests: *12 passed, 12 total' "run$i.log" || fail "run $i did not pass 12 tests"
done
left=$(all_tables)
[ -z "$left" ] || fail "tables left behind after the two runs: $left"
echo "ci.sh: two concurrent runs of 4 workers passed; no table left"

# A run killed with SIGKILL while its tests run.
export DYNTABLE_RUN_ID=killed-$$
setsid npx jest --maxWorkers=2 --testMatch '<rootDir>/test-kill/*.test.js' >run-kill.log 2>&1 &
pk=$!
n=0
for _ in $(seq 200); do
  n=$(all_tables | grep -c "^$DYNTABLE_RUN_ID-w")
  [ "$n" -eq 4 ] && break
  sleep 0.1
done
[ "$n" -eq 4 ] || { cat run-kill.log >&2; fail "the run to kill made $n of its 4 tables"; }
kill -KILL -- "-$pk"
wait "$pk" 2>/dev/null
echo "ci.sh: killed the run with its 4 tables"
for _ in $(seq 200); do
  n=$(all_tables | grep -c "^$DYNTABLE_RUN_ID-w")
  [ "$n" -eq 0 ] && break
  sleep 0.1
done
[ "$n" -eq 0 ] || fail "$n tables of the killed run are still there 20 s after the kill"
echo "ci.sh: the daemon deleted the killed run's tables after its grace period"
rm -f run1.log run2.log run-kill.log
echo "ci.sh: 3 passed, 0 failed"
