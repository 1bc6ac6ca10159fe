// Capacity: the address budget of each overlay, worked out on paper
// (docs/swarm-semantics.md section 1), before and after the upgrade.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/scenario.hpp"
#include "planner/plan.hpp"

namespace swarmplan::planner {

struct NetworkBudget {
  std::string name;
  std::string subnet;
  std::uint64_t capacity = 0;
  std::uint64_t reserved = 3;
  std::uint64_t vips = 0;
  std::uint64_t tasks = 0;           // desired tasks on this network at the start
  std::uint64_t vips_after = 0;      // as the plan leaves the services (created, removed, scaled)
  std::uint64_t tasks_after = 0;
  std::uint64_t eligible_nodes = 0;  // nodes that can run one of its tasks at the start
  std::uint64_t eligible_after = 0;  // ... counting the nodes the plan activates
  std::uint64_t lb_before = 0;       // LB addresses under the current leader's engine
  std::uint64_t lb_after = 0;        // worst case under the target engine
  std::uint64_t largest_share = 0;   // most tasks one node holds when spread evenly
  // Addresses held by what the model does not simulate (NetworkSpec::held:
  // tasks on their way out, leaks, containers of an attachable network):
  // taken for the whole run, before and after.
  std::uint64_t held = 0;
  std::int64_t free_before() const { return Room(vips, lb_before) - static_cast<std::int64_t>(tasks); }
  std::int64_t free_after() const { return Room(vips_after, lb_after) - static_cast<std::int64_t>(tasks_after); }
  // Addresses left for tasks with `v` VIPs and `lb` node LB addresses.
  std::int64_t Room(std::uint64_t v, std::uint64_t lb) const {
    return static_cast<std::int64_t>(capacity) - static_cast<std::int64_t>(reserved + held + v + lb);
  }
  // "32 - 3 reserved - 1 VIP - 5 node LB = 23 for 24 tasks"
  std::string Sum(bool after) const;
  // Smallest prefix that holds the steady state plus one drained node's
  // replacements (allocated before the old tasks free theirs).
  int SuggestedPrefix() const;
};

// `plan` (optional): nodes it activates count in the "after" budget, since
// tasks can land on them.
std::vector<NetworkBudget> Budget(const model::Scenario& s, model::EngineVersion from_leader,
                                  model::EngineVersion to, const Plan* plan = nullptr);

}  // namespace swarmplan::planner
