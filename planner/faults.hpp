// Faults in a plan's trials: `plan --faults N` puts N faults into every
// trial, each of a kind the user allows, at a moment and on a node drawn
// from the trial's seed (its own stream: the trial runs exactly as without
// faults until the first one strikes, then follows from it). A trial with
// faults replays exactly (`simulate --faults N --seed S`), and shards carry
// the faults with the plan. What each kind does: model/faults.hpp.
//
// The draw, per fault: a kind among those allowed that fit the plan (an
// install fault needs an install step); a step of the plan, uniformly, and
// a moment in its first 20 s (an install fault: the install step itself,
// before it runs); then, when it strikes, a node among those it can hit
// (in the swarm, its engine running; the leader for kill-leader; the
// installing node for an install fault). A host stays down 60-300 s, a
// partition lasts 10-120 s, a slow node takes 2-5 times as long.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "planner/step.hpp"
#include "sim/random.hpp"

namespace swarmplan::model {
class Swarm;
}

namespace swarmplan::planner {

struct Plan;

struct FaultSpec {
  std::uint32_t count = 0;     // per trial
  std::vector<Action> kinds;   // allowed; empty: every kind
  bool operator==(const FaultSpec&) const = default;
};

// Every fault kind, in the order the help lists them, with its order word.
std::vector<Action> FaultKinds();
// The fault kind an order word names ("partition"), if it names one.
std::optional<Action> FaultKindNamed(std::string_view word);
// "kill,partition" -> the kinds; the error names the word that is not one.
std::expected<std::vector<Action>, std::string> ParseFaultKinds(const std::string& text);
// The kinds as a user writes them ("kill,partition"; "all" when empty).
std::string FaultKindsText(const std::vector<Action>& kinds);
// Whether the faults fit the plan: an error when no allowed kind can strike
// (only install faults allowed and the plan installs nothing).
std::expected<void, std::string> CheckFaults(const FaultSpec& f, const Plan& p);

// One fault as it struck in a trial.
struct StruckFault {
  Action kind = Action::kKill;
  int node = -1;          // scenario index; -1: it found nothing to hit
  int step = 0;           // index of the step running when it struck (steps.size(): after the last)
  sim::Time at = 0;       // after the plan's first step began
  sim::Time duration = 0; // host-down, partition
  std::uint32_t slow_pct = 0;
  bool operator==(const StruckFault&) const = default;
};
// "kill worker1 (+12.4 s)"; `node_name` is the name of f.node.
std::string Describe(const StruckFault& f, const std::string& node_name);

// Draws the trial's faults and arms them: the trial calls StepStarts(i)
// as each step begins (the faults of step i are scheduled then), and
// reads struck() at the end. A fault of a step the plan never reached (it
// failed before) does not strike.
class FaultInjector {
 public:
  FaultInjector(const FaultSpec& spec, const Plan& p, std::uint64_t trial_seed);
  void StepStarts(model::Swarm& w, std::size_t step, sim::Time plan_start);
  // The plan's steps are done: a fault striking later says so.
  void PlanEnds() { current_step_ = steps_; }
  const std::vector<StruckFault>& struck() const { return struck_; }
  // When the last fault armed so far strikes (0: none armed).
  sim::Time last_strike() const { return last_strike_; }

 private:
  struct Drawn {
    Action kind;
    std::size_t step;
    sim::Time delay;
    sim::Time duration;
    std::uint32_t slow_pct;
    int node;  // install faults: the installing node
    bool armed = false;
  };
  void Strike(model::Swarm& w, const Drawn& d, sim::Time plan_start);
  std::size_t steps_;
  sim::Rng rng_;
  std::vector<Drawn> drawn_;
  std::vector<StruckFault> struck_;
  std::size_t current_step_ = 0;
  sim::Time last_strike_ = 0;
};

}  // namespace swarmplan::planner
