#!/usr/bin/env bash
# The scaling table of bench/README.md: one whole rolling upgrade of 10 to
# 10,000 nodes, each size in processes of its own, so that "cold" is the
# first trial of a fresh process (every page touched for the first time)
# and the peak memory is that size's alone; "warm" is a trial after one
# untimed trial in the same process. Prints a Markdown table.
# usage: bench/scaling.sh [BUILD_DIR] [SIZES...]   (needs jq)
set -euo pipefail
build=${1:-build}
shift || true
sizes=("$@")
((${#sizes[@]})) || sizes=(10 100 1000 10000)
bench=$build/bench/model_bench
[[ -x $bench ]] || { echo "scaling.sh: $bench not built (cmake --build $build)" >&2; exit 1; }
command -v jq >/dev/null || { echo "scaling.sh: needs jq" >&2; exit 1; }
run() {  # filter -> the benchmark's JSON
  "$bench" --benchmark_filter="$1" --benchmark_format=json 2>/dev/null
}
echo "| nodes | events | cold: ms | cold: ns/event | warm: ms | warm: ns/event | cold / warm | page faults per trial, cold / warm | peak RSS, cold process |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for n in "${sizes[@]}"; do
  cold=$(run "^BM_WholeUpgrade/$n/")
  warm=$(run "^BM_WholeUpgradeWarm/$n/")
  jq -rn --argjson c "$cold" --argjson w "$warm" --arg n "$n" '
    ($c.benchmarks[0]) as $a | ($w.benchmarks[0]) as $b |
    "| \($n) | \($a.events | floor) | \($a.real_time | . * 10 | round / 10) | \($a.ns_per_event * 1e9 | round) | \($b.real_time | . * 10 | round / 10) | \($b.ns_per_event * 1e9 | round) | \(($a.ns_per_event / $b.ns_per_event) * 100 | round / 100)x | \($a.page_faults | round) / \($b.page_faults | round) | \($a.peak_rss_MiB | round) MiB |"'
done
