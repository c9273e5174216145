# SPDX-License-Identifier: MIT
# bash completion for dyntablectl. The verbs, flags and their values come
# from dyntablectl itself (`dyntablectl __complete WORDS... CURRENT`,
# client/ctl/complete.c), table names from the daemon: nothing is listed
# here, so new verbs and flags complete without touching this file.
_dyntablectl() {
  local ctl line cur out
  local -a words cands
  # The words up to the cursor, split at blanks only: COMP_WORDS is split
  # at COMP_WORDBREAKS too (':' in --pk NAME:TYPE, '=' in --tag K=V).
  line=${COMP_LINE:0:COMP_POINT}
  read -ra words <<<"$line"
  [[ $line =~ [[:space:]]$ || ${#words[@]} -eq 0 ]] && words+=("")
  cur=${words[${#words[@]}-1]}
  ctl=${words[0]/#\~/$HOME}
  out=$("$ctl" __complete "${words[@]:1}" 2>/dev/null) || return 0
  if [[ $out == ":files" ]]; then
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    return 0
  fi
  mapfile -t cands <<<"$out"
  [[ -n $out ]] || cands=()
  # bash replaces only the part of the word after the last break
  # character; drop what precedes it from the candidates (as
  # bash-completion's __ltrim_colon_completions does).
  local brk=${cur%"${cur##*[:=]}"}
  if [[ -n $brk && $COMP_WORDBREAKS == *"${brk: -1}"* ]]; then
    cands=("${cands[@]#"$brk"}")
  fi
  COMPREPLY=("${cands[@]}")
}
complete -F _dyntablectl dyntablectl
