#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The manual pages: `mandoc -T lint` finds nothing in them (style level
# included; only cross-references to other packages' pages that this
# machine lacks are let through), and they document what the programs
# take: every option of `dyntabled --help`, every verb and verb option of
# `dyntablectl` (read from its --help, which prints its tables), every
# key of the access sections (daemon/policy.c), and every function of the
# public headers.
#   test_man.sh SOURCE_DIR BUILD_DIR
set -u
src=$1 build=$2
man=$build/man
pass=0 fail=0
check() { local what=$1; shift; if "$@"; then echo "PASS: $what"; pass=$((pass + 1)); else echo "FAIL: $what"; fail=$((fail + 1)); fi; }
command -v mandoc >/dev/null || { echo "FAIL: mandoc is not installed (scripts/setup-debian.sh with DYNTABLE_SETUP_TEST=1)"; exit 1; }
ours='dyntabled 8|dyntablectl 1|dyntabled.conf 5|libdyntable 3'

lint() { # page: mandoc's complaints, but missing pages of other packages
  MANPATH=$man mandoc -T lint -W style "$1" 2>&1 |
    grep -v -E "referenced manual not found: Xr ([^ ]+ [0-9])" |
    grep -v 'mandoc.db'
  # our own cross-references must resolve, whatever is installed
  MANPATH=$man mandoc -T lint -W style "$1" 2>&1 |
    grep -E "referenced manual not found: Xr ($ours)\b"
}
pages=("$man/man8/dyntabled.8" "$man/man1/dyntablectl.1" "$man/man5/dyntabled.conf.5" "$man/man3/libdyntable.3")
for p in "${pages[@]}"; do
  check "$(basename "$p") exists" test -s "$p" || continue
  out=$(lint "$p")
  [ -z "$out" ] || echo "$out"
  check "mandoc -T lint $(basename "$p") is clean" test -z "$out"
done

# mdoc writes an option as "Fl \-name"; the rendered text has "--name".
documents() { # page, word: the rendered page names it
  MANPATH=$man mandoc -T ascii "$1" | col -b | grep -qwF -- "$2"
}
missing() { # page, words...: those the page does not name
  local page=$1 w; shift
  for w in "$@"; do documents "$page" "$w" || echo "$w"; done
}
d_opts=$("$build/daemon/dyntabled" --help | grep -oE '^  --[a-z-]+' | sed 's/^  //')
check "dyntabled --help lists options (evidence for the next check)" test -n "$d_opts"
out=$(missing "$man/man8/dyntabled.8" $d_opts)
[ -z "$out" ] || echo "dyntabled(8) lacks: $out"
check "dyntabled(8) documents every option of dyntabled --help" test -z "$out"

ctl=$build/client/dyntablectl
verbs=$("$ctl" --help | sed -n '/^Verbs:/,/^Options:/p' | grep -oE '^  [a-z-]+' | sed 's/^  //')
check "dyntablectl --help lists verbs" test -n "$verbs"
g_opts=$("$ctl" --help | sed -n '/^Options:/,/^$/p' | grep -oE '^  (-h, )?--[a-z-]+' | sed 's/^  //; s/^-h, //')
out=$(missing "$man/man1/dyntablectl.1" $g_opts)
for v in $verbs; do
  MANPATH=$man mandoc -T ascii "$man/man1/dyntablectl.1" | col -b | grep -qE "^ +$v( |$)" || out+=" verb:$v"
  for o in $("$ctl" "$v" --help | grep -oE '^  --[a-z-]+' | sed 's/^  //'); do
    documents "$man/man1/dyntablectl.1" "$o" || out+=" $v:$o"
  done
done
[ -z "$out" ] || echo "dyntablectl(1) lacks: $out"
check "dyntablectl(1) documents every verb, global option and verb option" test -z "${out// /}"

keys=$(grep -oE 'strcmp\(key, "[a-z-]+"\)' "$src/daemon/policy.c" | sed 's/.*"\(.*\)".*/\1/' | sort -u)
check "daemon/policy.c has access keys" test -n "$keys"
out=$(missing "$man/man5/dyntabled.conf.5" $keys)
[ -z "$out" ] || echo "dyntabled.conf(5) lacks: $out"
check "dyntabled.conf(5) documents every access key" test -z "$out"

fns=$(cat "$src/client/lib/dyntable.h" | tr -s ' \t\n' ' ' |
  grep -oE 'DYNTABLE_API [^;(]*\(' | grep -oE 'dyntable_[a-z_]+ ?\($' | tr -d ' (')
fns+=" dyntable_libevent_attach dyntable_poll_attach dyntable_poll_tick"
check "dyntable.h declares functions" test -n "$fns"
out=$(missing "$man/man3/libdyntable.3" $fns)
[ -z "$out" ] || echo "libdyntable(3) lacks: $out"
check "libdyntable(3) documents every public function" test -z "$out"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
