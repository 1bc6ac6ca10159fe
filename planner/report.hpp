// Report: what many trials of a plan say, aggregated (rendered as text and
// JSON by planner/render.hpp).
//
// Aggregate() is a pure function of the scenario, the plan, the seed and
// the trials' statistics, which do not depend on the order trials were
// added in: a report merged from shards or threads equals the one a single
// run gives, and its memory does not grow with the number of trials.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "model/scenario.hpp"
#include "planner/capacity.hpp"
#include "planner/fixes.hpp"
#include "planner/plan.hpp"
#include "planner/sensitivity.hpp"
#include "planner/trial.hpp"
#include "planner/trial_stats.hpp"

namespace swarmplan::planner {

struct Report {
  std::string scenario_name;
  std::uint64_t seed = 0;
  std::uint64_t trials = 0;
  // The default run of an expensive plan stops once decided
  // (planner/sequential.hpp): the most trials it would have run, and why
  // it stopped (empty: every trial ran).
  std::uint64_t trials_budget = 0;
  std::string stopped_early;
  std::string from, to;
  bool upgrade = true;  // the plan installs an engine; otherwise it is a change
  std::string change;   // a change plan's service steps, e.g. "scale web to 30"
  std::string plan_origin;
  std::vector<std::string> plan_steps;
  std::vector<std::string> plan_notes;  // e.g. an incomplete upgrade
  std::vector<NetworkBudget> budget;
  std::vector<std::string> hazards;  // found on paper, before simulating

  bool safe = true;
  double p_reject = 0, p_reject_lo = 0, p_reject_hi = 0;  // P(at least one task rejected), Wilson 95%
  double mean_rejected = 0;
  // Summed over trials. rejected_attachments counts every task rejected
  // with "node is missing network attachments", as `docker service ps`
  // shows them; rejected_race is the subset whose node held the address
  // (the worker had not seen it yet), labelled, never left out.
  std::uint64_t rejected_attachments = 0, rejected_swarm_inactive = 0, failed_other = 0;
  double p_race = 0;            // P(a transient rejection) in a trial
  std::uint64_t rejected_race = 0;
  double p_shortage = 0;        // a task stayed NEW for want of an address
  double p_node_lb_missing = 0; // a node's LB address could not be allocated
  double p_not_converged = 0;
  // Rejecting again and again when the final wait gave up: the share of
  // trials, and the median rate among them (rejections an hour).
  double p_rejecting_forever = 0;
  double forever_per_hour = 0;
  double p_plan_failed = 0;
  std::string plan_error;       // one example
  double p_deploy_unhealthy = 0;

  struct NetStat {
    std::string name;
    std::uint64_t capacity = 0;
    double used_before = 0;
    std::uint64_t peak_max = 0;
    double peak_mean = 0;
    TrialStats::Histogram used_after;  // addresses in use at the end -> trials
  };
  std::vector<NetStat> networks;
  struct SvcStat {
    std::string name;
    std::uint32_t desired = 0;
    std::uint32_t min_running_worst = 0;
    double min_running_mean = 0;
    double below_mean_s = 0, below_max_s = 0;
    std::uint32_t final_worst = 0;
    TrialStats::Histogram running_after, new_after;  // tasks at the end -> trials
    std::vector<std::string> networks;                // its overlays, from the scenario
  };
  std::vector<SvcStat> services;
  TrialStats::Histogram rejected_per_trial;  // tasks rejected -> trials
  TrialStats::Histogram empty_nodes;         // ready, active nodes left without a task -> trials
  double plan_s_mean = 0, plan_s_p50 = 0, plan_s_p95 = 0, plan_s_max = 0;
  int first_risk_step = -1;
  double first_risk_fraction = 0;
  std::string first_risk_desc;
  std::uint64_t example_seed = 0;  // a trial that went wrong (or the first), for `simulate`
  double events_mean = 0;
  // FNV-1a of every trial's unseed in index order: equal for two runs (any
  // threads, any shards) only if every trial took the same path.
  std::uint64_t unseed = 0;
  // No trial at the default timings rejected a task, failed a step or
  // missed convergence (the verdict before the sensitivity designs).
  bool SafeAtDefaults() const { return p_reject == 0 && p_not_converged == 0 && p_plan_failed == 0; }
  std::vector<std::string> recommendations;  // advice besides the fixes
  std::vector<std::string> tight_networks;   // overlays that ran out or do not fit on paper
  // Fixes worked out on paper from the budget; AddFixes() replaces them
  // with fixes proven by simulation.
  std::vector<std::string> paper_fixes;
  bool has_fixes = false;
  std::vector<Fix> fixes;
  // `plan --at`: the state at these seconds after the first step, over
  // every trial (TrialStats::Snap per time).
  std::vector<double> snapshot_at_s;
  std::vector<TrialStats::Snap> snapshots;
  // Set by AddSensitivity(); without it the verdict rests on the default
  // timings alone.
  bool has_sensitivity = false;
  Sensitivity sensitivity;

  // Faults (`plan --faults N`): the verdict above is the risk with them;
  // beside it the same trial seeds without them, the share of trials that
  // recovered (every replica running at the end), and the weakest moments:
  // which fault, struck in which step, hurts the services in most trials
  // that were safe without it (then: puts most at risk, a stopped plan
  // included), with a trial to replay.
  struct FaultMoment {
    std::string kind;  // an order word: kill, partition, ...
    int step = 0;      // index of the step it struck in (plan_steps.size(): after the last)
    std::string step_desc;
    std::uint64_t trials = 0, at_risk = 0, not_recovered = 0;
    std::uint64_t made_at_risk = 0;  // of at_risk: safe on the same seed without the fault
    // Services hurt (a task rejected, or not every replica back at the
    // end), of them safe without the fault; the plan stopped (a step failed).
    std::uint64_t hurt = 0, made_hurt = 0, stopped = 0;
    double p = 0;      // at_risk / trials
    std::uint64_t example_seed = 0;
  };
  struct FaultPart {
    std::uint32_t count = 0;
    std::string kinds;  // as --fault-kinds takes them
    std::uint64_t struck_trials = 0;  // trials in which a fault hit a node
    // P(at risk: a task rejected, not back to every replica running, or a
    // step failed), Wilson 95%: with the faults, and the same seeds without.
    double p_with = 0, p_with_lo = 0, p_with_hi = 0;
    bool has_without = false;
    double p_without = 0, p_without_lo = 0, p_without_hi = 0;
    double p_recovered = 0, p_recovered_without = 0;
    std::vector<FaultMoment> weakest;  // most put at risk by the fault first, up to 5
    std::vector<FaultMoment> by_kind;  // each kind over every step (step -1), in FaultKinds() order
  };
  std::optional<FaultPart> faults;
};

Report Aggregate(const model::Scenario& s, const Plan& p, std::uint64_t seed, const TrialStats& st);
// The same from every trial's result (trial i at index i).
Report Aggregate(const model::Scenario& s, const Plan& p, std::uint64_t seed, const std::vector<TrialResult>& r);

// Re-runs the plan over the timing design (planner/sensitivity.hpp) for a
// run of `trials` trials and folds it into the report: the plan is at risk
// if it rejects a task under any of the timings.
// For an at-risk report: simulates each candidate fix (planner/fixes.hpp)
// over the verdict's first min(trials, kFixTrials) trial seeds and keeps the
// ones that survive, then those only worked out on paper.
inline constexpr std::uint64_t kFixTrials = 200;
// `plan_for` (optional): the plan for a changed cluster (see FixOptions).
void AddFixes(Report& rep, const model::Scenario& s, const Plan& p, std::uint64_t trials, unsigned threads,
              std::function<std::optional<Plan>(const model::Scenario&)> plan_for = {});

void AddSensitivity(Report& rep, const model::Scenario& s, const Plan& p, std::uint64_t trials, unsigned threads);


}  // namespace swarmplan::planner
