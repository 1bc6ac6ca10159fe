#!/usr/bin/env bash
# Quick start: installs what is missing, builds, and plans the embedded
# default (the seed's 3 managers + 2 workers, 24 replicas on a /27,
# 17.06 -> 18.09). swarmplan's own exit status is 0 safe, 2 at risk.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
status=0
./build/cli/swarmplan plan "$@" || status=$?
[ "$status" -eq 0 ] || [ "$status" -eq 2 ] || exit "$status"
