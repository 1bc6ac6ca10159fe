#include "planner/pipeline.hpp"

#include <tuple>

#include "planner/runner.hpp"

#include <algorithm>

namespace swarmplan::planner {

Report Judge(const model::Scenario& s, const Plan& p, std::uint64_t seed, const TrialStats& stats,
             const JudgeOptions& o) {
  Report rep = Aggregate(s, p, seed, stats);
  rep.trials_budget = o.trials_budget;
  rep.stopped_early = o.stopped_early;
  for (sim::Time t : o.snapshots) rep.snapshot_at_s.push_back(sim::ToSeconds(t));
  if (!o.snapshots.empty()) rep.snapshots = stats.snaps;
  // The timing design and the fixes' proofs are bounded and seeded: the
  // same for a run and for the merge of its shares.
  if (o.sensitivity) AddSensitivity(rep, s, p, o.trials, o.threads);
  if (o.fixes) AddFixes(rep, s, p, o.trials, o.threads, o.plan_for);
  return rep;
}

SearchOptions SearchOptionsFor(const model::Scenario& s, std::uint64_t seed, std::uint64_t trials,
                               std::uint64_t verify_trials, unsigned threads, const FaultSpec& faults) {
  SearchOptions so;
  so.faults = faults;
  so.to = *s.upgrade.to;
  so.seed = seed;
  so.trials = trials;
  so.threads = threads;
  so.verify_trials = verify_trials;
  return so;
}

std::function<std::optional<Plan>(const model::Scenario&)> SearchedPlanFor(const model::Scenario& s,
                                                                           std::uint64_t seed,
                                                                           std::uint64_t search_trials,
                                                                           std::uint64_t trials, unsigned threads,
                                                                           const FaultSpec& faults) {
  const SearchOptions so =
      SearchOptionsFor(s, seed, search_trials, std::min<std::uint64_t>(trials, kFixTrials), threads, faults);
  return [so](const model::Scenario& changed) -> std::optional<Plan> {
    auto r = SearchPlan(changed, so);
    if (!r) return std::nullopt;
    return r->plan;
  };
}

}  // namespace swarmplan::planner
