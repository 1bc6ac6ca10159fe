#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the whole ctest
# suite (the real-swarm conformance included: needs root, starts dockerd
# 20.10 swarms in network namespaces of its own, two swarms side by side, about 30 minutes), then the
# non-daemon suite again under ASan+UBSan, then each fuzz target for a
# bounded time. What .ci/run runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
# Everything but the real swarms first, then the two real-swarm groups
# together with nothing else running (their races shift under load).
(cd build && ctest --output-on-failure -j "$(nproc)" -LE realswarm)
(cd build && ctest --output-on-failure -j 2 -L realswarm)
bash scripts/asan.sh
FUZZ_SECONDS="${FUZZ_SECONDS:-12}" bash scripts/fuzz.sh
