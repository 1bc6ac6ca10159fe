// Membership: which nodes are in the swarm and how the managers see them
// (swarmkit manager/controlapi/node.go, manager/dispatcher heartbeats,
// the Raft membership in manager/state/raft). It owns:
//  - joining and leaving: `docker swarm join` (a manager joins Raft at
//    once; the node is ready after node_join), `docker swarm leave` on a
//    worker (its engine stops running swarm tasks; it is down once its
//    heartbeat expires; its tasks and their addresses stay in the store, as
//    a down node's do), `docker node rm` (only of a node the managers see
//    down: its tasks end, its load-balancer addresses are freed, as the
//    allocator's deallocateNode and the orchestrators' task deletion on
//    EventDeleteNode do), `docker node promote / demote`;
//  - each node's engine lifecycle as the managers see it: stopped, its
//    heartbeat expires after node_down_after and it is marked down; started,
//    it is ready again after engine_start;
//  - the leader: elections among the reachable managers when the leader is
//    lost, only with quorum; the leader's engine decides the load-balancer
//    address policy (docs/swarm-semantics.md section 6).
// Its own state of a node is Node::heartbeat; the rest it writes is the
// node's status (member, left, engine_running, connected, state).
#pragma once

#include <expected>
#include <string>

#include "model/types.hpp"
#include "model/version.hpp"
#include "sim/time.hpp"

namespace swarmplan::model {

class Swarm;

class Membership {
 public:
  explicit Membership(Swarm& w) : w_(w) {}
  // Counts the managers of the nodes as the run starts; `leader` leads
  // from Start().
  void Init(NodeId leader);
  void Start();

  std::expected<void, std::string> Join(NodeId n, Role r);
  std::expected<void, std::string> Leave(NodeId n);
  std::expected<void, std::string> Remove(NodeId n);
  std::expected<void, std::string> SetRole(NodeId n, Role r);
  // How an engine stops: `systemctl stop docker`, SIGKILL, or its host
  // going down (model/faults.hpp).
  enum class StopKind { kStop, kKill, kHostDown };
  void StopEngine(NodeId n, StopKind how = StopKind::kStop);
  // A started engine is ready after engine_start, unless it is broken (an
  // install fault) or its host is down.
  void StartEngine(NodeId n);
  // REQUIRES: engine stopped. Honours the node's install fault, if any.
  void InstallEngine(NodeId n, EngineVersion v);
  // A partition between node n and the managers begins / ends: its engine
  // and containers run on; the managers miss its heartbeats and mark it
  // down after node_down_after; a manager cut off counts for no quorum (a
  // leader steps down). Healed, its agent's next session attempt (within
  // the agent's session backoff) brings it back.
  void Cut(NodeId n);
  void Heal(NodeId n);
  // The agent's session backoff cap (swarmkit agent/agent.go).
  static constexpr sim::Time kSessionBackoffMax = sim::Sec(8);

  bool HasLeader() const { return leader_ != kNoId; }
  NodeId leader() const { return leader_; }
  LbPolicy lb_policy() const { return lb_policy_; }
  int reachable_managers() const;
  int managers() const { return managers_; }
  bool HasQuorum() const { return reachable_managers() > managers_ / 2; }

 private:
  void NodeDown(NodeId n);
  // The node's agent has a session again: after its engine started, or
  // after a partition healed.
  void NodeReconnected(NodeId n, bool engine_started);
  // Its heartbeats stop reaching the managers (a stop or a partition).
  void LoseContact(NodeId n);
  // How long a killed engine's start first spends stopping the containers
  // it left running (no live-restore).
  sim::Time RestoreTime(NodeId n);
  void LeaderLost();
  void ScheduleElection();
  void Elect();

  Swarm& w_;
  NodeId leader_ = kNoId;
  NodeId initial_leader_ = kNoId;
  LbPolicy lb_policy_ = LbPolicy::kNone;
  int managers_ = 0;
  bool election_pending_ = false;
};

}  // namespace swarmplan::model
