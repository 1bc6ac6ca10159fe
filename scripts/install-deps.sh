#!/usr/bin/env bash
# Installs what swarmplan needs to build and test on Debian 12, from
# Debian's own packages only. Run as root. Idempotent.
set -euo pipefail
packages=(
  build-essential cmake pkg-config
  libboost-graph-dev libeigen3-dev libcli11-dev nlohmann-json3-dev
  catch2 libbenchmark-dev libcurl4-openssl-dev
  # the real-swarm conformance tests: dockerd 20.10 in namespaces
  docker.io busybox-static iproute2 iptables openssl
  # recording real runs (tests/realswarm/record.sh, not run by CI)
  curl jq
  # the report pictures' tests: an XML parser for the SVG, headless Chromium for the HTML
  libxml2-utils chromium
  # the Debian package's test: renders the man page (cpack and dpkg-shlibdeps come with build-essential)
  man-db
  # Compose files (plan --compose)
  libyaml-cpp-dev
  # usage --format prometheus: promtool checks its output and the example rules
  prometheus
  # the fuzz targets (scripts/fuzz.sh): clang-16 compiles libstdc++'s <expected>
  clang-16 libclang-rt-16-dev
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
