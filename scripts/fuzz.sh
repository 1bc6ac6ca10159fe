#!/usr/bin/env bash
# Builds the libFuzzer targets with Debian's clang-16 (clang-14 cannot
# compile libstdc++'s <expected>) under ASan+UBSan, and runs each for a
# bounded time from its seed corpus in tests/fuzz/. Any crash, sanitizer
# report or failed round trip fails this script; the input that caused it
# is left in build-fuzz/findings/ (add it to tests/ as a regression test).
#   FUZZ_SECONDS  time per target (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${FUZZ_SECONDS:-60}"
bash scripts/install-deps.sh  # clang-16 and libclang-rt-16-dev among the rest
cmake --preset fuzz >/dev/null
targets=(cidr scenario merge api_answers journal compose)
cmake --build --preset fuzz --target "${targets[@]/#/fuzz_}"
mkdir -p build-fuzz/findings
status=0
for t in "${targets[@]}"; do
  work="build-fuzz/corpus/$t"
  mkdir -p "$work"
  echo "fuzz: $t for ${secs} s" >&2
  if ! "build-fuzz/fuzz/fuzz_$t" -max_total_time="$secs" -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix="build-fuzz/findings/$t-" -print_final_stats=1 "$work" "tests/fuzz/$t" \
        > "build-fuzz/fuzz_$t.log" 2>&1; then
    echo "fuzz: $t FAILED; see build-fuzz/fuzz_$t.log and build-fuzz/findings/" >&2
    tail -30 "build-fuzz/fuzz_$t.log" >&2
    status=1
  else
    grep -E "stat::number_of_executed_units" "build-fuzz/fuzz_$t.log" | sed "s/^/fuzz: $t: /" >&2 || true
  fi
done
exit "$status"
