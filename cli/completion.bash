# bash completion for swarmplan (installed as
# share/bash-completion/completions/swarmplan). The options come from the
# installed binary's own --help, so they never drift from it.
_swarmplan() {
  local cur=${COMP_WORDS[COMP_CWORD]} sub="" w
  for w in "${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
    case $w in plan|simulate|apply|import|usage|diagnose|merge) sub=$w; break ;; esac
  done
  if [[ -z $sub ]]; then
    mapfile -t COMPREPLY < <(compgen -W "plan simulate apply import usage diagnose merge --help --version" -- "$cur")
    return
  fi
  if [[ $cur == -* ]]; then
    local opts
    opts=$("${COMP_WORDS[0]}" "$sub" --help 2>/dev/null | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
    mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
    return
  fi
  mapfile -t COMPREPLY < <(compgen -f -- "$cur")  # scenario and Compose files
}
complete -o filenames -F _swarmplan swarmplan
