#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The suite-wide secrets sweep (issue 11), after every end-to-end test of
# a ctest run (the e2e_artifacts fixture's cleanup):
#   secrets_sweep.sh DIR
# Each harness.sh run left in DIR/run.* the secrets it used (its daemon's
# keys and token, the keys its test added) and copies of every log and
# output it swept (daemon logs, what the tests printed: replies, status,
# error messages). This checks every one of those files against the
# secrets of every run, so that a secret of one test found in another's
# output is caught too, and fails when there is no evidence to check.
set -u
dir=${1:?usage: secrets_sweep.sh DIR}
shopt -s nullglob
runs=("$dir"/run.*)
if [ ${#runs[@]} -eq 0 ]; then
  echo "FAIL: no end-to-end run left artifacts in $dir" >&2
  exit 1
fi
all=$(mktemp)
trap 'rm -f "$all"' EXIT
cat "$dir"/run.*/secrets | awk 'length($0) >= 6' | sort -u >"$all"
files=()
for f in "$dir"/run.*/*; do
  [ "$(basename "$f")" = secrets ] || files+=("$f")
done
n_secrets=$(grep -c . "$all")
if [ "$n_secrets" -lt 3 ] || [ ${#files[@]} -lt ${#runs[@]} ]; then
  echo "FAIL: too little evidence: $n_secrets secrets, ${#files[@]} files of ${#runs[@]} runs" >&2
  exit 1
fi
if hits=$(grep -lF -f "$all" "${files[@]}"); then
  echo "FAIL: a secret, token or full key id appears in:" >&2
  echo "$hits" >&2
  exit 1
fi
echo "secrets sweep: none of $n_secrets secrets in ${#files[@]} logs and outputs of ${#runs[@]} runs"
