#!/usr/bin/env bash
# Builds the whole project with AddressSanitizer and UndefinedBehaviorSanitizer
# (CMakePresets.json "asan", in ./build-asan) and runs every test that needs
# no real swarm under them. Any sanitizer report fails the test it happens in.
set -euo pipefail
cd "$(dirname "$0")/.."
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
cmake --preset asan >/dev/null
cmake --build --preset asan --target swarmplan_tests swarmplan
# Left out: the grouped-vs-exhaustive search comparison (six searches and
# 20,000 trials; 5 s in the release build, 5 minutes under the sanitizers).
# The same search code runs under them in the other search tests.
ctest --test-dir build-asan -L unit -E "grouped heuristic matches" -j "$(nproc)" --output-on-failure
