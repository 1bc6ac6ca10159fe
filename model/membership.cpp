#include "model/membership.hpp"

#include <algorithm>
#include <cassert>
#include <utility>
#include <vector>

#include "model/swarm.hpp"

namespace swarmplan::model {

void Membership::Init(NodeId leader) {
  initial_leader_ = leader;
  managers_ = 0;
  for (const Node& n : w_.nodes) managers_ += n.role == Role::kManager && n.member;
}

void Membership::Start() {
  leader_ = initial_leader_;
  lb_policy_ = w_.nodes[leader_].engine.lb_policy();
  w_.trace().Add(w_.Now(), "leader", [&] {
    return w_.nodes[leader_].name + " leads (engine " + w_.nodes[leader_].engine.ToString() +
           "; load-balancer addresses: " + std::string(ToString(lb_policy_)) + ")";
  });
}

std::expected<void, std::string> Membership::SetRole(NodeId id, Role r) {
  Node& n = w_.nodes[id];
  const char* verb = r == Role::kManager ? "promote" : "demote";
  if (!HasLeader()) return std::unexpected(std::string("cannot ") + verb + " " + n.name + ": the swarm has no leader");
  if (!n.member) return std::unexpected(std::string("cannot ") + verb + " " + n.name + ": it is not in the swarm");
  if (n.role == r) return {};
  if (r == Role::kWorker && managers_ == 1) {
    return std::unexpected("cannot demote " + n.name + ": it is the last manager");
  }
  w_.trace().Add(w_.Now(), "node", [&] { return n.name + " " + verb + "d to " + std::string(ToString(r)); });
  n.role = r;
  managers_ += r == Role::kManager ? 1 : -1;
  for (Service& s : w_.services) s.constraint_ok[id] = w_.MeetsConstraints(s, n);
  w_.scheduler().NodeChanged(id);
  w_.orchestrator().NodeConstraintsChanged(id);
  if (n.schedulable()) w_.orchestrator().NodeSchedulable(id);
  // A demoted leader steps down; so does any leader once the managers up
  // are no longer a majority (a demotion while managers are down).
  if (HasLeader() && ((r == Role::kWorker && leader_ == id) || !HasQuorum())) LeaderLost();
  return {};
}

std::expected<void, std::string> Membership::Join(NodeId id, Role r) {
  Node& n = w_.nodes[id];
  if (!HasLeader()) return std::unexpected("cannot join " + n.name + ": the swarm has no leader");
  if (n.member) return std::unexpected(n.name + " is already in the swarm");
  w_.trace().Add(w_.Now(), "node", [&] { return n.name + " joins as " + std::string(ToString(r)); });
  n.member = true;
  n.LbInputsChanged();
  n.left = false;
  n.role = r;
  n.availability = Availability::kActive;
  for (Service& s : w_.services) s.constraint_ok[id] = w_.MeetsConstraints(s, n);
  if (r == Role::kManager) ++managers_;
  n.engine_running = true;
  ++n.epoch;
  const std::uint32_t epoch = n.epoch;
  w_.engine().After(w_.Draw(w_.timings().node_join), [this, id, epoch] {
    if (w_.nodes[id].epoch == epoch && w_.nodes[id].member && !w_.nodes[id].fault.partitioned) NodeReconnected(id, true);
  });
  return {};
}

std::expected<void, std::string> Membership::Leave(NodeId id) {
  Node& n = w_.nodes[id];
  if (!n.member) return std::unexpected(n.name + " is not in the swarm");
  // docker: a manager must be demoted first (or leave with --force, which
  // this model does not plan).
  if (n.role == Role::kManager) return std::unexpected(n.name + " is a manager: demote it before it leaves");
  w_.trace().Add(w_.Now(), "node", [&] { return n.name + " leaves the swarm"; });
  StopEngine(id);
  n.left = true;
  return {};
}

std::expected<void, std::string> Membership::Remove(NodeId id) {
  Node& n = w_.nodes[id];
  if (!HasLeader()) return std::unexpected("cannot remove " + n.name + ": the swarm has no leader");
  if (!n.member) return std::unexpected(n.name + " is not in the swarm");
  if (n.role == Role::kManager) return std::unexpected(n.name + " is a manager: demote it before removing it");
  if (n.state != NodeState::kDown) {
    return std::unexpected("node " + n.name + " is not down and can't be removed (docker node rm without --force)");
  }
  w_.trace().Add(w_.Now(), "node", [&] { return n.name + " removed from the swarm"; });
  w_.engine().Cancel(n.heartbeat.expiry);
  n.member = false;
  n.LbInputsChanged();
  const std::vector<TaskId> on_node = n.tasks;
  for (TaskId tid : on_node) {
    Task& t = w_.tasks[tid];
    if (IsTerminal(t.state)) continue;
    w_.SetDesired(t, TaskState::kShutdown);
    if (!IsTerminal(t.state)) w_.SetState(t, TaskState::kOrphaned, "node removed");
  }
  // What its leftover tasks held when the run began (an imported left
  // node's) goes with them.
  for (NetworkId k = 0; k < n.held.size(); ++k) {
    for (std::uint32_t off : n.held[k]) w_.allocator().FreeAddress(k, off);
    n.held[k].clear();
  }
  n.LbInputsChanged();
  w_.allocator().NodeEvent(id);  // frees its load-balancer addresses
  w_.scheduler().NodeChanged(id);
  return {};
}

int Membership::reachable_managers() const {
  int up = 0;
  for (const Node& n : w_.nodes) up += n.role == Role::kManager && n.engine_running && !n.fault.partitioned;
  return up;
}

void Membership::StopEngine(NodeId id, StopKind how) {
  Node& n = w_.nodes[id];
  if (!n.engine_running) return;
  static constexpr const char* kHow[] = {"stopped", "killed", "stopped (host down)"};
  w_.trace().Add(w_.Now(), "node", [&] { return n.name + " engine " + n.engine.ToString() + " " + kHow[static_cast<int>(how)]; });
  n.engine_running = false;
  n.connected = false;
  ++n.epoch;
  // With --live-restore the daemon leaves its containers running when it
  // stops or dies (moby daemon.go Shutdown skips them; restore keeps the
  // ones containerd still runs); a host going down takes them with it.
  w_.agent().EngineStopped(id, n.live_restore && how != StopKind::kHostDown);
  if (!n.fault.partitioned) LoseContact(id);  // a cut node's managers lost it already
}

void Membership::LoseContact(NodeId id) {
  Node& n = w_.nodes[id];
  w_.engine().Cancel(n.heartbeat.expiry);
  n.heartbeat.expiry = w_.engine().After(w_.Draw(w_.timings().node_down_after), [this, id] { NodeDown(id); });
  if (n.role == Role::kManager) {
    if (leader_ == id) LeaderLost();
    if (!HasQuorum()) {
      w_.trace().Add(w_.Now(), "leader", [&] { return "quorum lost: " + std::to_string(reachable_managers()) + " of " +
                                      std::to_string(managers_) + " managers reachable"; });
    }
  }
}

void Membership::Cut(NodeId id) {
  Node& n = w_.nodes[id];
  w_.trace().Add(w_.Now(), "node", [&] { return n.name + " is cut off from the managers (its engine runs on)"; });
  n.fault.partitioned = true;
  if (!n.engine_running) return;  // already out of contact
  n.connected = false;
  LoseContact(id);
}

void Membership::Heal(NodeId id) {
  Node& n = w_.nodes[id];
  if (!n.fault.partitioned) return;
  n.fault.partitioned = false;
  w_.trace().Add(w_.Now(), "node", [&] { return n.name + "'s network to the managers is back"; });
  if (!n.engine_running || !n.member || n.left) return;
  // The agent retries its session with a backoff that has grown to its
  // cap (swarmkit agent/agent.go: maxSessionFailureBackoff, 8 s; each
  // attempt waits a random part of it).
  const std::uint32_t epoch = n.epoch;
  w_.engine().After(w_.rng().Duration(sim::Ms(100), kSessionBackoffMax), [this, id, epoch] {
    const Node& m = w_.nodes[id];
    if (m.epoch == epoch && m.engine_running && !m.fault.partitioned && !m.connected) NodeReconnected(id, false);
  });
  if (n.role == Role::kManager && !HasLeader()) ScheduleElection();
}

void Membership::InstallEngine(NodeId id, EngineVersion v) {
  Node& n = w_.nodes[id];
  assert(!n.engine_running);
  const Node::InstallFault fault = std::exchange(n.fault.next_install, Node::InstallFault::kNone);
  if (fault == Node::InstallFault::kKeepsOld) {
    w_.trace().Add(w_.Now(), "node", [&] { return n.name + " install of " + v.ToString() + " failed: engine " + n.engine.ToString() + " kept"; });
    return;
  }
  w_.trace().Add(w_.Now(), "node", [&] { return n.name + " engine " + n.engine.ToString() + " -> " + v.ToString() + " installed"; });
  n.engine = v;
  n.fault.broken = fault == Node::InstallFault::kNoStart;
}

void Membership::StartEngine(NodeId id) {
  Node& n = w_.nodes[id];
  if (n.engine_running || !n.member || n.left || n.fault.host_down) return;
  w_.engine().Cancel(n.fault.restart);
  if (n.fault.broken) {
    w_.trace().Add(w_.Now(), "node", [&] { return n.name + " engine " + n.engine.ToString() + " fails to start"; });
    return;
  }
  w_.trace().Add(w_.Now(), "node", [&] { return n.name + " engine " + n.engine.ToString() + " starting"; });
  n.engine_running = true;
  const std::uint32_t epoch = n.epoch;
  const sim::Time restore = std::exchange(n.fault.containers_to_restore, false) ? RestoreTime(id) : 0;
  w_.engine().After(w_.Draw(w_.timings().engine_start) + restore, [this, id, epoch] {
    const Node& m = w_.nodes[id];
    if (m.epoch == epoch && m.engine_running && !m.fault.partitioned) NodeReconnected(id, true);
  });
  if (n.role == Role::kManager && !HasLeader()) ScheduleElection();
}

sim::Time Membership::RestoreTime(NodeId id) {
  // A daemon that died left its containers running under containerd;
  // started without live-restore, it stops each one still alive before it
  // goes on (moby daemon.go restore -> shutdownContainer), all at once,
  // each with the container's own stop timeout: 10 s, as the containers a
  // swarm task creates carry none (the task's stop grace period is given
  // only when the agent stops it). A process that obeys SIGTERM ends
  // sooner.
  constexpr sim::Time kContainerStopTimeout = sim::Sec(10);
  // Each process ends (killed after the timeout, or on SIGTERM); their
  // exits are handled one at a time, then each container is cleaned up
  // (docs/timings.md).
  std::vector<sim::Time> ends;
  for (TaskId tid : w_.nodes[id].tasks) {
    const Task& t = w_.tasks[tid];
    if (IsTerminal(t.state) || t.state < TaskState::kStarting) continue;
    const ServiceSpec& spec = w_.services[t.service].SpecOf(t.version);
    ends.push_back(spec.exits_on_sigterm ? std::min(w_.DrawOn(id, w_.timings().container_stop), kContainerStopTimeout)
                                         : kContainerStopTimeout + w_.DrawOn(id, w_.timings().container_kill));
  }
  std::sort(ends.begin(), ends.end());
  sim::Time longest = 0, handled = 0;
  for (const sim::Time end : ends) {
    handled = std::max(handled, end) + w_.DrawOn(id, w_.timings().container_exit);
    longest = std::max(longest, handled + w_.DrawOn(id, w_.timings().container_cleanup));
  }
  if (longest > 0) {
    w_.trace().Add(w_.Now(), "node", [&] {
      return w_.nodes[id].name + " restores its containers: stops those still running first (" +
             std::to_string(longest / sim::kMillisecond) + " ms)";
    });
  }
  return longest;
}

void Membership::NodeDown(NodeId id) {
  Node& n = w_.nodes[id];
  if (!HasLeader()) {
    // The dispatcher runs on the leader; a new one re-arms the heartbeat.
    n.heartbeat.expiry = w_.engine().After(sim::kSecond, [this, id] { NodeDown(id); });
    return;
  }
  if (n.state == NodeState::kDown) return;
  w_.trace().Add(w_.Now(), "node", [&] { return n.name + " is down (heartbeat expired)"; });
  n.state = NodeState::kDown;
  w_.scheduler().NodeChanged(id);
  w_.orchestrator().NodeDown(id);
}

void Membership::NodeReconnected(NodeId id, bool engine_started) {
  Node& n = w_.nodes[id];
  w_.engine().Cancel(n.heartbeat.expiry);
  const bool was_down = n.state == NodeState::kDown;
  n.state = NodeState::kReady;
  n.connected = true;
  // A session back after a partition finds libnetwork's cluster agent up
  // all along; only a started engine brings its agent up late.
  const Range& lag = n.role == Role::kManager ? w_.timings().manager_active_after_ready : w_.timings().swarm_active_after_ready;
  const sim::Time inactive = engine_started ? w_.Draw(lag) : 0;
  if (engine_started) n.swarm_active = inactive == 0;
  w_.trace().Add(w_.Now(), "node", [&] { return n.name + " is ready (engine " + n.engine.ToString() + ")"; });
  w_.dispatcher().SessionBack(id);  // what its reporter could not send
  if (!n.swarm_active) {
    const std::uint32_t epoch = n.epoch;
    w_.engine().After(inactive, [this, id, epoch] {
      if (w_.nodes[id].epoch == epoch) w_.nodes[id].swarm_active = true;
    });
  }
  w_.agent().Reconnected(id);
  w_.scheduler().NodeChanged(id);
  w_.allocator().NodeEvent(id);
  if (was_down && n.schedulable() && HasLeader()) w_.orchestrator().NodeSchedulable(id);
  if (n.role == Role::kManager && !HasLeader()) ScheduleElection();
}

void Membership::LeaderLost() {
  w_.trace().Add(w_.Now(), "leader", [&] { return w_.nodes[leader_].name + " stopped leading"; });
  leader_ = kNoId;
  ScheduleElection();
}

void Membership::ScheduleElection() {
  if (election_pending_ || HasLeader()) return;
  if (!HasQuorum()) return;  // retried when a manager comes back
  election_pending_ = true;
  w_.engine().After(w_.Draw(w_.timings().election), [this] { Elect(); });
}

void Membership::Elect() {
  election_pending_ = false;
  if (HasLeader() || !HasQuorum()) return;
  std::vector<NodeId> candidates;
  for (const Node& n : w_.nodes) {
    if (n.role == Role::kManager && n.engine_running && !n.fault.partitioned) candidates.push_back(n.id);
  }
  leader_ = candidates[w_.rng().Below(candidates.size())];
  lb_policy_ = w_.nodes[leader_].engine.lb_policy();
  w_.trace().Add(w_.Now(), "leader", [&] { return w_.nodes[leader_].name + " elected leader (engine " + w_.nodes[leader_].engine.ToString() +
                                  "; load-balancer addresses: " + std::string(ToString(lb_policy_)) + ")"; });
  // The new dispatcher's grace for the nodes it has not heard from
  // (Timings::node_unknown_grace): a quiet node's expiry starts over.
  for (Node& n : w_.nodes) {
    if (!n.member || n.state == NodeState::kDown || !w_.engine().IsPending(n.heartbeat.expiry)) continue;
    w_.engine().Cancel(n.heartbeat.expiry);
    const NodeId id = n.id;
    n.heartbeat.expiry = w_.engine().After(w_.Draw(w_.timings().node_unknown_grace), [this, id] { NodeDown(id); });
  }
  w_.allocator().LeaderChanged();
  w_.scheduler().LeaderChanged();
  w_.orchestrator().LeaderChanged();
}

}  // namespace swarmplan::model
