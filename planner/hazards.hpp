// Hazards of an order found on paper, before any trial: upgraded nodes
// taking tasks while an old manager may lead (docs/swarm-semantics.md
// section 6), engines stopped without a drain (section 7), quorum lost
// (section 8). Each is one sentence a person can act on.
#pragma once

#include <string>
#include <vector>

#include "model/scenario.hpp"
#include "planner/plan.hpp"

namespace swarmplan::planner {

std::vector<std::string> Hazards(const model::Scenario& s, const Plan& p);

}  // namespace swarmplan::planner
