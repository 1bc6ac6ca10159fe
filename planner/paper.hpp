// Paper: the plan replayed on paper, step by step, before any trial. The
// one account of what each step does to the cluster's bookkeeping (who is
// in the swarm, whose engine runs which version, who manages, what is
// drained, which services exist where): the plan's checks (CheckPlan), its
// hazards and its address budget all read it, so they cannot disagree
// about where the cluster stands at a step.
#pragma once

#include <cstdint>
#include <expected>
#include <set>
#include <string>
#include <vector>

#include "model/scenario.hpp"
#include "planner/step.hpp"

namespace swarmplan::planner {

struct PaperNode {
  bool member = true;    // in the swarm (joined, and not removed)
  bool left = false;     // ran `docker swarm leave`: down for good until node-rm
  bool running = true;   // its engine runs
  bool stopped_by_plan = false;
  bool drained = false;  // availability drain
  bool activated = false;  // activated (or joined) by the plan: takes tasks at the end
  model::Role role = model::Role::kWorker;
  model::EngineVersion engine;
};

struct PaperService {
  bool deployed = true;
  bool updated = false;  // has a previous spec to roll back to
  std::uint32_t replicas = 0;
  std::set<std::string> networks;           // as the steps so far leave it
  std::set<std::string> previous_networks;  // what a rollback returns it to
};

class Paper {
 public:
  explicit Paper(const model::Scenario& s);

  // Replays one step. When the step does not fit the cluster at that point
  // (its lifecycle, membership, quorum, the service's existence), says why
  // and changes nothing.
  std::expected<void, std::string> Apply(const Step& st);
  // What must hold once every step ran: no engine left stopped.
  std::expected<void, std::string> CheckEnd() const;

  const std::vector<PaperNode>& nodes() const { return nodes_; }
  const std::vector<PaperService>& services() const { return services_; }
  // Managers in the swarm (down ones included), and those whose engine runs.
  int managers() const;
  int managers_up() const;

 private:
  const model::Scenario& s_;
  std::vector<PaperNode> nodes_;
  std::vector<PaperService> services_;
  int down_managers_ = 0;  // managers down when the run starts
};

}  // namespace swarmplan::planner
