// Swarm: one simulated Docker Swarm, the composition of its components
// (control plane, allocator, scheduler, orchestrators, agents) over a shared
// store, driven by one sim::Engine and one seeded Rng.
//
// Lifecycle: construct from a Scenario and a seed, Deploy() the services
// under the engines the nodes start with, then drive operator actions
// (SetAvailability, StopEngine, InstallEngine, StartEngine) between
// engine runs. What the components react to — a task's state, desired
// state and node, a node's availability and engine — changes only through
// the methods below, so the derived counters, the components and the trace
// stay consistent. Besides, each component writes only the fields it owns
// in the shared objects, as swarmkit's components each write their part of
// the store: the allocator the addresses (Task::addrs, Node::attach, the
// pools, Service::vips), the agent the worker's in-flight operation
// (Task::op, waiting_attach, delivered, epoch), the orchestrator the restart
// bookkeeping (Task::old_task, start_after, pin, replaced_by), the
// scheduler the reason a task stays pending (Task::err).
// Not thread-safe; a Swarm and its Engine belong to one thread.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "model/allocator.hpp"
#include "model/metrics.hpp"
#include "model/agent.hpp"
#include "model/orchestrator.hpp"
#include "model/scheduler.hpp"
#include "model/updater.hpp"
#include "model/store.hpp"
#include "model/trace.hpp"
#include "sim/engine.hpp"
#include "sim/random.hpp"

namespace swarmplan::model {

// Counters a trial reports; reset by StartMeasuring().

class Swarm {
 public:
  // REQUIRES: scenario.Validate() succeeded.
  Swarm(const Scenario& scenario, std::uint64_t seed, bool trace = false, std::uint64_t max_events = 0);
  Swarm(const Swarm&) = delete;
  Swarm& operator=(const Swarm&) = delete;
  ~Swarm();

  // Creates ingress, the overlays and the services at the current time.
  void Deploy();

  // Operator actions. They take effect through the leader; without one
  // they fail with the reason (as `docker node update` would).
  std::expected<void, std::string> SetAvailability(NodeId n, Availability a);
  // `docker node promote / demote`: the node joins or leaves Raft (the
  // quorum counts change at once; a demoted leader steps down and another
  // manager is elected); `node.role` constraints are re-checked.
  std::expected<void, std::string> SetRole(NodeId n, Role r);
  // Membership. `docker swarm join` on a host not in the swarm: a manager
  // joins Raft at once, the node is ready after node_join. `docker swarm
  // leave` on a worker: its engine stops running swarm tasks and it is down
  // once its heartbeat expires; its tasks (and their addresses) stay in the
  // store, as a down node's do, until `docker node rm` (only for a node the
  // managers see down) deletes it: its tasks end, its load-balancer
  // addresses are freed (swarmkit allocator deallocateNode, the
  // orchestrators' task deletion on EventDeleteNode).
  std::expected<void, std::string> JoinNode(NodeId n, Role r);
  std::expected<void, std::string> LeaveNode(NodeId n);
  std::expected<void, std::string> RemoveNode(NodeId n);
  // Service changes, through the leader (`docker service create / rm /
  // scale`). A service defined with deployed=false is created here.
  std::expected<void, std::string> CreateService(ServiceId s);
  std::expected<void, std::string> RemoveService(ServiceId s);
  std::expected<void, std::string> ScaleService(ServiceId s, std::uint32_t replicas);
  // `docker service update --force`: a new spec version, rolled out by the
  // updater with the service's update_config. `docker service rollback`:
  // back to the previous spec with its rollback_config.
  std::expected<void, std::string> UpdateService(ServiceId s);
  std::expected<void, std::string> RollbackService(ServiceId s);
  // `docker service update --network-add / --network-rm`: a new spec
  // version with network k attached or not, rolled out like an update. The
  // service's VIP on an added network is allocated with its first new task,
  // on a removed one released at once; tasks keep the networks of the spec
  // they were created from until they end.
  std::expected<void, std::string> ChangeNetwork(ServiceId s, NetworkId k, bool add);
  // Back to the previous spec's networks, as a new version (a rollback).
  void RevertSpec(Service& s);
  void StopEngine(NodeId n);
  void StartEngine(NodeId n);
  void InstallEngine(NodeId n, EngineVersion v);  // REQUIRES: engine stopped

  // True when every task is RUNNING as desired (or terminal) and every
  // service runs its desired count.
  bool Converged() const;
  // Tasks of node n that have not stopped yet (state <= RUNNING).
  std::size_t LiveTasksOn(NodeId n) const { return nodes[n].tasks.size(); }

  // Resets peaks and per-service minima to the current state.
  void StartMeasuring();
  void FinishMeasuring();  // closes open below-desired intervals

  // --- The store and context, used by the components. ---
  sim::Engine& engine() { return engine_; }
  const sim::Engine& engine() const { return engine_; }
  sim::Time Now() const { return engine_.Now(); }
  sim::Rng& rng() { return rng_; }
  Trace& trace() { return trace_; }
  const Timings& timings() const { return timings_; }
  sim::Time Draw(const Range& r) { return rng_.Duration(r.lo, r.hi); }

  Allocator& allocator() { return *allocator_; }
  Scheduler& scheduler() { return *scheduler_; }
  Orchestrator& orchestrator() { return *orchestrator_; }
  Agent& agent() { return *agent_; }
  Updater& updater() { return *updater_; }
  const Allocator& allocator() const { return *allocator_; }

  std::vector<Network> networks;  // [0] is ingress
  std::vector<Node> nodes;
  std::vector<Service> services;
  TaskStore tasks;  // references stay valid as tasks are added
  SwarmMetrics metrics;

  // Store mutations. Each keeps counters consistent and notifies components.
  // An `err` is static text (the task keeps a view of it, Task::err).
  TaskId CreateTask(ServiceId s, std::uint32_t slot, NodeId preset, TaskState desired);
  void SetState(Task& t, TaskState s, std::string_view err = {});
  void SetDesired(Task& t, TaskState d);
  void AssignNode(Task& t, NodeId n);
  // A worker reports that a task ended (a terminal state). The dispatcher
  // commits reports in batches, so the store sees it at the next batch:
  // every report of one batch lands in the store together, which is what
  // the allocator then reads (a node whose waiting tasks were all rejected
  // in one batch no longer needs its load-balancer address).
  void Report(Task& t, TaskState s, std::string_view err = {});

  // Control plane.
  bool HasLeader() const { return leader_ != kNoId; }
  NodeId leader() const { return leader_; }
  LbPolicy lb_policy() const { return lb_policy_; }
  int reachable_managers() const;
  int managers() const { return managers_; }
  bool HasQuorum() const { return reachable_managers() > managers_ / 2; }

  std::string TaskName(const Task& t) const;
  const std::string& NodeName(NodeId n) const { return nodes[n].name; }
  bool MeetsConstraints(const Service& s, const Node& n) const;

 private:
  void NewSpecVersion(Service& s, std::vector<NetworkId> nets);
  // The spec's update_to, if any, becomes the spec (before the version
  // bump of the update that rolls it out); the old one is kept for the
  // tasks created from it. `networks_change`: the update also changes the
  // networks (network-add / network-rm).
  void ApplyPendingSpec(Service& s, bool networks_change);
  // `next`'s rollout fields become the spec's; the old spec is kept for
  // its tasks and as the one a rollback returns to.
  void SwapSpec(Service& s, ServiceSpec next);
  void OnTerminal(Task& t, TaskState old);
  void AttachToNode(Task& t, NodeId n);
  void RefreshCounted(Task& t);
  void UpdateRunning(Service& s, int delta);
  bool Transitional(const Task& t) const {
    return !IsTerminal(t.state) && (t.state != TaskState::kRunning || t.desired != TaskState::kRunning);
  }
  void FlushReports();
  void NodeDown(NodeId n);
  void NodeReconnected(NodeId n);
  void LeaderLost();
  void ScheduleElection();
  void Elect();

  sim::Engine engine_;
  sim::Rng rng_;
  Trace trace_;
  Timings timings_;
  std::unique_ptr<Allocator> allocator_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<Orchestrator> orchestrator_;
  std::unique_ptr<Agent> agent_;
  std::unique_ptr<Updater> updater_;
  NodeId leader_ = kNoId;
  NodeId initial_leader_ = kNoId;
  LbPolicy lb_policy_ = LbPolicy::kNone;
  int managers_ = 0;
  bool election_pending_ = false;
  // A worker's report of a task's progress (ACCEPTED .. RUNNING) reaches
  // the store with the dispatcher's next batch, where the allocator sees it
  // as an update of a task on its node (Swarm::SetState).
  void QueueProgress(Task& t);
  // The dispatcher's next batch after now (dispatcher_batch apart, each
  // late by dispatcher_tick_late).
  sim::Time NextDispatcherTick();
  sim::Time next_tick_ = 0;
  // Waiting for the dispatcher's batch: terminal reports and progress
  // reports.
  struct PendingReport {
    TaskId id;
    bool progress;
  };
  // The worker's reporter sends t's report (its terminal state, or its
  // progress); it joins the dispatcher's batch when it arrives.
  void Send(const Task& t, bool progress);
  std::vector<PendingReport> reports_;
  std::vector<PendingReport> report_batch_;
  std::uint64_t transitional_ = 0;
  bool measuring_ = false;
};

}  // namespace swarmplan::model
