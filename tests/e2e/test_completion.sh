#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Shell completion of dyntablectl, driven the way the shells drive it,
# against the daemon the harness runs on dynalite (table names):
#   harness.sh DYNTABLED -- bash test_completion.sh DYNTABLECTL SOURCE_DIR
# bash: `complete -p` and the _dyntablectl function with COMP_LINE /
# COMP_POINT / COMP_WORDS as bash sets them; fish: `complete -C`; zsh:
# the function with zsh's words/CURRENT and compadd/_files recording what
# they are given. Verbs and flags are checked against dyntablectl --help,
# so that a verb added to verbs[] must complete too.
set -u
ctl=$1 src=$2
sock=${DYNTABLE_SOCKET:?run me through tests/e2e/harness.sh}
pass=0 fail=0
check() { # what, expected, actual
  if [ "$2" = "$3" ]; then echo "PASS: $1"; pass=$((pass + 1))
  else echo "FAIL: $1: got '$3', want '$2'"; fail=$((fail + 1)); fi
}
sorted() { tr ' ' '\n' | grep -v '^$' | sort -u | tr '\n' ' ' | sed 's/ $//'; }

# bash, as an interactive shell would: COMP_WORDS split at
# COMP_WORDBREAKS, COMP_LINE and COMP_POINT up to the cursor.
bash_complete() { # the command line, up to the cursor
  DYNTABLE_SOCKET=${BASH_SOCK-$sock} bash --norc -c '
    source "$1/completions/dyntablectl.bash" || exit 9
    COMP_LINE=$2 COMP_POINT=${#2}
    read -ra COMP_WORDS <<<"${2//:/ : }"
    [[ $2 =~ [[:space:]]$ ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    _dyntablectl dyntablectl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    printf "%s\n" "${COMPREPLY[@]}"' _ "$src" "$1" | sorted
}

check "bash: complete -p names the function" "complete -F _dyntablectl dyntablectl" \
  "$(bash --norc -c "source '$src/completions/dyntablectl.bash'; complete -p dyntablectl")"
verbs=$("$ctl" --help | sed -n '/^Verbs:/,/^Options:/p' | grep -oE '^  [a-z-]+' | sed 's/^  //' | sorted)
check "bash: 'dyntablectl ' offers every verb of --help" "$verbs" "$(bash_complete "$ctl ")"
check "bash: 'dyntablectl de' offers delete, describe" "delete describe" "$(bash_complete "$ctl de")"
check "bash: 'dyntablectl --so' offers --socket" "--socket" "$(bash_complete "$ctl --so")"
create_opts=$("$ctl" create --help | grep -oE '^  (-h, )?--[a-z-]+' | sed 's/^  //; s/^-h, //' | sorted)
check "bash: 'create t --' offers every option of create --help" "$create_opts" \
  "$(bash_complete "$ctl create t --")"
check "bash: --billing-mode values" "PAY_PER_REQUEST PROVISIONED" \
  "$(bash_complete "$ctl create t --billing-mode ")"
check "bash: --table-class values" "STANDARD STANDARD_INFREQUENT_ACCESS" \
  "$(bash_complete "$ctl create t --table-class ")"
check "bash: --encryption values" "AWS_MANAGED AWS_OWNED CUSTOMER_MANAGED" \
  "$(bash_complete "$ctl create t --encryption ")"
check "bash: --stream values, by prefix" "NEW_AND_OLD_IMAGES NEW_IMAGE" \
  "$(bash_complete "$ctl create t --stream NEW")"
check "bash: --pk NAME: offers the attribute types after the colon" "B N S" \
  "$(bash_complete "$ctl create t --pk id:")"
check "bash: --sk sk:n completes the type in any case" "N" \
  "$(bash_complete "$ctl create t --sk sk:n")"
mkdir -p "$DYNTABLE_TEST_DIR/compl" && touch "$DYNTABLE_TEST_DIR/compl/model.json"
check "bash: --model completes file names" "$DYNTABLE_TEST_DIR/compl/model.json" \
  "$(bash_complete "$ctl create t --model $DYNTABLE_TEST_DIR/compl/mo")"

# Table names, from the daemon on dynalite: of the namespace given, through
# the socket given on the line.
"$ctl" create compl-alpha --pk id:S >/dev/null && "$ctl" create compl-beta --pk id:S >/dev/null &&
  "$ctl" --namespace cns create compl-gamma --pk id:S >/dev/null ||
  { echo "FAIL: cannot create the tables to complete"; exit 1; }
check "bash: 'describe compl-' offers the daemon's tables" "compl-alpha compl-beta" \
  "$(bash_complete "$ctl describe compl-")"
check "bash: the namespace on the line chooses the tables" "compl-gamma" \
  "$(bash_complete "$ctl --namespace cns delete compl-")"
check "bash: --socket on the line is the daemon asked" "compl-alpha compl-beta" \
  "$(BASH_SOCK=/nonexistent/sock bash_complete "$ctl --socket $sock wait compl-")"
check "bash: no daemon, no table names (and no error)" "" \
  "$(BASH_SOCK=/nonexistent/sock bash_complete "$ctl describe compl-")"
check "bash: create's new name is not completed from the daemon" "" \
  "$(bash_complete "$ctl create compl-")"
check "bash: TABLE given, no more names" "" "$(bash_complete "$ctl describe compl-alpha compl-")"

# fish: `complete -C` runs the installed completion as fish would.
if command -v fish >/dev/null; then
  fish_complete() { fish --no-config -c "source '$src/completions/dyntablectl.fish'; complete -C '$1'" | sorted; }
  check "fish: verbs" "$verbs" "$(fish_complete "$ctl ")"
  check "fish: --table-class values" "STANDARD STANDARD_INFREQUENT_ACCESS" \
    "$(fish_complete "$ctl create t --table-class ")"
  check "fish: table names" "compl-alpha compl-beta" "$(fish_complete "$ctl exists compl-")"
else
  echo "FAIL: fish is not installed (scripts/setup-debian.sh with DYNTABLE_SETUP_TEST=1)"; fail=$((fail + 1))
fi

# zsh: the completion function with the words zsh gives it; compadd and
# _files print what they receive.
if command -v zsh >/dev/null; then
  zsh_complete() { # words...
    zsh -f -c '
      compadd() { while [[ $1 == -* && $1 != -- ]]; do shift; done; [[ $1 == -- ]] && shift; print -l -- "$@"; }
      _files() { print -- ":files"; }
      words=("$@"); CURRENT=$#
      source "$0"' "$src/completions/_dyntablectl" "$@" | sorted
  }
  check "zsh: verbs" "$verbs" "$(zsh_complete "$ctl" "")"
  check "zsh: --encryption values" "AWS_MANAGED AWS_OWNED CUSTOMER_MANAGED" \
    "$(zsh_complete "$ctl" create t --encryption "")"
  check "zsh: table names" "compl-alpha compl-beta" "$(zsh_complete "$ctl" describe compl-)"
  check "zsh: --input-json asks for files" ":files" "$(zsh_complete "$ctl" create --input-json "")"
else
  echo "FAIL: zsh is not installed (scripts/setup-debian.sh with DYNTABLE_SETUP_TEST=1)"; fail=$((fail + 1))
fi

"$ctl" delete compl-alpha >/dev/null; "$ctl" delete compl-beta >/dev/null
"$ctl" --namespace cns delete compl-gamma >/dev/null
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
