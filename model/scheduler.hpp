// Scheduler: places PENDING tasks on nodes (swarmkit manager/scheduler).
//
// Filters: ready and active node, constraints, resources, max replicas per
// node. Choice (nodeLess): a node with failure_threshold or more recent
// failures of the service loses; then fewer tasks of the service; then fewer
// tasks in total; then random (Go map order). Addresses are ignored.
//
// For scale, every replicated service keeps an ordered index of its eligible
// nodes keyed by that comparison, updated when a node's counts change
// (O(services x log nodes)), so a placement never scans all nodes.
// Decisions are committed in batches (scheduler_batch_gap, at most
// scheduler_batch_max after the first task waits).
#pragma once

#include <cstdint>
#include <set>
#include <vector>

#include "model/types.hpp"
#include "sim/engine.hpp"

namespace swarmplan::model {

class Swarm;
struct Task;

class Scheduler {
 public:
  explicit Scheduler(Swarm& swarm) : swarm_(swarm) {}

  // Builds the node indexes. REQUIRES: nodes and services exist.
  void Init();
  void Enqueue(TaskId t);
  // A task started or stopped counting on node n (delta +1/-1).
  void CountChanged(const Task& t, int delta);
  // Node n changed state, availability or engine.
  void NodeChanged(NodeId n);
  // Records a FAILED/REJECTED task for failure underweighting.
  void TaskFailed(const Task& t);
  void LeaderChanged();

  std::size_t unplaced() const { return unplaced_.size(); }

 private:
  struct Key {
    std::uint64_t rank;  // failing<<63 | service count<<32 | total count
    std::uint32_t tie;   // random
    NodeId node;
    bool operator<(const Key& o) const {
      if (rank != o.rank) return rank < o.rank;
      if (tie != o.tie) return tie < o.tie;
      return node < o.node;
    }
  };
  struct Index {
    std::set<Key> set;
    std::vector<Key> key;           // per node, valid if in set
    std::vector<std::uint8_t> in;   // per node
  };
  void Arm();
  void Tick();
  bool Place(Task& t);
  bool Eligible(ServiceId s, NodeId n) const;
  bool Fits(ServiceId s, NodeId n) const;
  bool Failing(ServiceId s, NodeId n);
  void Rekey(ServiceId s, NodeId n);
  void RekeyNode(NodeId n);

  Swarm& swarm_;
  std::vector<Index> index_;  // per service (replicated only)
  std::vector<TaskId> queue_;
  std::vector<TaskId> unplaced_;
  bool armed_ = false;
  bool retry_unplaced_ = false;
  sim::Time first_wait_ = -1;
  sim::EventId tick_;
};

}  // namespace swarmplan::model
