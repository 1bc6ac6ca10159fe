// Plan: an upgrade order, as the ordered steps an operator performs.
//
// The words of an order and what each step means: planner/step.hpp.
// A plan with no install step is a change plan, not an upgrade.
// A plan is checked before it runs: names must exist, each node's steps must
// follow its engine's lifecycle, and no step may stop more managers than
// Raft quorum tolerates.
#pragma once

#include <expected>
#include <string>
#include <vector>

#include "model/scenario.hpp"
#include "planner/faults.hpp"
#include "planner/step.hpp"

namespace swarmplan::planner {

struct Plan {
  std::vector<Step> steps;
  // True if a step installs an engine; otherwise the plan is a change
  // (scale, create, rm, restarts...) and reports name it so.
  bool Upgrades() const;
  std::string origin;  // "default (seed procedure)" or "given order"
  std::vector<std::string> notes;  // e.g. nodes the plan leaves on the old engine
  // Faults every trial of the plan meets (`plan --faults N`;
  // planner/faults.hpp). None by default.
  FaultSpec faults;
};

// The seed's safe procedure: every manager drained and upgraded one at a
// time (the leader last), managers activated only after all are upgraded,
// then each worker drained, upgraded and activated in turn, with a wait for
// convergence after each activation.
Plan DefaultPlan(const model::Scenario& s, model::EngineVersion to);

// Parses order words (see above). Errors name the word and why.
std::expected<Plan, std::string> ParseOrder(const model::Scenario& s, const std::vector<std::string>& words,
                                            model::EngineVersion to, bool activate_managers_last);

// Lifecycle and quorum checks, on the paper replay (planner/paper.hpp);
// the error says which step and why.
std::expected<void, std::string> CheckPlan(const model::Scenario& s, const Plan& p);

// A plan `apply` can carry out holds no fault step (Step::IsFault): the
// error names the first one. Faults are a what-if's input.
std::expected<void, std::string> FaultFree(const model::Scenario& s, const Plan& p);

// The inverse of ParseOrder: one step word per step ("drain:worker1",
// "install:worker1:18.09", "wait"), which ParseOrder reads back as the same
// plan. Shards and journals name plans by these words.
std::vector<std::string> PlanWords(const model::Scenario& s, const Plan& p);

}  // namespace swarmplan::planner
