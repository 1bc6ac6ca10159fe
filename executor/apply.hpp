// The apply loop: carries a plan out through an executor, step by step,
// with its safety rules:
//   - refuse to start a plan predicted at risk (unless forced);
//   - before each step that starts something (drain, engine stop,
//     availability change), read the cluster again and re-plan the rest;
//     stop when its predicted risk is above the limit, or when the remaining
//     steps no longer fit the cluster;
//   - stop after a step that got a task rejected, or when the cluster
//     cannot be observed;
//   - record each step in the journal (if any) before it starts and once it
//     finished, so a resumed run never repeats a finished step, and reads
//     the cluster before it touches a step it was stopped inside ("in
//     doubt"): redone when the cluster shows it did not take effect,
//     skipped when it did, and the run stops, saying what to check, when
//     the cluster cannot tell (a node down on its old engine after an
//     interrupted upgrade: the command may still run, or have half-run);
//   - on SIGINT, SIGTERM or SIGHUP (executor/interrupt.hpp) stop: the step
//     running is left in doubt, no further step starts;
//   - a rehearsal (an executor that ReplaysJournal()) first replays the
//     journal's finished steps on its fresh simulated cluster.
// The CLI (`swarmplan apply`) parses the flags, builds the executor and
// prints; everything that decides is here.
#pragma once

#include <cstdint>
#include <expected>
#include <ostream>
#include <optional>
#include <string>

#include "executor/executor.hpp"
#include "model/scenario.hpp"
#include "planner/plan.hpp"

namespace swarmplan::executor {

struct ApplyOptions {
  std::uint64_t seed = 1;
  std::uint64_t gate_trials = 200;  // trials of the prediction before the run; a quarter before each step
  double max_risk = 0;              // REQUIRES: finite, in [0, 1]
  bool force = false;               // run a plan predicted at risk
  std::string journal;              // path, or empty for none
  unsigned threads = 1;
  // Set when the plan is a Compose deploy (`--compose`): an executor that
  // DeploysStacks() runs it for the plan's deploy steps.
  std::optional<StackDeploy> stack;
};

enum class ApplyOutcome {
  kDone,     // every step ran
  kRefused,  // predicted at risk before the first step: nothing ran
  kStopped,      // a safety rule stopped the run part-way (message says which)
  kInterrupted,  // a signal stopped it; the step it was in is in doubt
};

struct ApplyResult {
  ApplyOutcome outcome = ApplyOutcome::kDone;
  std::string message;  // why it was refused or stopped
  int signal = 0;       // kInterrupted: the signal
};

// What to do with a step the journal says was begun and not finished.
enum class InDoubt { kRedo, kSkip, kStop };
struct InDoubtVerdict {
  InDoubt what = InDoubt::kRedo;
  std::string why;  // for a person: what the cluster showed
};
// Reads the cluster through `ex` and decides. Errors: the cluster could
// not be read.
std::expected<InDoubtVerdict, std::string> SettleInDoubt(Executor& ex, const model::Scenario& scenario,
                                                         const planner::Plan& plan, std::size_t step);

// Runs `plan` (on `scenario`) through `ex`; progress goes to `log` as one
// "swarmplan apply: ..." line per event. Errors (bad journal, a failed
// journal write, an observation that could not be planned) are values.
std::expected<ApplyResult, std::string> Apply(Executor& ex, const model::Scenario& scenario,
                                              const planner::Plan& plan, const ApplyOptions& opt, std::ostream& log);

}  // namespace swarmplan::executor
