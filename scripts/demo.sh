#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The main job, end to end on one machine: installs what is needed, builds,
# starts dynalite (a DynamoDB implementation) on loopback and dyntabled in
# front of it, then shows the table operations through dyntablectl.
#   scripts/demo.sh           run the demonstration, then stop everything
#   scripts/demo.sh --serve   leave dynalite and dyntabled running until Ctrl-C
# DYNTABLED and DYNTABLECTL name other binaries to demonstrate (e.g. the
# installed packages', /usr/sbin/dyntabled and /usr/bin/dyntablectl:
# scripts/package-test.sh); nothing is built then. DYNTABLE_DEMO_PORT is
# dynalite's port (8000).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

scripts/setup-debian.sh
if [ -z "${DYNTABLED:-}${DYNTABLECTL:-}" ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j "$(nproc)"
fi
daemon=${DYNTABLED:-build/daemon/dyntabled}
ctl=${DYNTABLECTL:-build/client/dyntablectl}

dir=$(mktemp -d /tmp/dyntable-demo.XXXXXX)
port=${DYNTABLE_DEMO_PORT:-8000}
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

# dynalite keeps new tables CREATING for a second, as DynamoDB does for longer.
node tests/tools/node_modules/dynalite/cli.js --host 127.0.0.1 --port "$port" \
  --createTableMs 1000 --deleteTableMs 500 >"$dir/dynalite.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1
done
# The daemon holds the credentials; dynalite accepts any.
AWS_ACCESS_KEY_ID=AKIDDEMO AWS_SECRET_ACCESS_KEY=demo-secret \
  "$daemon" --socket "$dir/dyntabled.sock" \
  --endpoint "http://127.0.0.1:$port" --region us-east-1 2>"$dir/dyntabled.log" &
pids+=($!)
for _ in $(seq 100); do [ -S "$dir/dyntabled.sock" ] && break; sleep 0.1; done
[ -S "$dir/dyntabled.sock" ] || { cat "$dir/dyntabled.log"; exit 1; }
export DYNTABLE_SOCKET="$dir/dyntabled.sock"

show() { echo; echo "\$ dyntablectl $*"; "$ctl" "$@"; }
show create users --pk pk:S --sk sk:N --wait --timeout 30
show exists users
show describe users
show create orders --pk id:S --billing-mode PROVISIONED --rcu 5 --wcu 5
show wait orders --timeout 30
show list
show describe orders --json
echo; echo "\$ dyntablectl create users --pk pk:S    # already there"
"$ctl" create users --pk pk:S || echo "(exit status $?)"
show truncate users
# An empty table per test: leased from a warm pool, released to be emptied.
show lease --pk id:S --name scratch
show pools
show release scratch
# Tables kept in a file: the plan, then the change; a second run changes nothing.
cat >"$dir/tables.json" <<'JSON'
{"tables": [{"model": {"table": "events", "attributes": {"id": "S"},
                       "partition_key": "id"}}]}
JSON
show apply "$dir/tables.json" --plan
show apply "$dir/tables.json" --wait --timeout 30
show apply "$dir/tables.json"
show delete events --wait
show delete users --wait
show delete orders --wait
echo; echo "\$ dyntablectl exists users"
"$ctl" exists users || echo "(exit status $?: no such table)"

if [ "${1:-}" = "--serve" ]; then
  echo
  echo "dyntabled is serving on $DYNTABLE_SOCKET (dynalite on 127.0.0.1:$port)."
  echo "In another shell: DYNTABLE_SOCKET=$DYNTABLE_SOCKET $(cd "$top" && realpath "$(command -v "$ctl")") list"
  echo "Ctrl-C stops both."
  wait
fi
