// Trial: one seeded simulation of a plan on a scenario, from deployment
// under the current engines to convergence after the last step.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/metrics.hpp"
#include "model/scenario.hpp"
#include "model/trace.hpp"

namespace swarmplan::model {
class Swarm;
}
#include "planner/plan.hpp"

namespace swarmplan::planner {

struct NetworkOutcome {
  std::string name;
  std::uint64_t capacity = 0;
  std::uint64_t used_before = 0;  // when the plan starts
  std::uint64_t peak_used = 0;    // during the plan
  std::uint64_t used_after = 0;
};

struct ServiceOutcome {
  std::string name;
  std::uint32_t desired = 0;
  std::uint32_t running_before = 0;
  std::uint32_t min_running = 0;
  double below_desired_s = 0;  // time with fewer running than desired
  std::uint32_t running_after = 0;
  std::uint32_t new_after = 0;  // tasks still NEW at the end: no address for them
};

// What `docker service ps` and the networks show at one instant: addresses
// in use per user overlay; per service, tasks running, waiting in NEW, and
// rejected so far.
struct StateCounts {
  std::vector<std::uint64_t> used;
  std::vector<std::uint32_t> running, waiting_new, rejected;
  bool operator==(const StateCounts&) const = default;
};
StateCounts CountState(const model::Swarm& w);

struct TrialResult {
  std::uint64_t seed = 0;
  // The trial's next random draw after its last event: two runs that took
  // the same path (same draws, same order) end with the same unseed.
  std::uint64_t unseed = 0;
  bool deploy_converged = false;      // the cluster was healthy before the plan
  bool converged = false;             // healthy again after the plan
  bool plan_failed = false;           // a step could not run (no leader, timeout)
  std::string plan_error;
  double plan_s = 0;                  // first step to convergence (or give-up)
  model::SwarmMetrics metrics;       // rejections by cause, shortages (as the run counted them)
  int first_risk_step = -1;           // index of the step during which trouble began
  std::vector<NetworkOutcome> networks;  // user overlays, in scenario order
  std::vector<ServiceOutcome> services;
  std::uint32_t empty_nodes = 0;    // ready, active nodes running no task at the end
  // The final wait for convergence (after the last step): how long it
  // lasted and how many tasks were rejected in it. A plan that never
  // converges while tasks keep being rejected rejects them for good.
  double tail_s = 0;
  std::uint64_t tail_rejections = 0;
  bool still_rejecting = false;  // a task was rejected in the last minute of the trial
  // Rejecting for good: rejecting through the final wait and still at its
  // end, when it gave up.
  bool rejects_forever() const { return !converged && still_rejecting && tail_rejections >= 2; }
  std::uint64_t events = 0;
  std::uint64_t peak_pending = 0;  // most events pending at once
  // The state at each TrialOptions::snapshots time after the first step
  // (the end state for a time past the trial's end).
  std::vector<StateCounts> snapshots;
  // The faults that struck (Plan::faults), in the order they did.
  std::vector<StruckFault> faults;
  // With faults and TrialOptions::pair_calm: the same seed without the
  // faults was at risk / converged (a paired comparison: what the faults
  // changed, trial by trial).
  bool calm_run = false, calm_at_risk = false, calm_converged = false;
  // Its services hurt: a task rejected, or not every replica running at
  // the end (with faults, a plan that stopped is watched to its end).
  bool hurt() const { return metrics.rejected_total() > 0 || !converged; }
  bool at_risk() const {
    return metrics.rejected_total() > 0 || !converged || plan_failed;
  }
};

struct TrialOptions {
  bool trace = false;
  bool explain = false;  // the trace also says why (model/trace.hpp)
  std::uint64_t max_events = 50'000'000;  // bound per trial
  // For a timeline (planner/timeline.hpp): called after every event, and
  // when each step of the plan starts (its index and description).
  std::function<void(const model::Swarm&)> on_event;
  std::function<void(const model::Swarm&, std::size_t, const std::string&)> on_step;
  // Times after the plan's first step to record the state at (`plan --at`).
  // Each is an event of its own that changes nothing.
  std::vector<sim::Time> snapshots;
  // Called every 4,096 events of a trial with its simulated time and
  // events so far (a progress line within a long trial). Must be
  // thread-safe when trials run on several threads; changes nothing.
  std::function<void(sim::Time, std::uint64_t)> heartbeat;
  // A plan with faults: also run each trial's seed without them
  // (TrialResult::calm_*). The verdict's own trials do; the sensitivity
  // design and the fixes' proofs do not need to.
  bool pair_calm = false;
};

// Carries out a fault step (Step::IsFault) on the swarm at its present
// moment (model/faults.hpp).
std::expected<void, std::string> InjectFault(model::Swarm& w, const Step& st);

// Runs one trial. `trace` (if given) receives the timeline.
TrialResult RunTrial(const model::Scenario& s, const Plan& p, std::uint64_t seed, const TrialOptions& opt = {},
                     model::Trace* trace = nullptr);

}  // namespace swarmplan::planner
