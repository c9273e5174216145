#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Static analysis of every C file of the build: cppcheck (scripts/cppcheck.cfg)
# and clang-tidy (.clang-tidy), both reading BUILD/compile_commands.json.
#   scripts/lint.sh [BUILD]          BUILD: a configured build dir, "build"
# Exit status 1 on any finding, a file the build does not compile, or a
# file cppcheck cannot parse; the last line is a one-line summary.
# LINT_JOBS: parallel jobs (nproc). LINT_ONLY=cppcheck|clang-tidy runs one.
# docs/DEVELOPING.md, "Static analysis", says how to silence a false positive.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${1:-build}
jobs=${LINT_JOBS:-$(nproc)}
only=${LINT_ONLY:-}

# Deferred folders: their findings are printed but do not fail the run
# (a folder being reshaped, say). Empty: every folder counts.
defer=()

db=$build/compile_commands.json
[ -f "$db" ] || { echo "lint: no $db (configure with cmake first)" >&2; exit 2; }
out=$build/lint
mkdir -p "$out"
start=$SECONDS

# Every C file in the project's C folders must be compiled by the build, or
# nothing analyses it.
python3 - "$db" "$root" >"$out/files" <<'EOF'
import json, os, sys
db, root = sys.argv[1], sys.argv[2]
seen = set()
for e in json.load(open(db)):
    f = os.path.normpath(os.path.join(e["directory"], e["file"]))
    seen.add(os.path.relpath(f, root))
print("\n".join(sorted(seen)))
EOF
dirs=(daemon proto client/lib client/ctl tests bench)
git ls-files -- "${dirs[@]/%//*.c}" | sort >"$out/tracked"
missing=$(comm -23 "$out/tracked" "$out/files")
nc=$(wc -l <"$out/files")
nh=$(git ls-files -- "${dirs[@]/%//*.h}" | wc -l)

: >"$out/findings"
if [ -n "$missing" ]; then
  sed 's/$/:1:1: lint: not in compile_commands.json, not analysed [lint-not-built]/' \
    <<<"$missing" >>"$out/findings"
fi

# cppcheck 2.10. The build's -I and -D from compile_commands.json; no system
# headers (cppcheck reads them badly and slowly): what it must know of them
# comes from its libraries (--library) and scripts/cppcheck.cfg (macros of
# <sys/queue.h> and <jansson.h>). warning, style, performance, portability
# and missingInclude (a project header it cannot find) are on; information
# (missing system headers) and unusedFunction (wrong for a library's API,
# and it needs -j1) are off. 2.10 has no --check-level: its analysis is
# what 2.11 calls "exhaustive". A file it cannot parse (syntaxError,
# unknownMacro, internalAstError, preprocessorErrorDirective) is a finding
# like any other. Off everywhere, each for its reason:
#   variableScope: style(9) declares a function's variables at its top;
#   readdirCalled: readdir_r, its proposed replacement, is deprecated
#     (glibc 2.24) and readdir is thread-safe on distinct streams.
if [ "$only" != clang-tidy ]; then
  echo "=== lint: cppcheck ($(cppcheck --version))"
  # Its cache does not notice a changed .cfg: one cache per cfg and script.
  cache=$out/cppcheck-$(cat scripts/cppcheck.cfg "$0" | sha1sum | cut -c1-12)
  mkdir -p "$cache"
  cppcheck --project="$db" --std=c11 --platform=unix64 \
    --library=posix,gnu,libcurl,openssl,zlib,scripts/cppcheck.cfg \
    --enable=warning,style,performance,portability,missingInclude \
    --suppress=variableScope --suppress=readdirCalled \
    --inline-suppr --quiet -j "$jobs" --cppcheck-build-dir="$cache" \
    --error-exitcode=0 \
    --template='{file}:{line}:{column}: {severity}: {message} [cppcheck-{id}]' \
    2>"$out/cppcheck.txt" || echo "lint: cppcheck failed ($?)" >>"$out/cppcheck.txt"
  sed "s|^$root/||" "$out/cppcheck.txt" | sort -u >>"$out/findings"
fi

# clang-tidy 14 over each file (headers through HeaderFilterRegex), in
# parallel; the checks are in .clang-tidy.
if [ "$only" != cppcheck ]; then
  echo "=== lint: $(clang-tidy-14 --version | grep -o 'LLVM version.*' | sed 's/LLVM/clang-tidy/')"
  run-clang-tidy-14 -p "$build" -j "$jobs" -quiet "^$root/($(IFS='|'; echo "${dirs[*]}"))/" \
    >"$out/clang-tidy.txt" 2>&1 || true
  # Diagnostics only (their notes and code excerpts are in the raw output).
  # run-clang-tidy-14 always asks for colour: strip it first.
  sed 's/\x1b\[[0-9;]*m//g' "$out/clang-tidy.txt" |
    grep -E '^/.*:[0-9]+:[0-9]+: (warning|error): ' |
    sed -e "s|^$root/||" -e 's/: error: \(.*\[[a-z].*\]\)$/: warning: \1/' -e 's/,-warnings-as-errors\]$/]/' |
    sort -u >>"$out/findings" || true
  if grep -qE '^Error while processing|clang-diagnostic-error' "$out/clang-tidy.txt"; then
    echo "lint.sh:1:1: error: clang-tidy could not compile a file, see $out/clang-tidy.txt [lint-compile]" >>"$out/findings"
  fi
fi

# Split the findings into those that count and the deferred ones.
: >"$out/counted"; : >"$out/deferred"
while IFS= read -r line; do
  target=counted
  for d in "${defer[@]}"; do
    [[ $line == "$d"* ]] && target=deferred
  done
  echo "$line" >>"$out/$target"
done <"$out/findings"
if [ -s "$out/deferred" ]; then
  echo "--- deferred (${defer[*]}): $(wc -l <"$out/deferred") findings, not failing the run"
  cat "$out/deferred"
fi
if [ -s "$out/counted" ]; then
  echo "--- findings"
  cat "$out/counted"
fi
n=$(wc -l <"$out/counted")
echo "lint: $nc C files and $nh headers checked by ${only:-cppcheck and clang-tidy}: $n findings, $(wc -l <"$out/deferred") deferred in ${defer[*]:-nothing}; $((SECONDS - start)) s"
[ "$n" -eq 0 ]
