// Swarm: one simulated Docker Swarm, the composition of its components over
// a shared store (model/store.hpp), driven by one sim::Engine and one seeded
// Rng. The components, one file each, named after swarmkit's:
//   membership   (membership.hpp)   join, leave, node rm, promote/demote,
//                                   heartbeats, elections, the leader
//   dispatcher   (dispatcher.hpp)   assignment stream, status report batches
//   allocator    (allocator.hpp)    addresses: tasks, VIPs, node LB
//   scheduler    (scheduler.hpp)    placement
//   orchestrator (orchestrator.hpp) replicas, global tasks, restarts
//   updater      (updater.hpp)      rolling updates and rollbacks
//   agent        (agent.hpp)        the worker: prepare, wait, start, stop
//   faults       (faults.hpp)       what breaks: kills, hosts down,
//                                   partitions, failed installs, slow nodes
//
// Lifecycle: construct from a Scenario and a seed, Deploy() the services
// under the engines the nodes start with, then drive operator actions
// between engine runs. What the components react to — a task's state,
// desired state and node, a node's availability and engine — changes only
// through the methods below, so the derived counters, the components and
// the trace stay consistent. Each component writes only its own state,
// grouped under its name in the store (Node::sched, Node::dispatch,
// Node::agent, Node::heartbeat, Node::fault, Task::agent, Task::report, Task::restart),
// plus the fields it owns in the shared objects, as swarmkit's components
// each write their part of the store: the allocator the addresses
// (Task::addrs, Node::attach, the pools, Service::vips), the scheduler the
// reason a task stays pending (Task::err). CheckInvariants() says whether
// the bookkeeping holds; tests run it after every event.
// Not thread-safe; a Swarm and its Engine belong to one thread.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/allocator.hpp"
#include "model/metrics.hpp"
#include "model/agent.hpp"
#include "model/dispatcher.hpp"
#include "model/faults.hpp"
#include "model/membership.hpp"
#include "model/orchestrator.hpp"
#include "model/scheduler.hpp"
#include "model/updater.hpp"
#include "model/store.hpp"
#include "model/trace.hpp"
#include "sim/engine.hpp"
#include "sim/random.hpp"

namespace swarmplan::model {

// Counters a trial reports; reset by StartMeasuring().

// While on, Swarms check their invariants after every event: every one
// (1), or one in N as they are constructed (tests that simulate thousands
// of candidate plans), or none (0, the default: a plan does not pay for it).
void SetInvariantChecks(std::uint32_t one_swarm_in);
std::uint32_t InvariantChecks();
// Whether the next Swarm constructed checks (counts it).
bool ChecksNextSwarm();

// Sets the sampling for a scope (a test), then puts back what was.
class InvariantSampling {
 public:
  explicit InvariantSampling(std::uint32_t one_swarm_in) : was_(InvariantChecks()) {
    if (was_ != 0) SetInvariantChecks(one_swarm_in);
  }
  ~InvariantSampling() { SetInvariantChecks(was_); }
  InvariantSampling(const InvariantSampling&) = delete;
  InvariantSampling& operator=(const InvariantSampling&) = delete;

 private:
  std::uint32_t was_;
};

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
  std::expected<void, std::string> SetRole(NodeId n, Role r) { return membership_->SetRole(n, r); }
  // Membership. `docker swarm join` on a host not in the swarm: a manager
  // joins Raft at once, the node is ready after node_join. `docker swarm
  // leave` on a worker: its engine stops running swarm tasks and it is down
  // once its heartbeat expires; its tasks (and their addresses) stay in the
  // store, as a down node's do, until `docker node rm` (only for a node the
  // managers see down) deletes it: its tasks end, its load-balancer
  // addresses are freed (swarmkit allocator deallocateNode, the
  // orchestrators' task deletion on EventDeleteNode).
  // (model/membership.hpp)
  std::expected<void, std::string> JoinNode(NodeId n, Role r) { return membership_->Join(n, r); }
  std::expected<void, std::string> LeaveNode(NodeId n) { return membership_->Leave(n); }
  std::expected<void, std::string> RemoveNode(NodeId n) { return membership_->Remove(n); }
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
  void StopEngine(NodeId n) { membership_->StopEngine(n); }
  void StartEngine(NodeId n) { membership_->StartEngine(n); }
  void InstallEngine(NodeId n, EngineVersion v) { membership_->InstallEngine(n, v); }  // REQUIRES: engine stopped

  // True when every task is RUNNING as desired (or terminal) and every
  // service runs its desired count.
  bool Converged() const;
  // Tasks of node n that have not stopped yet (state <= RUNNING).
  std::size_t LiveTasksOn(NodeId n) const { return nodes[n].tasks.size(); }

  // The store's bookkeeping recomputed and compared (model/invariants.cpp):
  // addresses held equal addresses allocated on every network and none held
  // twice, each node's task lists and counts, the scheduler's counts, each
  // service's running count, the managers and the leader. Says what broke.
  std::optional<std::string> CheckInvariants() const;
  // Checks them after every event from now on; a broken one prints the
  // time, the seed and what broke, and aborts. Every Swarm does it from
  // construction while SetInvariantChecks(true) (the tests).
  void CheckAfterEveryEvent();
  // Called after every event (a timeline's recorder), after the checks.
  void SetObserver(std::function<void()> f);
  std::uint64_t seed() const { return seed_; }

  // Resets peaks and per-service minima to the current state.
  void StartMeasuring();  // also ends the warm start of an imported state (EndWarmStart)
  void FinishMeasuring();  // closes open below-desired intervals

  // --- The store and context, used by the components. ---
  sim::Engine& engine() { return engine_; }
  const sim::Engine& engine() const { return engine_; }
  sim::Time Now() const { return engine_.Now(); }
  sim::Rng& rng() { return rng_; }
  Trace& trace() { return trace_; }
  const Timings& timings() const { return timings_; }
  sim::Time Draw(const Range& r) { return rng_.Duration(r.lo, r.hi); }
  // A duration of node n's own work (its agent, containers and reporter):
  // drawn as Draw, stretched on a slow node (model/faults.hpp).
  sim::Time Slowed(NodeId n, sim::Time d) const {
    const std::uint16_t pct = nodes[n].fault.slow_pct;
    return pct == 100 ? d : d * pct / 100;
  }
  sim::Time DrawOn(NodeId n, const Range& r) { return Slowed(n, Draw(r)); }
  // What every container start of this trial takes beyond its own draw
  // (Timings::container_start_run), drawn once from the trial's seed.
  sim::Time start_run_extra() const { return start_run_extra_; }

  Allocator& allocator() { return *allocator_; }
  Scheduler& scheduler() { return *scheduler_; }
  Orchestrator& orchestrator() { return *orchestrator_; }
  Agent& agent() { return *agent_; }
  Updater& updater() { return *updater_; }
  Dispatcher& dispatcher() { return *dispatcher_; }
  Membership& membership() { return *membership_; }
  Faults& faults() { return *faults_; }
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
  // The allocator allocated t's addresses (REQUIRES: t.allocated): a task
  // already on its node (a global one) now counts for the node's networks.
  void Allocated(const Task& t) {
    if (t.on_node) CountNetworks(t, +1);
  }
  // Control plane (model/membership.hpp).
  bool HasLeader() const { return membership_->HasLeader(); }
  NodeId leader() const { return membership_->leader(); }
  LbPolicy lb_policy() const { return membership_->lb_policy(); }
  int reachable_managers() const { return membership_->reachable_managers(); }
  int managers() const { return membership_->managers(); }
  bool HasQuorum() const { return membership_->HasQuorum(); }

  std::string TaskName(const Task& t) const;
  const std::string& NodeName(NodeId n) const { return nodes[n].name; }
  bool MeetsConstraints(const Service& s, const Node& n) const;
  // An imported live state's addresses taken before the run (scenario
  // vips, tasks' addresses, nodes' held and load balancers), and their end
  // when the plan starts: reservations nobody took back are freed and the
  // load balancers given by the live state answer to their tasks again.
  void WarmStart(const Scenario& sc, const std::vector<std::uint32_t>& slots);
  static std::vector<std::uint32_t> ModelSlots(const Scenario& sc);
  void EndWarmStart();

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
  // A task on its node with its addresses allocated counts in the node's
  // per-network counts (what its load-balancer attachments derive from).
  void CountNetworks(const Task& t, int delta);
  void RefreshCounted(Task& t);
  void UpdateRunning(Service& s, int delta);
  bool Transitional(const Task& t) const {
    return !IsTerminal(t.state) && (t.state != TaskState::kRunning || t.desired != TaskState::kRunning);
  }
  sim::Engine engine_;
  std::uint64_t seed_;
  sim::Time start_run_extra_ = 0;
  sim::Rng rng_;
  std::function<void()> observer_;
  bool checking_ = false;
  Trace trace_;
  Timings timings_;
  std::unique_ptr<Allocator> allocator_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<Orchestrator> orchestrator_;
  std::unique_ptr<Agent> agent_;
  std::unique_ptr<Updater> updater_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<Membership> membership_;
  std::unique_ptr<Faults> faults_;
  std::uint64_t transitional_ = 0;
  bool measuring_ = false;
};

}  // namespace swarmplan::model
