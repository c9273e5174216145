#!/usr/bin/env bash
# Every source file of the project (C, headers, Python, JavaScript and
# TypeScript, shell and shell completions, CMake) carries an `SPDX-License-Identifier: MIT` line
# (LICENSE), within its first five lines.
#   scripts/spdx.sh [--check]   list the files without one; exit 1 if any
#   scripts/spdx.sh --fix       add the line to each of them, in the file's
#                               comment syntax, after a #! or coding line
# Files are those git tracks (else found under the tree, build directories
# and node_modules left out). Third-party files keep their own licence:
# tests/data/ (AWS's SigV4 vectors, Apache-2.0) is not ours.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:---check}
case $mode in --check | --fix) ;; *) echo "usage: $0 [--check | --fix]" >&2; exit 2 ;; esac
tag="SPDX-License-Identifier: MIT"

files() {
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z --cached --others --exclude-standard
  else
    find . \( -name 'build*' -o -name node_modules -o -name .git \) -prune -o \
      -type f -printf '%P\0'
  fi
}

# The comment that carries the tag in this file, or nothing if the file is
# not a source file of ours.
comment_for() {
  local f=$1
  case $f in
    tests/data/* | */node_modules/* | debian/*) return ;;
    *.c | *.h) echo "/* $tag */" ;;
    *.js | *.mjs | *.cjs | *.ts) echo "// $tag" ;;
    *.py | *.sh | *.bash | *.zsh | *.fish | *.cmake | CMakeLists.txt | */CMakeLists.txt | \
    completions/_*)
      echo "# $tag" ;;
    *)
      # scripts without an extension (.ci/run): by their #! line
      if head -c 64 "$f" 2>/dev/null | head -1 | grep -Eq '^#!.*\b(ba|z|fi)?sh\b'; then
        echo "# $tag"
      fi ;;
  esac
}

missing=0
while IFS= read -r -d '' f; do
  [ -f "$f" ] || continue
  line=$(comment_for "$f")
  [ -n "$line" ] || continue
  head -n 5 "$f" | grep -q "SPDX-License-Identifier: MIT" && continue
  if [ "$mode" = --check ]; then
    echo "$f: no '$tag' line in its first five lines"
    missing=$((missing + 1))
    continue
  fi
  # After a #! line (or zsh's #compdef), and after a Python coding line,
  # which must stay first.
  after=0
  head -1 "$f" | grep -Eq '^#(!|compdef)' && after=1
  sed -n "$((after + 1))p" "$f" | grep -Eq '^#.*coding[:=]' && after=$((after + 1))
  tmp=$(mktemp "$f.spdx.XXXXXX")
  { head -n "$after" "$f"; echo "$line"; tail -n +"$((after + 1))" "$f"; } >"$tmp"
  chmod --reference="$f" "$tmp"
  mv "$tmp" "$f"
  echo "added: $f"
done < <(files)

if [ "$mode" = --check ]; then
  if [ "$missing" -gt 0 ]; then
    echo "$missing files lack the SPDX line; scripts/spdx.sh --fix adds it"
    exit 1
  fi
  echo "every source file carries '$tag'"
fi
