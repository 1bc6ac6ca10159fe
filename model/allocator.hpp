// Allocator: the leader's network allocator (swarmkit
// manager/allocator/network.go). It gives services their VIPs, tasks their
// addresses while NEW, and nodes their load-balancer attachments.
//
// It reads the store's changes in the order they were committed, a little
// after they were (allocator_latency), like the real allocator's event loop:
// an update of a task on a node recomputes that node's attachments at that
// point of the log; a task that ended frees its addresses there, then
// recomputes its node; the tasks created in a transaction are allocated at
// its commit, in random order (Go map order), and then, if something was
// freed since the last retry, the tasks that found no address before
// (doTaskAlloc, EventCommit). The store writes of one simulation event form
// one transaction.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "model/types.hpp"
#include "sim/engine.hpp"

namespace swarmplan::model {

class Swarm;
struct Task;
struct Service;

class Allocator {
 public:
  explicit Allocator(Swarm& swarm) : swarm_(swarm) {}

  // Allocates the service's VIPs now (service create is synchronous here).
  // Returns false if an address was missing; the service's tasks then wait.
  bool AllocateService(Service& s);
  // The service was removed: its VIPs are freed (allocator.go
  // deallocateService); its tasks free theirs as they end.
  void ReleaseService(Service& s);
  // The service's spec now attaches `to` instead of s.nets (REQUIRES: not
  // yet assigned): its VIP on each network it left is freed at once
  // (allocator.go updates the service's endpoint on a spec change); one on a
  // network it joined is allocated with the next task.
  void NetworksChanged(Service& s, const std::vector<NetworkId>& to);
  // A task was created (NEW) and needs addresses.
  void TaskCreated(TaskId t);
  // A task on node n changed (any state <= RUNNING, or its desired state)
  // or a node changed: its attachments are recomputed at this point of the
  // log. `own_transaction`: the change is a transaction of its own (a
  // restart supervisor's start, an orchestrator's reaction), committed after
  // what the current event wrote so far.
  void NodeEvent(NodeId n, bool own_transaction = false);
  // A task became terminal: its addresses are freed at this point of the
  // log, then its node's attachments recomputed.
  void TaskTerminal(Task& t);
  // While a transaction of workers' reports is being written (the
  // dispatcher's batch), what other components do in reaction to it (new
  // tasks, a restart supervisor's start) is their own later transaction:
  // logged when the batch ends.
  void BeginReactions() { ++defer_depth_; }
  void EndReactions();
  // A new leader's allocator: fresh cursors, then every node reconciled.
  void LeaderChanged();

  std::size_t unallocated() const { return unallocated_.size(); }
  // Whether every network's attachment of node `n` is as the node needs it
  // under the current policy (a pass over it would change nothing): what
  // Node::lb_settled claims, recomputed for the invariants.
  bool Settled(NodeId n) const;
  // An address given back outside a task's or a service's life (an
  // imported reservation nobody took, a removed node's leftovers).
  void FreeAddress(std::uint32_t net, std::uint32_t offset) {
    Free(net, offset);
    Arm();
  }

 private:
  enum class Kind : std::uint8_t { kNode, kTask, kDead, kCommit };
  struct Work {
    Kind kind;
    std::uint32_t id;
  };
  // Appends to the log; a new simulation event (or `boundary`) first
  // commits the transaction before it.
  void Log(Kind kind, std::uint32_t id, bool boundary = false);
  void Arm();
  void Batch();
  // EventCommit: the transaction's new tasks, then the retry.
  void Commit();
  void Release(Task& t);
  bool TryAllocate(Task& t);
  // Fills every kNoAddr entry of `out` (one per network of `nets`), all or
  // nothing. Returns -1, or the index of the network that had no address
  // (then `out` holds none of the addresses this call took).
  int AllocateAll(const std::vector<NetworkId>& nets, std::span<std::uint32_t> out);
  void ReallocateNode(NodeId n);
  void Free(std::uint32_t net, std::uint32_t offset);

  Swarm& swarm_;
  std::vector<Work> queue_;
  std::vector<TaskId> pending_;      // created in this batch
  std::vector<TaskId> unallocated_;  // failed before, waiting for a retry
  // Scratch, kept so that a batch allocates nothing once warm.
  std::vector<Work> work_;
  std::vector<TaskId> still_;
  std::vector<std::uint8_t> mine_;
  bool armed_ = false;
  bool something_freed_ = false;
  sim::EventId retry_timer_;
  // The transaction being logged: the simulation event (engine's fired
  // count) and its time.
  int defer_depth_ = 0;
  std::vector<Work> deferred_;
  std::uint64_t log_event_ = UINT64_MAX;
  sim::Time log_time_ = -1;
};

}  // namespace swarmplan::model
