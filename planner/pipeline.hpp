// The plan's pipeline: from a scenario and a plan to the report a user
// reads. `plan` runs it on its own trials, `merge` on the trials of the
// shares (planner/shard.hpp); both end in Judge, so a sharded run's report
// is the one a single run gives.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "model/scenario.hpp"
#include "planner/plan.hpp"
#include "planner/report.hpp"
#include "planner/search.hpp"
#include "planner/trial_stats.hpp"

namespace swarmplan::planner {

struct JudgeOptions {
  std::uint64_t trials = 1000;  // the run's trials (the whole run's, for a merge)
  // A run stopped once decided (planner/sequential.hpp): its budget and why.
  std::uint64_t trials_budget = 0;
  std::string stopped_early;
  unsigned threads = 1;
  bool sensitivity = true;  // re-run over the plausible timings (AddSensitivity)
  bool fixes = true;        // prove the fixes of an at-risk plan (AddFixes)
  std::vector<sim::Time> snapshots;  // `--at`: the times the stats' snapshots were taken
  // A searched plan: a fix is proven with the plan the search finds on the
  // changed cluster (empty: with the same plan).
  std::function<std::optional<Plan>(const model::Scenario&)> plan_for;
};

// The report of plan `p` from its trials' statistics: the verdict and its
// counts, the snapshots, the sensitivity over the timing design, and the
// proven fixes.
Report Judge(const model::Scenario& s, const Plan& p, std::uint64_t seed, const TrialStats& stats,
             const JudgeOptions& o);

// The search options of a run: `trials` per candidate, `verify_trials` to
// verify the plan found.
// `faults`: the faults every candidate's trials meet (Plan::faults).
SearchOptions SearchOptionsFor(const model::Scenario& s, std::uint64_t seed, std::uint64_t trials,
                               std::uint64_t verify_trials, unsigned threads, const FaultSpec& faults = {});

// What a fix of a searched plan is proven with: the plan the search finds
// on the changed cluster (over the fix trials).
std::function<std::optional<Plan>(const model::Scenario&)> SearchedPlanFor(const model::Scenario& s,
                                                                           std::uint64_t seed,
                                                                           std::uint64_t search_trials,
                                                                           std::uint64_t trials, unsigned threads,
                                                                           const FaultSpec& faults = {});

}  // namespace swarmplan::planner
