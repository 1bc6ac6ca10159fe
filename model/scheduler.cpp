#include "model/scheduler.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <stdexcept>

#include "model/swarm.hpp"

namespace swarmplan::model {

void Scheduler::Init() {
  index_.resize(swarm_.services.size());
  for (Service& s : swarm_.services) {
    if (s.spec.mode == ServiceMode::kGlobal) index_[s.id].eligible.assign(swarm_.nodes.size(), 0);
    Rebuild(s.id);
  }
}

void Scheduler::Rebuild(ServiceId sid) {
  Index& ix = index_[sid];
  Service& s = swarm_.services[sid];
  if (s.spec.mode == ServiceMode::kGlobal) {
    s.eligible_nodes = 0;
    for (NodeId n = 0; n < swarm_.nodes.size(); ++n) {
      ix.eligible[n] = Eligible(sid, n);
      s.eligible_nodes += ix.eligible[n];
    }
    return;
  }
  ix.heap.clear();
  for (NodeId n = 0; n < swarm_.nodes.size(); ++n) {
    if (Eligible(sid, n)) ix.heap.append({Rank(sid, n), static_cast<std::uint32_t>(swarm_.rng().Next()), n});
  }
  ix.heap.Heapify();
}

std::uint64_t Scheduler::Rank(ServiceId sid, NodeId nid) {
  const Service& s = swarm_.services[sid];
  // swarmkit's nodeLess (manager/scheduler/scheduler.go): when either node
  // has failure_threshold or more recent failures of the service, the one
  // with fewer failures wins, whatever their task counts; below the
  // threshold failures do not count. Keying on the count at or above the
  // threshold (else 0) orders nodes the same way: a node that rejected 14
  // tasks loses to one that rejected 6, both being "failing".
  const int failures = RecentFailures(sid, nid);
  const std::uint64_t fkey = failures >= swarm_.timings().failure_threshold ? std::min(failures, 0xFFFF) : 0;
  return (fkey << 48) | (static_cast<std::uint64_t>(s.per_node[nid]) << 24) |
         std::min<std::uint64_t>(swarm_.nodes[nid].sched.active_tasks, 0xFFFFFF);
}

void Scheduler::Offer(ServiceId sid, NodeId nid) {
  Index& ix = index_[sid];
  Service& s = swarm_.services[sid];
  if (s.spec.mode == ServiceMode::kGlobal) {
    const bool want = Eligible(sid, nid);
    if (want != static_cast<bool>(ix.eligible[nid])) {
      if (want) ++s.eligible_nodes; else --s.eligible_nodes;
      ix.eligible[nid] = want;
    }
    return;
  }
  if (!Eligible(sid, nid)) return;
  // Stale entries pile up only through offers: compact now and then.
  if (ix.heap.size() > 3 * swarm_.nodes.size() + 64) {
    Rebuild(sid);
    return;
  }
  ix.heap.push({Rank(sid, nid), static_cast<std::uint32_t>(swarm_.rng().Next()), nid});
}

void Scheduler::OfferNode(NodeId nid) {
  for (ServiceId s = 0; s < index_.size(); ++s) Offer(s, nid);
}

NodeId Scheduler::Best(ServiceId sid) {
  BestNodes(sid, 1, best_);
  return best_.empty() ? kNoId : best_.front();
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
      n.sched.reserved_nano_cpus + s.spec.reserve_nano_cpus > n.nano_cpus) {
    return false;
  }
  if (n.memory_bytes > 0 && s.spec.reserve_memory_bytes > 0 &&
      n.sched.reserved_memory + s.spec.reserve_memory_bytes > n.memory_bytes) {
    return false;
  }
  return true;
}

int Scheduler::RecentFailures(ServiceId sid, NodeId nid) {
  Service& s = swarm_.services[sid];
  auto it = s.failures.find(nid);
  if (it == s.failures.end()) return 0;
  const sim::Time horizon = swarm_.Now() - swarm_.timings().failure_window;
  while (!it->second.empty() && it->second.front() <= horizon) it->second.pop_front();
  if (it->second.empty()) {
    s.failures.erase(it);
    return 0;
  }
  return static_cast<int>(it->second.size());
}

void Scheduler::CountChanged(const Task& t, int delta) {
  Node& n = swarm_.nodes[t.node];
  Service& s = swarm_.services[t.service];
  n.sched.active_tasks = static_cast<std::uint32_t>(static_cast<int>(n.sched.active_tasks) + delta);
  s.per_node[t.node] = static_cast<std::uint16_t>(static_cast<int>(s.per_node[t.node]) + delta);
  const ServiceSpec& spec = s.SpecOf(t.version);  // a task holds the reservations it was created with
  n.sched.reserved_nano_cpus += delta * spec.reserve_nano_cpus;
  n.sched.reserved_memory += delta * spec.reserve_memory_bytes;
  if (index_.empty() || delta > 0) return;  // a growing key is fixed lazily
  OfferNode(t.node);
  if (!unplaced_.empty()) {
    retry_unplaced_ = true;
    Arm();
  }
}

void Scheduler::NodeChanged(NodeId n) {
  if (index_.empty()) return;
  OfferNode(n);
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
  // A failure only makes the node worse (fixed lazily); when it leaves the
  // window the node may get better: offer it again then.
  swarm_.engine().After(swarm_.timings().failure_window + 1, [this, sid, nid] { Offer(sid, nid); });
}

void Scheduler::FailuresImported(ServiceId sid, NodeId nid, std::uint32_t count) {
  Service& s = swarm_.services[sid];
  s.failures[nid].assign(count, swarm_.Now());
  swarm_.engine().After(swarm_.timings().failure_window + 1, [this, sid, nid] { Offer(sid, nid); });
}

void Scheduler::Enqueue(TaskId t) {
  queue_.push_back(t);
  Arm();
}

void Scheduler::StoreCommitted() {
  const sim::Time now = swarm_.Now();
  if (now == last_commit_) return;  // one simulation event: one commit
  OpenWait(now);
  last_commit_ = now;
  if (swarm_.engine().IsPending(tick_)) Arm();
}

void Scheduler::OpenWait(sim::Time now) {
  // A wait with nothing to place ended unseen: `now` starts a new one.
  if (first_wait_ >= 0 && !swarm_.engine().IsPending(tick_) &&
      now >= last_commit_ + swarm_.timings().scheduler_batch_gap) {
    first_wait_ = -1;
  }
  if (first_wait_ < 0) first_wait_ = now;
}

void Scheduler::Arm() {
  const sim::Time now = swarm_.Now();
  const sim::Time gap = swarm_.timings().scheduler_batch_gap;
  OpenWait(now);
  const sim::Time from = std::max(last_commit_, first_wait_);
  const sim::Time at = std::min(from + gap, first_wait_ + swarm_.timings().scheduler_batch_max);
  if (swarm_.engine().IsPending(tick_)) {
    swarm_.engine().Cancel(tick_);
  }
  tick_ = swarm_.engine().Schedule(std::max(at, now), [this] { Tick(); });
}

void Scheduler::Tick() {
  first_wait_ = -1;
  if (!swarm_.HasLeader()) return;  // LeaderChanged() re-arms
  std::vector<TaskId>& work = work_;
  work.swap(queue_);
  queue_.clear();
  if (retry_unplaced_) {
    retry_unplaced_ = false;
    work.insert(work.end(), unplaced_.begin(), unplaced_.end());
    unplaced_.clear();
  }
  // Like swarmkit's scheduler, place the batch by task group (service), the
  // groups in random order (Go map order), each group's tasks together.
  // The scratch vectors are members, reused: once warm a tick allocates
  // nothing. groups_[0, count) are this tick's.
  std::vector<std::vector<TaskId>>& groups = groups_;
  std::vector<std::uint32_t>& group_of = group_of_;
  group_of.assign(index_.size(), UINT32_MAX);
  std::size_t count = 0;
  for (TaskId id : work) {
    const Task& t = swarm_.tasks[id];
    if (t.state != TaskState::kPending) continue;
    std::uint32_t& g = group_of[t.service];
    if (g == UINT32_MAX) {
      g = static_cast<std::uint32_t>(count++);
      if (groups.size() < count) groups.emplace_back();
      groups[g].clear();
    }
    groups[g].push_back(id);
  }
  for (std::size_t i = count; i > 1; --i) std::swap(groups[i - 1], groups[swarm_.rng().Below(i)]);
  for (std::size_t gi = 0; gi < count; ++gi) {
    const std::vector<TaskId>& g = groups[gi];
    const ServiceId sid = swarm_.tasks[g.front()].service;
    if (swarm_.services[sid].spec.mode == ServiceMode::kGlobal) {
      for (TaskId id : g) {
        Task& t = swarm_.tasks[id];
        if (t.state == TaskState::kPending && !Place(t)) unplaced_.push_back(id);
      }
      continue;
    }
    // A replicated group: an imported placement first, task by task; the
    // rest as one batch over the best nodes.
    std::vector<TaskId>& batch = batch_;
    batch.clear();
    for (TaskId id : g) {
      Task& t = swarm_.tasks[id];
      if (t.state != TaskState::kPending) continue;
      if (t.restart.pin != kNoId && Eligible(sid, t.restart.pin) && Fits(sid, t.restart.pin)) {
        Explain(t, t.restart.pin, true);
        swarm_.AssignNode(t, t.restart.pin);
        continue;
      }
      batch.push_back(id);
    }
    if (batch.size() == 1) {
      if (!Place(swarm_.tasks[batch[0]])) unplaced_.push_back(batch[0]);
    } else if (!batch.empty()) {
      PlaceBatch(sid, batch);
    }
  }
}

void Scheduler::BestNodes(ServiceId sid, std::size_t k, std::vector<NodeId>& out) {
  Index& ix = index_[sid];
  std::vector<Entry>& keep = keep_;  // to push back: the chosen ones, duplicates, those without room
  keep.clear();
  out.clear();
  // Duplicates of a node in the heap are skipped: by a scan for a few, by
  // a mark per node for a big batch (all clear between calls).
  std::vector<std::uint8_t>& mark = mark_;
  if (k > 32 && mark.size() < swarm_.nodes.size()) mark.resize(swarm_.nodes.size(), 0);
  const auto chosen = [&](NodeId n) {
    return k > 32 ? mark[n] != 0 : std::find(out.begin(), out.end(), n) != out.end();
  };
  const std::size_t bound = 4 * ix.heap.size() + 4 * swarm_.nodes.size() + 64 + k;
  for (std::size_t guard = 0; !ix.heap.empty() && out.size() < k; ++guard) {
    if (guard > bound) {
      throw std::logic_error("scheduler: node index did not settle");
    }
    const Entry top = ix.heap.top();
    ix.heap.pop();
    if (!Eligible(sid, top.node)) continue;  // dropped; offered again if it comes back
    const std::uint64_t now_rank = Rank(sid, top.node);
    if (top.rank != now_rank) {
      ix.heap.push({now_rank, static_cast<std::uint32_t>(swarm_.rng().Next()), top.node});
      continue;
    }
    keep.push_back(top);
    if (chosen(top.node) || !Fits(sid, top.node)) continue;
    out.push_back(top.node);
    if (k > 32) mark[top.node] = 1;
  }
  for (const Entry& e : keep) {
    ix.heap.push(e);
  }
  if (k > 32) {
    for (NodeId n : out) mark[n] = 0;
  }
}

void Scheduler::PlaceBatch(ServiceId sid, const std::vector<TaskId>& batch) {
  // swarmkit scheduleNTasksOnNodes over the best len(batch) nodes, sorted
  // by nodeLess (equals in random order): the first pass stays on a node
  // until the next one is strictly better than it has become; once it
  // reached the last node, one task per node round-robin; a node that no
  // longer passes the filters (max_replicas_per_node, reservations) is
  // skipped for the rest of the batch. The decisions are made on the
  // scheduler's own counts, then committed in one transaction in Go's map
  // order (applySchedulingDecisions): at random, which is the order the
  // allocator then sees the nodes' new tasks in.
  const Service& s = swarm_.services[sid];
  std::vector<NodeId>& nodes = batch_nodes_;
  BestNodes(sid, batch.size(), nodes);
  const std::size_t n = nodes.size();
  std::vector<std::uint32_t>& added = batch_added_;
  added.assign(n, 0);
  const auto rank = [&](std::size_t i) {
    const std::uint64_t a = added[i];
    return Rank(sid, nodes[i]) + (a << 24) + a;
  };
  const auto passes = [&](std::size_t i) {
    const NodeId node = nodes[i];
    const Node& nd = swarm_.nodes[node];
    if (!Eligible(sid, node)) return false;
    if (s.spec.max_replicas_per_node != 0 && s.per_node[node] + added[i] >= s.spec.max_replicas_per_node) return false;
    const std::int64_t more = static_cast<std::int64_t>(added[i]) + 1;
    if (nd.nano_cpus > 0 && s.spec.reserve_nano_cpus > 0 &&
        nd.sched.reserved_nano_cpus + more * s.spec.reserve_nano_cpus > nd.nano_cpus) {
      return false;
    }
    return !(nd.memory_bytes > 0 && s.spec.reserve_memory_bytes > 0 &&
             nd.sched.reserved_memory + more * s.spec.reserve_memory_bytes > nd.memory_bytes);
  };
  std::vector<std::pair<TaskId, NodeId>>& decided = batch_decided_;
  decided.clear();
  if (n > 0) {
    std::vector<std::uint8_t>& failed = batch_failed_;
    failed.assign(n, 0);
    std::size_t it = 0;
    while (decided.size() < batch.size()) {
      const std::size_t at = it % n;
      decided.emplace_back(batch[decided.size()], nodes[at]);
      ++added[at];
      if (decided.size() == batch.size()) break;
      if (it + 1 < n) {
        if (rank(it + 1) < rank(at)) ++it;
      } else {
        ++it;
      }
      const std::size_t from = it;
      bool none = false;
      while (failed[it % n] || !passes(it % n)) {
        failed[it % n] = 1;
        if (++it - from == n) {
          none = true;
          break;
        }
      }
      if (none) break;
    }
  }
  for (std::size_t i = decided.size(); i > 1; --i) std::swap(decided[i - 1], decided[swarm_.rng().Below(i)]);
  for (const auto& [id, node] : decided) {
    Task& t = swarm_.tasks[id];
    Explain(t, node, false);
    swarm_.AssignNode(t, node);
  }
  for (std::size_t next = decided.size(); next < batch.size(); ++next) {
    Task& t = swarm_.tasks[batch[next]];
    if (!Place(t)) unplaced_.push_back(batch[next]);  // says why it stays PENDING
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
    // An imported cluster's placement first, when that node still fits.
    if (t.restart.pin != kNoId && Eligible(sid, t.restart.pin) && Fits(sid, t.restart.pin)) {
      Explain(t, t.restart.pin, true);
      swarm_.AssignNode(t, t.restart.pin);
      return true;
    }
    const NodeId n = Best(sid);
    Explain(t, n, false);
    if (n != kNoId) {
      swarm_.AssignNode(t, n);
      return true;
    }
  }
  // Static text: the task keeps a view of it.
  const std::string_view why = index_[sid].heap.empty() && s.spec.mode == ServiceMode::kReplicated
                                   ? "no suitable node (no ready, active node meets the constraints)"
                                   : "no suitable node (insufficient resources or node unavailable)";
  if (t.err != why) {
    t.err = why;
    swarm_.trace().Add(swarm_.Now(), "task", [&] { return swarm_.TaskName(t) + " stays PENDING: \"" + std::string(why) + "\""; });
  }
  return false;
}

void Scheduler::Explain(const Task& t, NodeId chosen, bool pinned) {
  if (!swarm_.trace().explain()) return;
  const ServiceId sid = t.service;
  const Service& s = swarm_.services[sid];
  std::string text = swarm_.TaskName(t) + (chosen != kNoId ? " -> " + swarm_.nodes[chosen].name : " -> no node") + ": ";
  if (pinned) {
    swarm_.trace().Add(swarm_.Now(), "explain", [&] { return text + "where the imported cluster had its slot (the node still fits)"; });
    return;
  }
  struct Ranked {
    std::uint64_t rank;
    NodeId node;
  };
  std::vector<Ranked> ranked;
  std::map<std::string, std::vector<std::string>> filtered;  // reason -> nodes
  for (NodeId n = 0; n < swarm_.nodes.size(); ++n) {
    const Node& node = swarm_.nodes[n];
    std::string why;
    if (node.state != NodeState::kReady) {
      why = "not ready (" + std::string(ToString(node.state)) + ")";
    } else if (node.availability != Availability::kActive) {
      why = std::string(ToString(node.availability));
    } else if (!s.constraint_ok[n]) {
      for (const Constraint& c : s.spec.constraints) {
        if (!ConstraintsMatch({c}, node.name, node.role, node.labels)) {
          why = "constraint " + c.text;
          break;
        }
      }
      if (why.empty()) why = "constraints";
    } else if (s.spec.max_replicas_per_node != 0 && s.per_node[n] >= s.spec.max_replicas_per_node) {
      why = "max_replicas_per_node " + std::to_string(s.spec.max_replicas_per_node) + " reached";
    } else if (!Fits(sid, n)) {
      why = "no room for its reservations (cpu or memory)";
    }
    if (!why.empty()) {
      filtered[why].push_back(node.name);
    } else {
      ranked.push_back({Rank(sid, n), n});
    }
  }
  std::stable_sort(ranked.begin(), ranked.end(), [](const Ranked& a, const Ranked& b) { return a.rank < b.rank; });
  text += ranked.empty() ? "no candidate"
                         : "ranked by [failures if >= " + std::to_string(swarm_.timings().failure_threshold) +
                               ", tasks of " + s.spec.name + ", all tasks]:";
  for (std::size_t i = 0; i < ranked.size() && i < 8; ++i) {
    const NodeId n = ranked[i].node;
    text += (i ? "," : "") + std::string(" ") + swarm_.nodes[n].name + " " + std::to_string(ranked[i].rank >> 48) + "/" +
            std::to_string(s.per_node[n]) + "/" + std::to_string(swarm_.nodes[n].sched.active_tasks);
  }
  if (ranked.size() > 8) text += ", and " + std::to_string(ranked.size() - 8) + " more";
  if (ranked.size() > 1 && ranked[0].rank == ranked[1].rank) text += " (equals in random order, as Go's map)";
  for (const auto& [why, nodes] : filtered) {
    text += "; filtered out, " + why + ":";
    for (std::size_t i = 0; i < nodes.size() && i < 8; ++i) text += " " + nodes[i];
    if (nodes.size() > 8) text += " and " + std::to_string(nodes.size() - 8) + " more";
  }
  swarm_.trace().Add(swarm_.Now(), "explain", std::move(text));
}

void Scheduler::LeaderChanged() {
  if (queue_.empty() && unplaced_.empty()) return;
  retry_unplaced_ = true;
  Arm();
}

}  // namespace swarmplan::model
