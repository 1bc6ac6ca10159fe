#include "model/allocator.hpp"

#include <algorithm>

#include "model/swarm.hpp"

namespace swarmplan::model {

namespace {
template <typename T>
void Shuffle(std::vector<T>& v, sim::Rng& rng) {
  for (std::size_t i = v.size(); i > 1; --i) {
    std::swap(v[i - 1], v[rng.Below(i)]);
  }
}
}  // namespace

int Allocator::AllocateAll(const std::vector<NetworkId>& nets, std::span<std::uint32_t> out) {
  std::vector<std::uint8_t>& mine = mine_;  // taken by this call (a VIP may hold some already)
  mine.assign(nets.size(), 0);
  for (std::size_t i = 0; i < nets.size(); ++i) {
    if (out[i] != kNoAddr) continue;
    out[i] = swarm_.networks[nets[i]].pool.Allocate();
    mine[i] = out[i] != kNoAddr;
    if (out[i] == kNoAddr) {
      for (std::size_t k = 0; k < i; ++k) {
        if (!mine[k]) continue;
        Free(nets[k], out[k]);
        out[k] = kNoAddr;
      }
      ++swarm_.metrics.allocation_failures;
      if (swarm_.metrics.first_shortage_time < 0) swarm_.metrics.first_shortage_time = swarm_.Now();
      return static_cast<int>(i);
    }
  }
  return -1;
}

bool Allocator::AllocateService(Service& s) {
  if (s.vips_done) return true;
  if (s.spec.endpoint_mode == EndpointMode::kVip) {
    const int failed = AllocateAll(s.nets, s.vips);
    if (failed >= 0) {
      swarm_.trace().Add(swarm_.Now(), "address", [&] { return "service " + s.spec.name + ": no VIP left on " + swarm_.networks[s.nets[failed]].name +
                             "; its tasks wait (\"has pending allocations\")"; });
      return false;
    }
    for (std::size_t i = 0; i < s.nets.size(); ++i) {
      const Network& net = swarm_.networks[s.nets[i]];
      swarm_.trace().Add(swarm_.Now(), "address", [&] { return net.pool.Address(s.vips[i]) + " taken on " + net.name + " (VIP of " + s.spec.name + ")"; });
    }
  }
  s.vips_done = true;
  return true;
}

void Allocator::ReleaseService(Service& s) {
  if (!s.vips_done) return;
  for (std::size_t i = 0; i < s.nets.size() && i < s.vips.size(); ++i) {
    if (s.vips[i] == kNoAddr) continue;
    const Network& net = swarm_.networks[s.nets[i]];
    swarm_.trace().Add(swarm_.Now(), "address", [&] { return net.pool.Address(s.vips[i]) + " freed on " + net.name + " (VIP of removed " + s.spec.name + ")"; });
    Free(s.nets[i], s.vips[i]);
    s.vips[i] = kNoAddr;
  }
  s.vips_done = false;
}

void Allocator::NetworksChanged(Service& s, const std::vector<NetworkId>& to) {
  std::vector<std::uint32_t> vips(to.size(), kNoAddr);
  for (std::size_t i = 0; i < s.nets.size(); ++i) {
    const auto at = std::find(to.begin(), to.end(), s.nets[i]);
    if (at != to.end()) {
      vips[static_cast<std::size_t>(at - to.begin())] = i < s.vips.size() ? s.vips[i] : kNoAddr;
    } else if (i < s.vips.size() && s.vips[i] != kNoAddr) {
      const Network& net = swarm_.networks[s.nets[i]];
      swarm_.trace().Add(swarm_.Now(), "address", [&] { return net.pool.Address(s.vips[i]) + " freed on " + net.name + " (VIP of " + s.spec.name +
                             ", which left the network)"; });
      Free(s.nets[i], s.vips[i]);
      Arm();
    }
  }
  s.vips = std::move(vips);
  // A VIP on an added network comes with the first task that needs it.
  if (s.spec.endpoint_mode == EndpointMode::kVip && s.vips_done) {
    s.vips_done = std::find(s.vips.begin(), s.vips.end(), kNoAddr) == s.vips.end();
  }
}

void Allocator::Log(Kind kind, std::uint32_t id, bool boundary) {
  const std::uint64_t event = swarm_.engine().fired();
  const sim::Time now = swarm_.Now();
  if (!queue_.empty() && queue_.back().kind != Kind::kCommit &&
      (boundary || event != log_event_ || now != log_time_)) {
    queue_.push_back({Kind::kCommit, 0});
  }
  log_event_ = event;
  log_time_ = now;
  // The same node twice in a row in one transaction: once is enough.
  if (kind == Kind::kNode && !queue_.empty() && queue_.back().kind == Kind::kNode && queue_.back().id == id) return;
  queue_.push_back({kind, id});
  Arm();
}

void Allocator::TaskCreated(TaskId t) {
  if (defer_depth_ > 0) {
    deferred_.push_back({Kind::kTask, t});
    return;
  }
  // The tasks an orchestrator creates are its own transaction, after the
  // updates it reacted to.
  const bool boundary = !queue_.empty() && queue_.back().kind != Kind::kTask;
  Log(Kind::kTask, t, boundary);
}

void Allocator::NodeEvent(NodeId n, bool own_transaction) {
  if (own_transaction && defer_depth_ > 0) {
    deferred_.push_back({Kind::kNode, n});
    return;
  }
  Log(Kind::kNode, n, own_transaction);
}

void Allocator::EndReactions() {
  if (--defer_depth_ > 0) return;
  std::vector<Work> reactions;
  reactions.swap(deferred_);
  for (const Work& w : reactions) {
    if (w.kind == Kind::kTask) {
      TaskCreated(w.id);
    } else {
      NodeEvent(w.id, /*own_transaction=*/true);
    }
  }
  reactions.clear();
  deferred_.swap(reactions);  // keeps the storage
}

void Allocator::TaskTerminal(Task& t) {
  if (!t.allocated && t.node == kNoId) return;
  Log(Kind::kDead, t.id);
}

void Allocator::Arm() {
  if (armed_) return;
  armed_ = true;
  swarm_.engine().After(swarm_.Draw(swarm_.timings().allocator_latency), [this] { Batch(); });
}

void Allocator::Batch() {
  armed_ = false;
  if (!swarm_.HasLeader()) return;  // LeaderChanged() re-arms
  std::vector<Work>& work = work_;
  work.swap(queue_);
  queue_.clear();
  for (const Work& w : work) {
    switch (w.kind) {
      case Kind::kNode: ReallocateNode(w.id); break;
      case Kind::kTask: pending_.push_back(w.id); break;
      case Kind::kDead: {
        Task& t = swarm_.tasks[w.id];
        Release(t);
        if (t.node != kNoId) ReallocateNode(t.node);
        break;
      }
      case Kind::kCommit: Commit(); break;
    }
  }
  Commit();
  swarm_.metrics.max_unallocated = std::max<std::uint64_t>(swarm_.metrics.max_unallocated, unallocated_.size());
  if (!unallocated_.empty() && !swarm_.engine().IsPending(retry_timer_)) {
    retry_timer_ = swarm_.engine().After(swarm_.timings().unallocated_retry, [this] {
      something_freed_ = true;
      Arm();
    });
  }
}

void Allocator::Commit() {
  // The transaction's new tasks, then (after something was freed) the ones
  // that failed before; both in Go map order, i.e. random.
  Shuffle(pending_, swarm_.rng());
  for (TaskId id : pending_) {
    Task& t = swarm_.tasks[id];
    if (t.state != TaskState::kNew) continue;
    if (!TryAllocate(t)) unallocated_.push_back(id);
  }
  pending_.clear();
  if (something_freed_ && !unallocated_.empty()) {
    Shuffle(unallocated_, swarm_.rng());
    std::vector<TaskId>& still = still_;
    still.clear();
    for (TaskId id : unallocated_) {
      Task& t = swarm_.tasks[id];
      if (t.state != TaskState::kNew) continue;
      if (!TryAllocate(t)) still.push_back(id);
    }
    unallocated_.swap(still);
  }
  something_freed_ = false;
}

bool Allocator::TryAllocate(Task& t) {
  Service& s = swarm_.services[t.service];
  if (!AllocateService(s)) return false;
  const std::vector<NetworkId>& nets = s.NetsOf(t.version);
  // The slot's live task's addresses, imported: its first task takes them
  // back (Swarm::WarmStart).
  const std::size_t slot = s.spec.mode == ServiceMode::kReplicated ? t.slot - 1 : t.slot;
  if (!s.warm.empty() && t.version == 0 && slot < s.warm.size()) {
    std::vector<std::uint32_t>& w = s.warm[slot];
    for (std::size_t i = 0; i < w.size() && i < nets.size(); ++i) {
      if (w[i] != kNoAddr && t.addrs[i] == kNoAddr) t.addrs[i] = w[i];
    }
    w.clear();
  }
  const int failed = AllocateAll(nets, t.addrs.span());
  if (failed >= 0) {
    if (swarm_.trace().enabled()) {
      swarm_.trace().Add(swarm_.Now(), "address", [&] { return "no address left on " + swarm_.networks[nets[failed]].name + " for " + swarm_.TaskName(t) +
                             ": it stays NEW"; });
    }
    return false;
  }
  t.allocated = true;
  swarm_.Allocated(t);  // a global task's networks now count for its node
  if (swarm_.trace().enabled()) {
    std::string text;
    for (std::size_t i = 0; i < nets.size(); ++i) {
      const Network& net = swarm_.networks[nets[i]];
      text += (i ? ", " : "") + net.pool.Address(t.addrs[i]) + " on " + net.name;
    }
    swarm_.trace().Add(swarm_.Now(), "address", [&] { return text + " taken by " + swarm_.TaskName(t); });
  }
  swarm_.SetState(t, TaskState::kPending);
  swarm_.scheduler().Enqueue(t.id);
  return true;
}

void Allocator::Release(Task& t) {
  if (!t.allocated) return;
  const std::vector<NetworkId>& nets = swarm_.services[t.service].NetsOf(t.version);
  for (std::size_t i = 0; i < nets.size(); ++i) {
    if (t.addrs[i] == kNoAddr) continue;
    if (swarm_.trace().enabled()) {
      const Network& net = swarm_.networks[nets[i]];
      swarm_.trace().Add(swarm_.Now(), "address", [&] { return net.pool.Address(t.addrs[i]) + " freed on " + net.name + " by " + swarm_.TaskName(t); });
    }
    Free(nets[i], t.addrs[i]);
    t.addrs[i] = kNoAddr;
  }
  t.allocated = false;
}

void Allocator::Free(std::uint32_t net, std::uint32_t offset) {
  swarm_.networks[net].pool.Release(offset);
  something_freed_ = true;
}

// The rule ReallocateNode follows for one network k of node `n`: what a
// pass does to the node's attachment there.
namespace {
enum class LbChange { kNone, kAllocate, kFree };
LbChange Wanted(const Node& n, const Network& net, NetworkId k, LbPolicy policy) {
  bool need;
  if (!n.member) {
    need = false;  // not in the swarm (not joined, or removed): holds nothing
  } else if (net.ingress) {
    need = true;  // every node always holds one ingress address
  } else if (policy == LbPolicy::kNone) {
    return LbChange::kNone;  // the leader knows nothing of LB addresses on user overlays
  } else if (policy == LbPolicy::kAllNodes) {
    need = true;
  } else {
    need = n.net_tasks[k] > 0 || !n.held[k].empty() || n.lb_warm[k];
  }
  const bool has = n.attach[k] != kNoAddr;
  if (need && !has) return LbChange::kAllocate;
  // Under the older rules an address no task needs stays (given at create
  // or join); a node out of the swarm gives back what it holds.
  if (!need && has && (policy == LbPolicy::kOnDemand || !n.member)) return LbChange::kFree;
  return LbChange::kNone;
}
}  // namespace

bool Allocator::Settled(NodeId id) const {
  const Node& n = swarm_.nodes[id];
  for (NetworkId k = 0; k < swarm_.networks.size(); ++k) {
    if (Wanted(n, swarm_.networks[k], k, swarm_.lb_policy()) != LbChange::kNone) return false;
  }
  return true;
}

void Allocator::ReallocateNode(NodeId id) {
  Node& n = swarm_.nodes[id];
  const LbPolicy policy = swarm_.lb_policy();
  // Nothing it reads changed since a pass found the node as it should be:
  // this pass would change nothing either. Most calls end here (a node's
  // task changed state and the node keeps the networks it holds).
  const auto settled = static_cast<std::uint8_t>(1 + static_cast<int>(policy));
  if (n.lb_settled == settled) return;
  bool added = false, changed = false, short_of = false;
  for (NetworkId k = 0; k < swarm_.networks.size(); ++k) {
    Network& net = swarm_.networks[k];
    const LbChange change = Wanted(n, net, k, policy);
    if (change == LbChange::kAllocate) {
      const std::uint32_t off = net.pool.Allocate();
      if (off == kNoAddr) {
        short_of = true;  // tried again at the node's next event
        ++swarm_.metrics.attachment_failures;
        if (swarm_.metrics.first_shortage_time < 0) swarm_.metrics.first_shortage_time = swarm_.Now();
        swarm_.trace().Add(swarm_.Now(), "address", [&] { return "no address left on " + net.name + " for the load balancer of " + n.name; });
        continue;
      }
      n.attach[k] = off;
      added = changed = true;
      swarm_.trace().Add(swarm_.Now(), "address", [&] { return net.pool.Address(off) + " taken on " + net.name + " (load balancer of " + n.name + ")"; });
    } else if (change == LbChange::kFree) {
      swarm_.trace().Add(swarm_.Now(), "address", [&] { return net.pool.Address(n.attach[k]) + " freed on " + net.name + " (load balancer of " +
                             n.name + ", no task needs it)"; });
      Free(k, n.attach[k]);
      n.attach[k] = kNoAddr;
      changed = true;
    }
  }
  n.lb_settled = short_of ? 0 : settled;
  if (changed) swarm_.scheduler().StoreCommitted();  // the node's attachments committed
  if (added) swarm_.agent().AttachmentAdded(id);
}

void Allocator::LeaderChanged() {
  for (Network& net : swarm_.networks) net.pool.ResetCursor();
  for (const Node& n : swarm_.nodes) NodeEvent(n.id, /*own_transaction=*/true);
  something_freed_ = true;
  Arm();
}

}  // namespace swarmplan::model
