// Allocator: the leader's network allocator (swarmkit
// manager/allocator/network.go). It gives services their VIPs, tasks their
// addresses while NEW, and nodes their load-balancer attachments.
//
// Work arrives as events and is processed in batches, like the real
// allocator's commit loop: node reallocations run in event order; new tasks
// are collected and allocated at the end of the batch in random order (Go
// map order); tasks that found no address wait in an unallocated set that is
// retried after something is freed, and every unallocated_retry.
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
  // A task on node n changed (any state <= RUNNING) or a node changed:
  // its attachments are recomputed in the next batch.
  void NodeEvent(NodeId n);
  // A task became terminal: frees its addresses at once and recomputes its
  // node's attachments.
  void TaskTerminal(Task& t);
  // A new leader's allocator: fresh cursors, then every node reconciled.
  void LeaderChanged();

  std::size_t unallocated() const { return unallocated_.size(); }

 private:
  enum class Kind : std::uint8_t { kNode, kTask };
  struct Work {
    Kind kind;
    std::uint32_t id;
  };
  void Arm();
  void Batch();
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
  std::vector<std::uint8_t> node_queued_;
};

}  // namespace swarmplan::model
