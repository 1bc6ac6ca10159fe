// Runs many independent trials of a plan, on several threads. Trial i
// always uses seed TrialSeed(base_seed, i), and results are stored by
// index, so the outcome is the same whatever the thread count or sharding.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "planner/trial.hpp"
#include "planner/trial_stats.hpp"

namespace swarmplan::planner {

struct TrialRange {
  std::uint64_t first = 0;  // trial index
  std::uint64_t count = 0;
};

// The I-th of N shares of `trials` (I in [0, N)). Shares are contiguous
// and their union is [0, trials).
TrialRange Shard(std::uint64_t trials, std::uint64_t index, std::uint64_t shares);

std::vector<TrialResult> RunTrials(const model::Scenario& s, const Plan& p, std::uint64_t base_seed,
                                   TrialRange range, unsigned threads, const TrialOptions& opt = {});

// The same trials, kept only as statistics (one accumulator per thread,
// merged): memory independent of range.count. `progress` (if given) is
// called from one thread about every second with the trials done so far.
// `opt` (snapshots, bounds) applies to every trial.
TrialStats RunTrialStats(const model::Scenario& s, const Plan& p, std::uint64_t base_seed, TrialRange range,
                         unsigned threads, const std::function<void(std::uint64_t done)>& progress = {},
                         const TrialOptions& opt = {});

// A plan's trials boiled down to what the search and the fixes compare:
// trials at risk (with faults: trials whose services were hurt,
// TrialResult::hurt), rejected tasks, mean duration, and per service the fewest
// replicas running in any trial.
struct TrialsJudged {
  std::uint64_t trials = 0, at_risk = 0, rejected = 0;
  double mean_seconds = 0;
  std::vector<std::uint32_t> lowest_running;
};
TrialsJudged JudgeTrials(const model::Scenario& s, const Plan& p, std::uint64_t base_seed, TrialRange range,
                         unsigned threads);

}  // namespace swarmplan::planner
