// Plan: an upgrade order, as the ordered steps an operator performs.
//
// Words of an order (in `--order` or a scenario's upgrade.order):
//   NODE                 the whole kit for that node: drain, stop, install
//                        the target version, start, then activate (managers
//                        wait for every manager to be upgraded when
//                        activate_managers is after-all)
//   drain:NODE  stop:NODE  install:NODE[:VERSION]  start:NODE
//   upgrade:NODE[:VERSION] (stop, install, start)   restart:NODE (stop, start)
//   activate:NODE  pause:NODE  promote:NODE  demote:NODE  wait  sleep:SECONDS
//   join:NODE[:ROLE] (a node of the scenario with "joined": false; ROLE
//                  manager or worker, default its role in the scenario)
//   leave:NODE (`docker swarm leave` on a worker)
//   node-rm:NODE, or rm:NODE when no service has that name (`docker node rm`
//                  once the managers see it down)
//   create:SERVICE (a service of the scenario with "deployed": false)
//   rm:SERVICE     scale:SERVICE=N
//   update:SERVICE (a rolling update with the service's update_config, as
//                  `docker service update --force`)
//   rollback:SERVICE (back to the spec before an earlier update:SERVICE,
//                  with its rollback_config)
//   network-add:SERVICE:NETWORK  network-rm:SERVICE:NETWORK (a rolling
//                  update onto / off an overlay of the scenario, as
//                  `docker service update --network-add / --network-rm`)
// A plan with no install step is a change plan, not an upgrade.
// A plan is checked before it runs: names must exist, each node's steps must
// follow its engine's lifecycle, and no step may stop more managers than
// Raft quorum tolerates.
#pragma once

#include <expected>
#include <string>
#include <vector>

#include "model/scenario.hpp"

namespace swarmplan::planner {

enum class Action {
  kDrain, kStop, kInstall, kStart, kActivate, kPause, kPromote, kDemote, kJoin, kLeave, kNodeRm,  // on a node
  kWait, kSleep,
  kCreate, kRemove, kScale, kUpdate, kRollback, kNetworkAdd, kNetworkRm  // on a service
};
std::string_view ToString(Action a);

struct Step {
  Action action = Action::kWait;
  std::size_t node = 0;          // index in scenario.nodes (unused for wait/sleep)
  model::EngineVersion version;  // install
  sim::Time duration = 0;        // sleep
  std::size_t service = 0;       // create, rm, scale, update, rollback: index in scenario.services
  std::uint32_t replicas = 0;    // scale
  std::size_t network = 0;       // network-add, network-rm: index in scenario.networks
  model::Role role = model::Role::kWorker;  // join
  std::string Describe(const model::Scenario& s) const;
  bool OnNode() const { return action <= Action::kNodeRm; }
  bool OnService() const { return action >= Action::kCreate; }
};

struct Plan {
  std::vector<Step> steps;
  // True if a step installs an engine; otherwise the plan is a change
  // (scale, create, rm, restarts...) and reports name it so.
  bool Upgrades() const;
  std::string origin;  // "default (seed procedure)" or "given order"
  std::vector<std::string> notes;  // e.g. nodes the plan leaves on the old engine
};

// The seed's safe procedure: every manager drained and upgraded one at a
// time (the leader last), managers activated only after all are upgraded,
// then each worker drained, upgraded and activated in turn, with a wait for
// convergence after each activation.
Plan DefaultPlan(const model::Scenario& s, model::EngineVersion to);

// Parses order words (see above). Errors name the word and why.
std::expected<Plan, std::string> ParseOrder(const model::Scenario& s, const std::vector<std::string>& words,
                                            model::EngineVersion to, bool activate_managers_last);

// Lifecycle and quorum checks; the error says which step and why.
std::expected<void, std::string> CheckPlan(const model::Scenario& s, const Plan& p);

// The inverse of ParseOrder: one step word per step ("drain:worker1",
// "install:worker1:18.09", "wait"), which ParseOrder reads back as the same
// plan. Shards and journals name plans by these words.
std::vector<std::string> PlanWords(const model::Scenario& s, const Plan& p);

// A node, service or network name as an order word holds it: each comma,
// colon, '=' or backslash in it escaped with a backslash (names may hold
// them; the words split on them). ParseOrder reads the escapes back.
std::string EscapeOrderName(const std::string& name);

}  // namespace swarmplan::planner
