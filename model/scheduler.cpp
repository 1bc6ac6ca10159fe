#include "model/scheduler.hpp"

#include <algorithm>

#include "model/swarm.hpp"

namespace swarmplan::model {

void Scheduler::Init() {
  const std::size_t n_nodes = swarm_.nodes.size();
  index_.resize(swarm_.services.size());
  for (Service& s : swarm_.services) {
    Index& ix = index_[s.id];
    ix.in.assign(n_nodes, 0);
    if (s.spec.mode == ServiceMode::kReplicated) ix.key.resize(n_nodes);
    for (NodeId n = 0; n < n_nodes; ++n) Rekey(s.id, n);
  }
}

bool Scheduler::Eligible(ServiceId sid, NodeId nid) const {
  const Service& s = swarm_.services[sid];
  const Node& n = swarm_.nodes[nid];
  if (!n.schedulable() || !s.constraint_ok[nid]) return false;
  if (s.spec.mode == ServiceMode::kReplicated && s.spec.max_replicas_per_node != 0 &&
      s.per_node[nid] >= s.spec.max_replicas_per_node) {
    return false;
  }
  return true;
}

bool Scheduler::Fits(ServiceId sid, NodeId nid) const {
  const Service& s = swarm_.services[sid];
  const Node& n = swarm_.nodes[nid];
  if (n.nano_cpus > 0 && s.spec.reserve_nano_cpus > 0 &&
      n.reserved_nano_cpus + s.spec.reserve_nano_cpus > n.nano_cpus) {
    return false;
  }
  if (n.memory_bytes > 0 && s.spec.reserve_memory_bytes > 0 &&
      n.reserved_memory + s.spec.reserve_memory_bytes > n.memory_bytes) {
    return false;
  }
  return true;
}

bool Scheduler::Failing(ServiceId sid, NodeId nid) {
  Service& s = swarm_.services[sid];
  auto it = s.failures.find(nid);
  if (it == s.failures.end()) return false;
  const sim::Time horizon = swarm_.Now() - swarm_.timings().failure_window;
  while (!it->second.empty() && it->second.front() <= horizon) it->second.pop_front();
  if (it->second.empty()) {
    s.failures.erase(it);
    return false;
  }
  return static_cast<int>(it->second.size()) >= swarm_.timings().failure_threshold;
}

void Scheduler::Rekey(ServiceId sid, NodeId nid) {
  Index& ix = index_[sid];
  Service& s = swarm_.services[sid];
  const bool want = Eligible(sid, nid);
  if (s.spec.mode == ServiceMode::kGlobal) {
    if (want != static_cast<bool>(ix.in[nid])) {
      if (want) ++s.eligible_nodes; else --s.eligible_nodes;
    }
    ix.in[nid] = want;
    return;
  }
  if (ix.in[nid]) ix.set.erase(ix.key[nid]);
  ix.in[nid] = want;
  if (!want) return;
  const Node& n = swarm_.nodes[nid];
  Key k;
  k.rank = (Failing(sid, nid) ? (std::uint64_t{1} << 63) : 0) |
           (static_cast<std::uint64_t>(s.per_node[nid]) << 32) | n.active_tasks;
  k.tie = static_cast<std::uint32_t>(swarm_.rng().Next());
  k.node = nid;
  ix.key[nid] = k;
  ix.set.insert(k);
}

void Scheduler::RekeyNode(NodeId nid) {
  for (ServiceId s = 0; s < index_.size(); ++s) Rekey(s, nid);
}

void Scheduler::CountChanged(const Task& t, int delta) {
  Node& n = swarm_.nodes[t.node];
  Service& s = swarm_.services[t.service];
  n.active_tasks = static_cast<std::uint32_t>(static_cast<int>(n.active_tasks) + delta);
  s.per_node[t.node] = static_cast<std::uint16_t>(static_cast<int>(s.per_node[t.node]) + delta);
  n.reserved_nano_cpus += delta * s.spec.reserve_nano_cpus;
  n.reserved_memory += delta * s.spec.reserve_memory_bytes;
  if (index_.empty()) return;
  RekeyNode(t.node);
  if (delta < 0 && !unplaced_.empty()) {
    retry_unplaced_ = true;
    Arm();
  }
}

void Scheduler::NodeChanged(NodeId n) {
  if (index_.empty()) return;
  RekeyNode(n);
  if (swarm_.nodes[n].schedulable() && !unplaced_.empty()) {
    retry_unplaced_ = true;
    Arm();
  }
}

void Scheduler::TaskFailed(const Task& t) {
  Service& s = swarm_.services[t.service];
  s.failures[t.node].push_back(swarm_.Now());
  const ServiceId sid = t.service;
  const NodeId nid = t.node;
  Rekey(sid, nid);
  // The failure stops counting after the window: re-rank the node then.
  swarm_.engine().After(swarm_.timings().failure_window + 1, [this, sid, nid] { Rekey(sid, nid); });
}

void Scheduler::Enqueue(TaskId t) {
  queue_.push_back(t);
  Arm();
}

void Scheduler::Arm() {
  const sim::Time now = swarm_.Now();
  if (first_wait_ < 0) first_wait_ = now;
  const sim::Time at = std::min(now + swarm_.timings().scheduler_batch_gap,
                                first_wait_ + swarm_.timings().scheduler_batch_max);
  if (swarm_.engine().IsPending(tick_)) {
    swarm_.engine().Cancel(tick_);
  }
  tick_ = swarm_.engine().Schedule(std::max(at, now), [this] { Tick(); });
}

void Scheduler::Tick() {
  first_wait_ = -1;
  if (!swarm_.HasLeader()) return;  // LeaderChanged() re-arms
  std::vector<TaskId> work;
  work.swap(queue_);
  if (retry_unplaced_) {
    retry_unplaced_ = false;
    work.insert(work.end(), unplaced_.begin(), unplaced_.end());
    unplaced_.clear();
  }
  for (TaskId id : work) {
    Task& t = swarm_.tasks[id];
    if (t.state != TaskState::kPending) continue;
    if (!Place(t)) unplaced_.push_back(id);
  }
}

bool Scheduler::Place(Task& t) {
  const ServiceId sid = t.service;
  const Service& s = swarm_.services[sid];
  if (s.spec.mode == ServiceMode::kGlobal) {
    if (Eligible(sid, t.node) && Fits(sid, t.node)) {
      swarm_.AssignNode(t, t.node);
      return true;
    }
  } else {
    for (const Key& k : index_[sid].set) {
      if (Fits(sid, k.node)) {
        swarm_.AssignNode(t, k.node);
        return true;
      }
    }
  }
  const std::string why = index_[sid].set.empty() && s.spec.mode == ServiceMode::kReplicated
                              ? "no suitable node (no ready, active node meets the constraints)"
                              : "no suitable node (insufficient resources or node unavailable)";
  if (t.err != why) {
    t.err = why;
    swarm_.trace().Add(swarm_.Now(), "task", swarm_.TaskName(t) + " stays PENDING: \"" + why + "\"");
  }
  return false;
}

void Scheduler::LeaderChanged() {
  if (queue_.empty() && unplaced_.empty()) return;
  retry_unplaced_ = true;
  Arm();
}

}  // namespace swarmplan::model
