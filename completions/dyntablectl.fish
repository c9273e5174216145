# SPDX-License-Identifier: MIT
# fish completion for dyntablectl: candidates come from dyntablectl itself
# (`dyntablectl __complete WORDS... CURRENT`, client/ctl/complete.c) and
# table names from the daemon; nothing is listed here.
function __dyntablectl_complete
    set -l tokens (commandline -opc)
    set -l cur (commandline -ct)
    set -l out ($tokens[1] __complete $tokens[2..-1] "$cur" 2>/dev/null)
    if test "$out" = ":files"
        __fish_complete_path "$cur"
    else
        printf '%s\n' $out
    end
end
complete -c dyntablectl -f -a '(__dyntablectl_complete)'
