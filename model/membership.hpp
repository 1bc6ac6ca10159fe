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
  void StopEngine(NodeId n);
  void StartEngine(NodeId n);
  void InstallEngine(NodeId n, EngineVersion v);  // REQUIRES: engine stopped

  bool HasLeader() const { return leader_ != kNoId; }
  NodeId leader() const { return leader_; }
  LbPolicy lb_policy() const { return lb_policy_; }
  int reachable_managers() const;
  int managers() const { return managers_; }
  bool HasQuorum() const { return reachable_managers() > managers_ / 2; }

 private:
  void NodeDown(NodeId n);
  void NodeReconnected(NodeId n);
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
