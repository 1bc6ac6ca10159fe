// Operator: what a person does to a simulated swarm during an upgrade, each
// action run to completion: the engine runs (checking every simulated
// second) until the action is done or its deadline passes.
#pragma once

#include <expected>
#include <functional>
#include <string>

#include "model/swarm.hpp"

namespace swarmplan::model {

class Operator {
 public:
  explicit Operator(Swarm& w) : w_(w) {}

  // `docker node update --availability A`; retried while there is no leader
  // (until converge_timeout).
  std::expected<void, std::string> SetAvailability(NodeId n, Availability a);
  // `docker node promote / demote` (retried while there is no leader).
  std::expected<void, std::string> SetRole(NodeId n, Role r);
  // `docker service create / rm / scale S=N`: the command returns once the
  // leader took the change (retried while there is no leader), not when the
  // tasks run (a plan's `wait` step waits for that).
  std::expected<void, std::string> CreateService(ServiceId s);
  std::expected<void, std::string> RemoveService(ServiceId s);
  std::expected<void, std::string> ScaleService(ServiceId s, std::uint32_t replicas);
  // `docker service update --force -d` / `docker service rollback -d`.
  std::expected<void, std::string> UpdateService(ServiceId s);
  std::expected<void, std::string> RollbackService(ServiceId s);
  std::expected<void, std::string> ChangeNetwork(ServiceId s, NetworkId k, bool add);
  // `docker swarm join` on the node (returns once the managers took it, not
  // when it is ready), `docker swarm leave` on it, and `docker node rm`,
  // retried (as a person would) until the managers see the node down.
  std::expected<void, std::string> Join(NodeId n, Role r);
  std::expected<void, std::string> Leave(NodeId n);
  std::expected<void, std::string> RemoveNode(NodeId n);
  // Drain, then wait until the node's tasks stopped.
  std::expected<void, std::string> Drain(NodeId n);
  // `service docker stop`: takes engine_stop. Fails if already stopped.
  std::expected<void, std::string> Stop(NodeId n);
  // Installs an engine. REQUIRES: stopped.
  std::expected<void, std::string> Install(NodeId n, EngineVersion v);
  // `service docker start`, then wait until the node is back.
  std::expected<void, std::string> Start(NodeId n);
  // Waits until every service runs as desired; false at converge_timeout
  // (a plan's `wait` step: says so in the trace when it gives up).
  bool WaitConverged();
  // The same within `budget`, silently.
  bool WaitConverged(sim::Time budget);
  void Sleep(sim::Time d);
  // Runs until every fault injected has run its course (Faults::Over),
  // up to converge_timeout; false if one has not.
  bool WaitFaultsOver();
  // The time a person takes to type the next command (operator_step).
  void Think();
  // The swarm it acts on (for what is not an operator's act: a fault).
  Swarm& swarm() { return w_; }

 private:
  // Runs until ok() or the deadline; false at the deadline or event bound.
  bool RunUntil(const std::function<bool()>& ok, sim::Time deadline);
  sim::Time Deadline() const { return w_.Now() + w_.timings().converge_timeout; }

  Swarm& w_;
};

}  // namespace swarmplan::model
