#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the whole ctest
# suite (the real-swarm conformance included: needs root, starts dockerd
# 20.10 swarms in network namespaces of its own, about 24 minutes), then the
# non-daemon suite again under ASan+UBSan, then each fuzz target for a
# bounded time. What .ci/run runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
(cd build && ctest --output-on-failure -j "$(nproc)")
bash scripts/asan.sh
FUZZ_SECONDS="${FUZZ_SECONDS:-12}" bash scripts/fuzz.sh
