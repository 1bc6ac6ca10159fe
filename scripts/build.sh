#!/usr/bin/env bash
# Configures and builds swarmplan in ./build (Release, tests and benchmarks
# included). Uses both cores of the project's machines.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DSWARMPLAN_BUILD_TESTS=ON -DSWARMPLAN_BUILD_BENCH="${SWARMPLAN_BUILD_BENCH:-ON}" >/dev/null
cmake --build build -j "$(nproc)"
