#!/usr/bin/env bash
# The Debian package: built by CPack from the build tree, it holds the
# binary, the man page and the bash completion, depends on Debian's package
# names, and once installed with dpkg runs `swarmplan plan`. Installing
# needs root and no swarmplan package installed already; otherwise the
# package is unpacked with dpkg-deb and run from there.
# usage: package_test.sh BUILD_DIR
set -euo pipefail
build=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
(cd "$build" && cpack -G DEB -B "$out" >/dev/null)
deb=$(ls "$out"/swarmplan_*.deb)
contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/swarmplan ./usr/share/man/man1/swarmplan.1 ./usr/share/bash-completion/completions/swarmplan; do
  grep -q " $f\$" <<<"$contents" || { echo "package_test: $f is not in $deb" >&2; exit 1; }
done
depends=$(dpkg-deb -f "$deb" Depends)
for p in libc6 libstdc++6 libcurl4 libyaml-cpp; do
  grep -q "$p" <<<"$depends" || { echo "package_test: Depends lacks $p: $depends" >&2; exit 1; }
done
run() {  # the installed binary: --version, a plan, the man page, the completion
  local bin=$1 root=$2
  "$bin" --version | grep -q '^swarmplan [0-9.]* (source revision ' || { echo "package_test: --version: $("$bin" --version)" >&2; exit 1; }
  "$bin" plan --trials 20 --no-sensitivity >"$out/plan.txt" || [[ $? == 2 ]]
  grep -q '^Verdict: ' "$out/plan.txt" || { echo "package_test: plan printed no verdict" >&2; exit 1; }
  MANWIDTH=200 man -l "$root/usr/share/man/man1/swarmplan.1" >"$out/man.txt" 2>/dev/null
  grep -q 'plan Docker Swarm changes against overlay address exhaustion' "$out/man.txt" &&
    grep -q '^EXIT STATUS' "$out/man.txt" || { echo "package_test: the man page does not render" >&2; exit 1; }
  bash -c "source '$root/usr/share/bash-completion/completions/swarmplan'; COMP_WORDS=($bin plan --tri); COMP_CWORD=2; _swarmplan; printf '%s\n' \"\${COMPREPLY[@]}\"" >"$out/complete.txt"
  grep -qx -- '--trials' "$out/complete.txt" || { echo "package_test: completion does not offer --trials" >&2; exit 1; }
}
if [[ $(id -u) == 0 ]] && ! dpkg-query -W swarmplan >/dev/null 2>&1; then
  dpkg -i "$deb" >/dev/null
  trap 'dpkg -r swarmplan >/dev/null 2>&1 || true; rm -rf "$out"' EXIT
  [[ $(command -v swarmplan) == /usr/bin/swarmplan ]] || { echo "package_test: swarmplan not on PATH after dpkg -i" >&2; exit 1; }
  run /usr/bin/swarmplan ""
  dpkg -r swarmplan >/dev/null
  [[ ! -e /usr/bin/swarmplan ]] || { echo "package_test: dpkg -r left /usr/bin/swarmplan" >&2; exit 1; }
else
  dpkg-deb -x "$deb" "$out/root"
  run "$out/root/usr/bin/swarmplan" "$out/root"
fi
echo "package_test: $(basename "$deb") ok"
