// Step: one thing an operator does during a change, and the one place that
// says what each order word means. The vocabulary table (Verbs) names every
// word, what it takes and what it does; the parser, the words a plan is
// written back as (PlanWords), the help text and the executors (Perform)
// all read it, and the paper replay (planner/paper.hpp) is the one account
// of what a step does to the cluster before any trial.
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
// Faults, for a what-if (model/faults.hpp; `apply` refuses them):
//   kill:NODE  kill-leader  host-down:NODE:SECONDS  partition:NODE:SECONDS
//   slow:NODE:FACTOR  install-fails:NODE  install-keeps-old:NODE
// Names holding , : = or \ have them escaped with \ (EscapeOrderName).
#pragma once

#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/scenario.hpp"
#include "sim/engine.hpp"

namespace swarmplan::planner {

enum class Action {
  kDrain, kStop, kInstall, kStart, kActivate, kPause, kPromote, kDemote, kJoin, kLeave, kNodeRm,  // on a node
  kWait, kSleep,
  kCreate, kRemove, kScale, kUpdate, kRollback, kNetworkAdd, kNetworkRm,  // on a service
  // Faults (model/faults.hpp): a what-if's input, never an operator's act.
  kKill, kHostDown, kPartition, kSlow, kInstallFails, kInstallKeepsOld,  // on a node
  kKillLeader
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
  std::uint32_t slow_pct = 0;    // slow: the node's work takes this percentage of its time
  std::string Describe(const model::Scenario& s) const;
  bool OnNode() const { return action <= Action::kNodeRm || (action >= Action::kKill && action <= Action::kInstallKeepsOld); }
  bool OnService() const { return action >= Action::kCreate && action <= Action::kNetworkRm; }
  // Something breaking, not something a person does: only a trial can
  // carry it out (`apply` refuses a plan holding one).
  bool IsFault() const { return action >= Action::kKill; }
};

// What a word takes after its verb.
enum class Operand {
  kNone,            // wait
  kSeconds,         // sleep:SECONDS
  kNode,            // drain:NODE
  kNodeVersion,     // install:NODE[:VERSION]
  kNodeRole,        // join:NODE[:ROLE]
  kService,         // create:SERVICE
  kServiceCount,    // scale:SERVICE=N
  kServiceNetwork,  // network-add:SERVICE:NETWORK
  kNodeSeconds,     // partition:NODE:SECONDS
  kNodeFactor,      // slow:NODE:FACTOR
};

// One word of the vocabulary. A word with several actions is shorthand
// for them in turn (upgrade, restart).
struct Verb {
  std::string_view word;
  Operand operand;
  std::vector<Action> actions;
  std::string_view meaning;  // what the step does, as a person would type it
};

// A slow node's factor as an order word writes it: 250 -> "2.5".
std::string FactorText(std::uint32_t pct);

// Every word, in the order the help lists them.
std::span<const Verb> Verbs();
// "drain:N, stop:N, install:N[:V], ...": the vocabulary in short, for help
// and error texts.
std::string VerbSummary();

// Parses step words ("drain:worker1", "wait", "scale:web=3"); words with
// only a node name are not steps (ParseOrder reads those as node orders).
std::expected<std::vector<Step>, std::string> ParseStepWords(const model::Scenario& s,
                                                             const std::vector<std::string>& words,
                                                             model::EngineVersion to);

// The inverse of ParseStepWords: one word per step ("drain:worker1",
// "install:worker1:18.09", "wait"), which reads back as the same step.
// Shards and journals name plans by these words.
std::vector<std::string> StepWords(const model::Scenario& s, std::span<const Step> steps);

// A node, service or network name as an order word holds it: each comma,
// colon, '=' or backslash in it escaped with a backslash (names may hold
// them; the words split on them). The parser reads the escapes back.
std::string EscapeOrderName(const std::string& name);
// `text` split at each `sep` not escaped by a backslash; the escapes stay
// (Unescape removes them once a word is split all the way).
std::vector<std::string> SplitEscaped(const std::string& text, char sep);
std::string Unescape(const std::string& text);

// Carries out one step on a target: the simulated operator of a trial or
// an executor of `apply`. The target names each act the same way, with
// the scenario's indices:
//   Drain(node) Activate(node) Pause(node) Promote(node) Demote(node)
//   Join(node, role) Leave(node) RemoveNode(node) Stop(node)
//   Install(node, version) Start(node) Wait() Sleep(duration)
//   Create(service) Remove(service) Scale(service, replicas)
//   Update(service) Rollback(service) ChangeNetwork(service, network, add)
//   Fault(step)  (the fault steps, whole)
// each returning std::expected<void, std::string>.
template <class Target>
auto Perform(Target& t, const Step& st) -> decltype(t.Wait()) {
  switch (st.action) {
    case Action::kDrain: return t.Drain(st.node);
    case Action::kActivate: return t.Activate(st.node);
    case Action::kPause: return t.Pause(st.node);
    case Action::kPromote: return t.Promote(st.node);
    case Action::kDemote: return t.Demote(st.node);
    case Action::kJoin: return t.Join(st.node, st.role);
    case Action::kLeave: return t.Leave(st.node);
    case Action::kNodeRm: return t.RemoveNode(st.node);
    case Action::kStop: return t.Stop(st.node);
    case Action::kInstall: return t.Install(st.node, st.version);
    case Action::kStart: return t.Start(st.node);
    case Action::kWait: return t.Wait();
    case Action::kSleep: return t.Sleep(st.duration);
    case Action::kCreate: return t.Create(st.service);
    case Action::kRemove: return t.Remove(st.service);
    case Action::kScale: return t.Scale(st.service, st.replicas);
    case Action::kUpdate: return t.Update(st.service);
    case Action::kRollback: return t.Rollback(st.service);
    case Action::kNetworkAdd: return t.ChangeNetwork(st.service, st.network, true);
    case Action::kNetworkRm: return t.ChangeNetwork(st.service, st.network, false);
    case Action::kKill:
    case Action::kHostDown:
    case Action::kPartition:
    case Action::kSlow:
    case Action::kInstallFails:
    case Action::kInstallKeepsOld:
    case Action::kKillLeader: return t.Fault(st);
  }
  std::unreachable();
}

}  // namespace swarmplan::planner
