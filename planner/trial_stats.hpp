// TrialStats: what a report needs from any number of trials, in memory
// that does not grow with their number. Trials are added in any order,
// accumulators of threads or shards are merged, and the result is the same
// bit for bit: sums are kept as integers (microseconds, counts), ties are
// broken by trial index, and the one quantity that needs every value (the
// duration's quantiles) is kept as a histogram with 1/64-octave bins.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "planner/trial.hpp"

namespace swarmplan::planner {

struct TrialStats {
  std::uint64_t n = 0;
  std::uint64_t reject_any = 0, race_any = 0, shortage_any = 0, lb_missing_any = 0;
  std::uint64_t not_converged = 0, plan_failed = 0, deploy_unhealthy = 0;
  std::uint64_t at_risk = 0;  // TrialResult::at_risk(): rejected, not converged or failed
  std::uint64_t rejected = 0, rejected_attachments = 0, rejected_swarm_inactive = 0, rejected_race = 0;
  std::uint64_t failed_other = 0, events = 0;
  std::uint64_t plan_us = 0, plan_us_max = 0;
  std::map<std::uint32_t, std::uint64_t> plan_hist;  // bin -> trials (see Bin())
  // Distributions (value -> trials). Their size is bounded by the values'
  // range (tasks, addresses, nodes), not by the number of trials.
  using Histogram = std::map<std::uint64_t, std::uint64_t>;
  Histogram rejected_hist;     // tasks rejected in a trial
  // Trials rejecting for good (TrialResult::rejects_forever), and their
  // rejections per hour over the final wait.
  std::uint64_t forever = 0;
  Histogram forever_per_hour_hist;
  Histogram empty_nodes_hist;  // ready, active nodes left without a task
  struct Net {
    std::string name;
    std::uint64_t capacity = 0, peak_max = 0, peak_sum = 0, before_sum = 0;
    Histogram after_hist;  // addresses in use at the end
  };
  struct Svc {
    std::string name;
    std::uint32_t desired = 0, min_running_min = UINT32_MAX, after_min = UINT32_MAX;
    std::uint64_t min_running_sum = 0, below_us_sum = 0, below_us_max = 0;
    Histogram running_after_hist, new_after_hist;
  };
  std::vector<Net> nets;
  std::vector<Svc> svcs;
  // Per snapshot time (`plan --at`): per network and per service, value -> trials.
  struct Snap {
    std::vector<Histogram> used, running, waiting_new, rejected;
  };
  std::vector<Snap> snaps;
  std::map<int, std::uint64_t> first_risk;  // step -> trials in which trouble began there
  // Faults (Plan::faults), per fault that hit a node, keyed by (its kind,
  // the step it struck in): the trials, those at risk, those that did not
  // end with every replica running, and the lowest-indexed trial at risk.
  struct FaultCell {
    std::uint64_t trials = 0, at_risk = 0, not_recovered = 0;
    std::uint64_t made_at_risk = 0;  // at risk, and safe on the same seed without faults
    std::uint64_t hurt = 0, made_hurt = 0, stopped = 0;  // TrialResult::hurt(); the plan failed
    std::uint64_t example_index = UINT64_MAX, example_seed = 0;
    // Adds x's counts, keeping the lower-indexed example.
    void Add(const FaultCell& x);
  };
  std::map<std::pair<int, int>, FaultCell> fault_cells;
  std::uint64_t struck = 0;  // trials in which a fault hit a node
  // Trials also run without their faults (TrialResult::calm_run): of them,
  // at risk without, and converged without.
  std::uint64_t calm = 0, calm_at_risk = 0, calm_converged = 0;
  // The example trial: the worst (rejections + shortages, not converging
  // worst of all), the lowest index among equals; failing any, trial 0.
  std::uint64_t worst_bad = 0, worst_index = UINT64_MAX, worst_seed = 0;
  std::uint64_t first_index = UINT64_MAX, first_seed = 0;
  std::string plan_error;  // of the lowest-indexed trial whose plan failed
  std::uint64_t plan_error_index = UINT64_MAX;
  std::uint64_t unseed = 0;  // order-independent mix of every trial's unseed

  // Adds trial number `index` of the run.
  void Add(const TrialResult& t, std::uint64_t index);
  void Merge(const TrialStats& o);
  // Nearest-rank quantile of the plan duration, seconds (a bin's middle).
  double PlanQuantile(double q) const;

  static std::uint32_t Bin(std::uint64_t us);
  static double BinMiddle(std::uint32_t bin);
};

// The 95% Wilson score interval of a proportion k/n (n > 0).
std::pair<double, double> Wilson95(std::uint64_t k, std::uint64_t n);

}  // namespace swarmplan::planner
