// Scheduler: places PENDING tasks on nodes (swarmkit manager/scheduler).
//
// Filters: ready and active node, constraints, resources, max replicas per
// node. Choice (nodeLess): when either node has failure_threshold or more
// recent failures of the service, fewer failures wins; then fewer tasks of
// the service; then fewer tasks in total; then random (Go map order).
// Addresses are ignored.
//
// For scale, every replicated service keeps a lazy min-heap of its nodes
// keyed by that comparison. Entries are lower bounds of the nodes' current
// keys: a key that grows (a node gains a task) is left stale and fixed when
// it reaches the top; a key that shrinks (a node loses a task, a failure
// expires, a node becomes schedulable) is pushed afresh. The top entry
// whose key is current is then exactly the best node, and a placement costs
// O(log nodes) amortised instead of a scan of every node.
// Decisions are committed in batches (scheduler_batch_gap, at most
// scheduler_batch_max after the first task waits).
//
// A batch of several tasks of one service is placed as swarmkit's
// scheduleNTasksOnNodes places it (PlaceBatch: the best len(batch) nodes,
// stay on a node until the next is strictly better, then round-robin;
// decisions committed in Go's map order); docs/swarm-semantics.md section 4.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "model/node_heap.hpp"
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
  // The store committed a transaction now (any component's): the wait
  // before the next tick starts again.
  void StoreCommitted();
  // A task started or stopped counting on node n (delta +1/-1).
  void CountChanged(const Task& t, int delta);
  // Node n changed state, availability or engine.
  void NodeChanged(NodeId n);
  // Records a FAILED/REJECTED task for failure underweighting.
  void TaskFailed(const Task& t);
  // `count` failures of service s on node n just before the run (import).
  void FailuresImported(ServiceId s, NodeId n, std::uint32_t count);
  void LeaderChanged();
  // Service s's constraints or max_replicas_per_node changed (an update
  // rolling out a new spec): its node index is built again.
  void SpecChanged(ServiceId s) { Rebuild(s); }

  std::size_t unplaced() const { return unplaced_.size(); }

 private:
  using Entry = NodeEntry;
  struct Index {
    NodeHeap heap;
    std::vector<std::uint8_t> eligible;  // global services: counted in eligible_nodes
  };
  void Arm();
  // The wait the scheduler is in at `now`: the current one, or a new one
  // if the last ended with nothing to place.
  void OpenWait(sim::Time now);
  void Tick();
  bool Place(Task& t);
  // With the trace's explain flag: why `t` went to `chosen` (or nowhere),
  // every node filtered or ranked as the choice saw it.
  void Explain(const Task& t, NodeId chosen, bool pinned);
  bool Eligible(ServiceId s, NodeId n) const;
  bool Fits(ServiceId s, NodeId n) const;
  int RecentFailures(ServiceId s, NodeId n);  // of service s on node n, in the failure window
  std::uint64_t Rank(ServiceId s, NodeId n);
  // Pushes node n's current key for service s (if eligible).
  void Offer(ServiceId s, NodeId n);
  // A node's key may have shrunk for every service, or its eligibility
  // changed: offer it again everywhere.
  void OfferNode(NodeId n);
  void Rebuild(ServiceId s);
  // The best node for s, or kNoId; leaves it in the heap.
  NodeId Best(ServiceId s);
  // The best k distinct nodes for s with room, best first (equals in random
  // order); they stay in the heap.
  void BestNodes(ServiceId s, std::size_t k, std::vector<NodeId>& out);
  // Several tasks of one replicated service, as swarmkit places a batch.
  void PlaceBatch(ServiceId s, const std::vector<TaskId>& batch);

  Swarm& swarm_;
  std::vector<Index> index_;  // per service
  std::vector<TaskId> queue_;
  std::vector<TaskId> unplaced_;
  bool armed_ = false;
  bool retry_unplaced_ = false;
  // swarmkit's commit debounce (scheduler.go Run): every store commit, of
  // any component, restarts a scheduler_batch_gap wait, and a tick comes
  // at most scheduler_batch_max after the first commit of the wait.
  sim::Time first_wait_ = -1;   // the first commit of the current wait
  sim::Time last_commit_ = -1;
  sim::EventId tick_;
  // Scratch of Tick, BestNodes and PlaceBatch, kept across ticks so that a
  // warm run allocates nothing per placement.
  std::vector<TaskId> work_;
  std::vector<std::vector<TaskId>> groups_;
  std::vector<std::uint32_t> group_of_;
  std::vector<TaskId> batch_;
  std::vector<Entry> keep_;
  std::vector<std::uint8_t> mark_;
  std::vector<NodeId> best_;
  std::vector<NodeId> batch_nodes_;
  std::vector<std::uint32_t> batch_added_;
  std::vector<std::uint8_t> batch_failed_;
  std::vector<std::pair<TaskId, NodeId>> batch_decided_;
};

}  // namespace swarmplan::model
