#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# CI for client/python: installs the package as README.md says (pip, into
# a fresh virtual environment that sees Debian's packages, no index), then
# runs the example project (examples/) with `pytest -n 4` twice at once
# against the one daemon of tests/e2e/harness.sh, and checks that both
# runs pass and that no table is left behind (listed through boto3).
#
#   harness.sh DAEMON -- run_examples.sh [PYTHON]
set -u
py=${1:-/usr/bin/python3}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd) || exit 2
: "${DYNTABLE_SOCKET:?run through tests/e2e/harness.sh}"
: "${DYNTABLE_TEST_DYNALITE_URL:?run through tests/e2e/harness.sh}"
tmp=$(mktemp -d "${DYNTABLE_TEST_DIR:-/tmp}/pyexamples.XXXXXX") || exit 2
failed=0
fail() { printf 'FAIL: %s\n' "$*"; failed=1; }
pass() { printf 'PASS: %s\n' "$*"; }

# ---- install, as the README says -------------------------------------------
# A copy, so that the build leaves nothing (build/, *.egg-info) in the tree.
cp -r "$here" "$tmp/src" && rm -rf "$tmp/src/tests" "$tmp/src/examples"
"$py" -m venv --system-site-packages "$tmp/venv" || exit 1
if "$tmp/venv/bin/pip" install --no-build-isolation --no-index --quiet "$tmp/src" \
	>"$tmp/pip.log" 2>&1; then
	pass "pip install --no-build-isolation --no-index into a venv"
else
	cat "$tmp/pip.log"
	fail "pip install"
	exit 1
fi
vpy=$tmp/venv/bin/python
where=$(cd / && "$vpy" -c 'import dyntable, os; print(os.path.dirname(dyntable.__file__))')
case $where in
"$tmp/venv/"*) pass "dyntable imports from the venv ($where)" ;;
*) fail "dyntable imported from $where, not the venv" ;;
esac
[ -f "$where/py.typed" ] && pass "py.typed installed" || fail "py.typed not installed"
if (cd / && "$vpy" -m pytest --help) | grep -q -- --dyntable-socket; then
	pass "the pytest11 entry point enables the plugin"
else
	fail "pytest --help does not show --dyntable-socket"
fi

# ---- two runs at once, 4 workers each, one daemon ----------------------------
export EXAMPLE_DYNAMODB_ENDPOINT=$DYNTABLE_TEST_DYNALITE_URL
export AWS_ACCESS_KEY_ID=example AWS_SECRET_ACCESS_KEY=example AWS_DEFAULT_REGION=us-east-1
export PYTHONDONTWRITEBYTECODE=1
unset DYNTABLE_NAMESPACE DYNTABLE_SESSION
run() { (cd "$here/examples" && "$vpy" -m pytest -p no:cacheprovider -n 4 -q) >"$tmp/run$1.log" 2>&1; }
start=$SECONDS
run 1 & p1=$!
run 2 & p2=$!
wait "$p1"; s1=$?
wait "$p2"; s2=$?
took=$((SECONDS - start))
for i in 1 2; do
	sed "s/^/run $i: /" "$tmp/run$i.log" | tail -n 15
done
[ "$s1" -eq 0 ] && grep -q '15 passed' "$tmp/run1.log" && pass "run 1: 15 passed" || fail "run 1 (status $s1)"
[ "$s2" -eq 0 ] && grep -q '15 passed' "$tmp/run2.log" && pass "run 2: 15 passed" || fail "run 2 (status $s2)"
echo "both runs took ${took}s"

# ---- no table left -------------------------------------------------------------
if "$vpy" - <<'PY'
import os, time, boto3
ddb = boto3.client("dynamodb", endpoint_url=os.environ["EXAMPLE_DYNAMODB_ENDPOINT"])
end = time.monotonic() + 15
while True:
    names = ddb.list_tables()["TableNames"]  # dynalite: one page is all here
    if not names or time.monotonic() > end:
        break
    time.sleep(0.2)
print("tables left:", names)
raise SystemExit(1 if names else 0)
PY
then pass "no table left behind (boto3 list_tables)"; else fail "tables left behind"; fi

rm -rf "$tmp"
exit "$failed"
