#include "model/dispatcher.hpp"

#include <algorithm>
#include <cassert>

#include "model/swarm.hpp"

namespace swarmplan::model {

Dispatcher::Dispatcher(Swarm& swarm) : swarm_(swarm) {
  next_tick_ = swarm_.rng().Duration(1, swarm_.timings().dispatcher_batch);
}

void Dispatcher::Assigned(const Task& t) { Modified(t.node, t.id); }

void Dispatcher::Modified(NodeId nid, TaskId id) {
  // dispatcher.go Assignments: every change restarts the quiet wait; the
  // message goes when it ends, or at once at the 100th change.
  constexpr std::uint32_t kModificationLimit = 100;
  Node::DispatchStream& d = swarm_.nodes[nid].dispatch;
  d.pending.push_back(id);
  swarm_.engine().Cancel(d.quiet_timer);
  if (++d.modifications >= kModificationLimit) {
    SendStream(nid);
    return;
  }
  d.quiet_timer = swarm_.engine().After(swarm_.timings().assignment_quiet, [this, nid] { SendStream(nid); });
}

void Dispatcher::SendStream(NodeId nid) {
  Node::DispatchStream& d = swarm_.nodes[nid].dispatch;
  d.modifications = 0;
  const bool on_way = !d.in_flight.empty();
  d.in_flight.insert(d.in_flight.end(), d.pending.begin(), d.pending.end());
  d.pending.clear();
  if (on_way) return;  // arrives with the message before it
  swarm_.engine().After(swarm_.Draw(swarm_.timings().dispatch_latency), [this, nid] {
    std::vector<TaskId>& in_flight = swarm_.nodes[nid].dispatch.in_flight;
    message_.assign(in_flight.begin(), in_flight.end());
    in_flight.clear();
    swarm_.agent().MessageArrived(nid, message_);
  });
}

void Dispatcher::Report(Task& t, TaskState s, std::string_view err) {
  assert(IsTerminal(s));
  if (t.report.pending || IsTerminal(t.state)) return;
  t.report.pending = true;
  t.report.state = s;
  t.report.err = err;
  t.report.at = swarm_.Now();
  Send(t, /*progress=*/false);
}

void Dispatcher::ReportProgress(Task& t) {
  if (t.report.progress_queued || t.report.pending) return;  // one entry a task in a batch
  t.report.progress_queued = true;
  Send(t, /*progress=*/true);
}

void Dispatcher::Send(const Task& t, bool progress) {
  // The worker's reporter sends its status updates one call after another
  // (swarmkit agent/reporter.go): a burst of reports from one node reaches
  // the dispatcher spread out, and may fall in two of its batches.
  sim::Time at = swarm_.Now();
  if (t.node != kNoId) {
    Node& n = swarm_.nodes[t.node];
    if (n.fault.partitioned && n.engine_running) {
      // Cut off: the reporter retries until its session is back.
      n.agent.unsent.emplace_back(t.id, progress);
      return;
    }
    at = std::max(at, n.agent.reporter_free) + swarm_.DrawOn(t.node, swarm_.timings().report_send);
    n.agent.reporter_free = at;
  }
  const TaskId id = t.id;
  swarm_.engine().Schedule(at, [this, id, progress] {
    if (reports_.empty()) swarm_.engine().Schedule(NextTick(), [this] { Flush(); });
    reports_.push_back({id, progress});
  });
}

void Dispatcher::SessionBack(NodeId nid) {
  std::vector<std::pair<TaskId, bool>> unsent;
  unsent.swap(swarm_.nodes[nid].agent.unsent);
  for (const auto& [id, progress] : unsent) {
    Task& t = swarm_.tasks[id];
    if (IsTerminal(t.state) || t.node != nid) continue;
    if (progress) {
      t.report.progress_queued = false;
      ReportProgress(t);
    } else {
      Send(t, false);
    }
  }
}

sim::Time Dispatcher::NextTick() {
  const sim::Time b = swarm_.timings().dispatcher_batch;
  const Range& late = swarm_.timings().dispatcher_tick_late;
  const sim::Time now = swarm_.Now();
  // Idle for long: the ticks in between drift by their mean lateness.
  const sim::Time mean = b + (late.lo + late.hi) / 2;
  if (now - next_tick_ > 64 * mean) next_tick_ += (now - next_tick_) / mean * mean - 8 * mean;
  while (next_tick_ <= now) next_tick_ += b + swarm_.Draw(late);
  return next_tick_;
}

void Dispatcher::Flush() {
  std::vector<PendingReport>& batch = batch_;
  batch.swap(reports_);
  reports_.clear();
  // One transaction (dispatcher.go processUpdates), its updates in Go map
  // order: random. The allocator handles each update as it comes
  // (allocator/network.go doTaskAlloc): a terminal task's addresses are
  // freed at its update, and the node of a task that progressed gets the
  // load-balancer addresses it lacks right then, from what is free at that
  // point of the batch. The components that react otherwise (allocator's
  // commit, scheduler, orchestrator) run in later events, so they see
  // every task of the batch updated.
  for (std::size_t i = batch.size(); i > 1; --i) std::swap(batch[i - 1], batch[swarm_.rng().Below(i)]);
  Allocator& allocator = swarm_.allocator();
  allocator.BeginReactions();
  for (const PendingReport& r : batch) {
    Task& t = swarm_.tasks[r.id];
    if (r.progress) {
      t.report.progress_queued = false;
      if (!IsTerminal(t.state) && !t.report.pending && t.on_node) allocator.NodeEvent(t.node);
      continue;
    }
    t.report.pending = false;
    if (!IsTerminal(t.state)) swarm_.SetState(t, t.report.state, t.report.err);
  }
  allocator.EndReactions();
  batch.clear();
}

}  // namespace swarmplan::model
