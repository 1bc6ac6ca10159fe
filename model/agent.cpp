#include "model/agent.hpp"

#include <algorithm>

#include "model/swarm.hpp"

namespace swarmplan::model {

namespace {
// Ended, as far as the worker knows (its report may not be committed yet).
bool Gone(const Task& t) { return IsTerminal(t.state) || t.report.pending; }
}  // namespace

void Agent::MessageArrived(NodeId nid, std::span<const TaskId> message) {
  Node& node = swarm_.nodes[nid];
  if (node.fault.partitioned) {
    // Lost on the way; the session that comes back gets the node's whole
    // assignment set again (dispatcher.go Assignments starts with it).
    node.agent.missed.insert(node.agent.missed.end(), message.begin(), message.end());
    return;
  }
  // The worker hands each task of the message to its task manager, one
  // after another: a new task starts preparing, a changed one sees its new
  // desired state.
  for (TaskId id : message) {
    const Task& t = swarm_.tasks[id];
    if (t.node != nid) continue;
    if (!t.agent.delivered) {
      const std::uint32_t epoch = swarm_.nodes[nid].epoch;
      swarm_.engine().After(swarm_.DrawOn(nid, swarm_.timings().worker_accept), [this, id, epoch] { Deliver(id, epoch); }, &t);
    } else {
      swarm_.engine().After(swarm_.DrawOn(nid, swarm_.timings().worker_update), [this, id] { DesiredChanged(swarm_.tasks[id]); }, &t);
    }
  }
}

void Agent::Deliver(TaskId id, std::uint32_t /*epoch*/) {
  Task& t = swarm_.tasks[id];
  if (Gone(t) || t.agent.delivered) return;
  Node& n = swarm_.nodes[t.node];
  if (!n.engine_running || n.state == NodeState::kDown) {
    n.agent.undelivered.push_back(id);  // sent when the node connects again
    return;
  }
  t.agent.delivered = true;
  t.agent.seen_desired = t.desired;
  t.agent.epoch = n.epoch;
  if (t.desired > TaskState::kRunning) {
    swarm_.dispatcher().Report(t, TaskState::kShutdown);
    return;
  }
  // Each status change is its own write to the node's task database, one
  // at a time (swarmkit agent/worker.go: the task manager's reporter runs a
  // bolt Update per status, and the task goes on once it returns). The
  // status is reported as its write begins; the next one is made when it
  // ends. So ACCEPTED, then PREPARING once that is written, then the wait
  // begins once PREPARING is written: a node's waits spread with the
  // number of its tasks and with its disk (docs/swarm-semantics.md section 3).
  swarm_.SetState(t, TaskState::kAccepted);
  const std::uint32_t epoch = n.epoch;
  t.agent.op = swarm_.engine().Schedule(DbWrite(t.node), [this, id, epoch] {
    Task& a = swarm_.tasks[id];
    if (Gone(a) || swarm_.nodes[a.node].epoch != epoch || a.state != TaskState::kAccepted) return;
    swarm_.SetState(a, TaskState::kPreparing);
    a.agent.op = swarm_.engine().Schedule(DbWrite(a.node), [this, id, epoch] {
      Task& p = swarm_.tasks[id];
      if (Gone(p) || swarm_.nodes[p.node].epoch != epoch || p.state != TaskState::kPreparing) return;
      Prepare(p);
    }, &a);
  }, &t);
}

sim::Time Agent::DbWrite(NodeId nid) {
  Node& n = swarm_.nodes[nid];
  const Range& w = swarm_.timings().task_db_write;
  // Mostly fast, now and then a slow fsync.
  const sim::Time took = swarm_.Slowed(nid, swarm_.rng().Skewed(w.lo, w.hi));
  n.agent.db_free = std::max(n.agent.db_free, swarm_.Now()) + took;
  return n.agent.db_free;
}

bool Agent::HasAttachments(const Task& t) const {
  const Node& n = swarm_.nodes[t.node];
  for (NetworkId k : swarm_.services[t.service].NetsOf(t.version)) {
    if (n.attach[k] == kNoAddr) return false;
  }
  return true;
}

void Agent::Prepare(Task& t) {
  Node& n = swarm_.nodes[t.node];
  const Service& s = swarm_.services[t.service];
  const auto& nets = s.NetsOf(t.version);
  const bool overlay = std::any_of(nets.begin(), nets.end(), [](NetworkId k) { return k != 0; });
  if (overlay && !n.swarm_active) {
    // libnetwork controller.go NewNetwork: the restarted engine's cluster
    // agent is not up yet.
    Reject(t, kErrSwarmNotActive);
    return;
  }
  const TaskId id = t.id;
  const std::uint32_t epoch = n.epoch;
  if (n.engine.worker_waits_for_attachments() && !HasAttachments(t)) {
    // moby controller.go waitNodeAttachments: poll, give up after the wait.
    t.agent.waiting_attach = true;
    t.agent.wait_start = swarm_.Now();
    n.agent.waiting.push_back(id);
    t.agent.wait_timeout = swarm_.engine().After(swarm_.timings().attachment_wait, [this, id, epoch] {
      Task& w = swarm_.tasks[id];
      if (w.agent.waiting_attach && swarm_.nodes[w.node].epoch == epoch) Reject(w, kErrMissingAttachments);
    }, &t);
    swarm_.trace().Add(swarm_.Now(), "task", [&] { return swarm_.TaskName(t) + " waits in PREPARING for " + n.name +
                                                 "'s network attachments"; });
    return;
  }
  t.agent.op = swarm_.engine().After(swarm_.DrawOn(t.node, swarm_.timings().container_create), [this, id, epoch] { Created(id, epoch); }, &t);
}

void Agent::AttachmentAdded(NodeId nid) {
  Node& n = swarm_.nodes[nid];
  if (!n.engine_running) return;
  const sim::Time every = swarm_.timings().attachment_poll, wait = swarm_.timings().attachment_wait;
  for (TaskId id : n.agent.waiting) {
    const Task& t = swarm_.tasks[id];
    if (!HasAttachments(t)) continue;
    const std::uint32_t epoch = n.epoch;
    // The wait looks every attachment_poll from its start (moby adapter.go
    // waitNodeAttachments: a ticker beside the 30 s context), so it sees the
    // attachment at its next tick. The last tick falls on the deadline
    // itself: both are ready at once and Go's select takes either, so the
    // task goes on or is rejected with even chances.
    const sim::Time since = swarm_.Now() - t.agent.wait_start;
    const sim::Time tick = t.agent.wait_start + (every > 0 ? (since / every + 1) * every : 0);
    const sim::Time deadline = t.agent.wait_start + wait;
    if (tick > deadline) continue;
    if (tick == deadline && !swarm_.rng().Chance(1, 2)) continue;
    // At the deadline, the tick that won is taken just before the timeout.
    swarm_.engine().Schedule(tick == deadline ? deadline - 1 : tick, [this, id, epoch] { PollAttachments(id, epoch); });
  }
}

void Agent::PollAttachments(TaskId id, std::uint32_t epoch) {
  Task& t = swarm_.tasks[id];
  if (!t.agent.waiting_attach || swarm_.nodes[t.node].epoch != epoch || !HasAttachments(t)) return;
  StopWaiting(t);
  t.agent.op = swarm_.engine().After(swarm_.DrawOn(t.node, swarm_.timings().container_create), [this, id, epoch] { Created(id, epoch); }, &t);
}

void Agent::StopWaiting(Task& t) {
  if (!t.agent.waiting_attach) return;
  t.agent.waiting_attach = false;
  auto& w = swarm_.nodes[t.node].agent.waiting;
  w.erase(std::find(w.begin(), w.end(), t.id));
  swarm_.engine().Cancel(t.agent.wait_timeout);
}

void Agent::Reject(Task& t, std::string_view err) {
  StopWaiting(t);
  swarm_.dispatcher().Report(t, TaskState::kRejected, err);
}

void Agent::Created(TaskId id, std::uint32_t epoch) {
  Task& t = swarm_.tasks[id];
  if (Gone(t) || swarm_.nodes[t.node].epoch != epoch) return;
  swarm_.SetState(t, TaskState::kReady);
  if (t.desired == TaskState::kRunning) {
    Start(t);
  } else if (t.desired > TaskState::kRunning) {
    Stop(t);
  }
}

void Agent::Start(Task& t) {
  swarm_.SetState(t, TaskState::kStarting);
  const TaskId id = t.id;
  const std::uint32_t epoch = swarm_.nodes[t.node].epoch;
  t.agent.op = swarm_.engine().After(swarm_.Slowed(t.node, swarm_.Draw(swarm_.timings().container_start) + swarm_.start_run_extra()), [this, id, epoch] {
    Task& s = swarm_.tasks[id];
    if (Gone(s) || swarm_.nodes[s.node].epoch != epoch) return;
    swarm_.SetState(s, TaskState::kRunning);
    if (s.desired > TaskState::kRunning) Stop(s);
  }, &t);
}

sim::Time Agent::StopDuration(const Task& t) {
  // The task's own spec: its grace period is the one it was created with.
  const ServiceSpec& spec = swarm_.services[t.service].SpecOf(t.version);
  if (t.state < TaskState::kStarting) return swarm_.Slowed(t.node, swarm_.rng().Duration(sim::Ms(10), sim::Ms(100)));  // no process
  if (spec.exits_on_sigterm) return std::min(swarm_.DrawOn(t.node, swarm_.timings().container_stop), spec.stop_grace_period);
  // SIGTERM ignored: killed after the grace period, then torn down.
  return spec.stop_grace_period + swarm_.DrawOn(t.node, swarm_.timings().container_kill);
}

void Agent::Stop(Task& t, bool retry_wait) {
  swarm_.engine().Cancel(t.agent.op);
  // A running task's cancelled wait is retried a second later (agent/task.go)
  // before the shutdown begins; the shutdown takes it out of the service's
  // load balancing and waits for gossip first (controller.go Shutdown), if
  // it is on a swarm network and was started; then its container stops.
  const Service& s = swarm_.services[t.service];
  const bool started = t.state >= TaskState::kStarting;
  const bool bound = !s.NetsOf(t.version).empty() && started;
  const sim::Time exit = swarm_.Now() + (retry_wait ? swarm_.timings().task_retry_backoff : 0) +
                         (bound ? swarm_.timings().service_unbind : 0) + StopDuration(t);
  const TaskId id = t.id;
  const std::uint32_t epoch = swarm_.nodes[t.node].epoch;
  t.agent.op = swarm_.engine().Schedule(exit, [this, id, epoch, started] {
    Task& x = swarm_.tasks[id];
    if (Gone(x) || swarm_.nodes[x.node].epoch != epoch) return;
    if (!started) {
      swarm_.dispatcher().Report(x, TaskState::kShutdown);  // no container to tear down
      return;
    }
    // The process is gone: the daemon handles its exit after the exits
    // before it on the node, then cleans the container up, then its
    // sandbox's teardown turns begin (docs/timings.md).
    x.agent.op = swarm_.engine().Schedule(Exited(x.node) + swarm_.DrawOn(x.node, swarm_.timings().container_cleanup),
                                          [this, id, epoch] {
                                            Task& y = swarm_.tasks[id];
                                            if (Gone(y) || swarm_.nodes[y.node].epoch != epoch) return;
                                            AskTeardown(y.node, id, 0);
                                          }, &x);
  }, &t);
}

sim::Time Agent::Exited(NodeId nid) {
  Node& n = swarm_.nodes[nid];
  n.agent.exit_free = std::max(n.agent.exit_free, swarm_.Now()) + swarm_.DrawOn(nid, swarm_.timings().container_exit);
  return n.agent.exit_free;
}

void Agent::AskTeardown(NodeId nid, TaskId id, std::uint8_t turn) {
  Node& n = swarm_.nodes[nid];
  n.agent.teardown_q.emplace_back(id, turn);
  if (!swarm_.engine().IsPending(n.agent.teardown_turn)) NextTeardownTurn(nid);
}

void Agent::NextTeardownTurn(NodeId nid) {
  Node& n = swarm_.nodes[nid];
  while (n.agent.teardown_head < n.agent.teardown_q.size()) {
    const auto [id, turn] = n.agent.teardown_q[n.agent.teardown_head++];
    if (Gone(swarm_.tasks[id])) continue;
    const Timings& tm = swarm_.timings();
    const Range& took = turn == 0 ? tm.teardown_revoke : turn == 1 ? tm.teardown_gateway : tm.teardown_overlay;
    n.agent.teardown_turn = swarm_.engine().After(swarm_.DrawOn(nid, took), [this, nid, id, turn] {
      Task& x = swarm_.tasks[id];
      if (!Gone(x)) {
        const Service& s = swarm_.services[x.service];
        // The overlay endpoint's turn only for a task on swarm networks.
        const std::uint8_t last = s.NetsOf(x.version).empty() ? 1 : 2;
        if (turn < last) {
          swarm_.nodes[nid].agent.teardown_q.emplace_back(id, static_cast<std::uint8_t>(turn + 1));
        } else {
          swarm_.dispatcher().Report(x, TaskState::kShutdown);
        }
      }
      NextTeardownTurn(nid);
    });
    return;
  }
  // Served. A queue grown by a large batch is freed (a large cluster's
  // queues would otherwise keep their peak size); a small one keeps its
  // room, so a seed trial's teardowns do not allocate each time.
  if (n.agent.teardown_q.capacity() > 64) {
    std::vector<std::pair<TaskId, std::uint8_t>>().swap(n.agent.teardown_q);
  } else {
    n.agent.teardown_q.clear();
  }
  n.agent.teardown_head = 0;
}

void Agent::DesiredChanged(Task& t) {
  const Node& n = swarm_.nodes[t.node];
  if (!t.agent.delivered || Gone(t) || !n.engine_running || t.agent.epoch != n.epoch) return;
  // The task manager acts on an update that changes the task (agent/task.go
  // compares it with the one it runs), not on the same task sent again.
  if (t.desired == t.agent.seen_desired) return;
  t.agent.seen_desired = t.desired;
  if (t.agent.waiting_attach) {
    // agent/task.go cancels the operation in flight on every update; the
    // cancelled attachment wait returns its error, which is fatal.
    Reject(t, kErrMissingAttachments);
    return;
  }
  if (t.desired > TaskState::kRunning) {
    Stop(t, /*retry_wait=*/t.state == TaskState::kRunning);
  } else if (t.desired == TaskState::kRunning && t.state == TaskState::kReady) {
    Start(t);
  }
}

void Agent::EngineStopped(NodeId nid, bool containers_kept) {
  Node& n = swarm_.nodes[nid];
  n.agent.containers_kept = containers_kept;
  swarm_.engine().Cancel(n.agent.teardown_turn);  // the daemon is gone, and its teardowns with it
  n.agent.teardown_q.clear();
  n.agent.teardown_head = 0;
  for (TaskId id : n.tasks) {
    Task& t = swarm_.tasks[id];
    swarm_.engine().Cancel(t.agent.op);
    if (t.agent.waiting_attach) {
      t.agent.waiting_attach = false;
      swarm_.engine().Cancel(t.agent.wait_timeout);
    }
  }
  n.agent.waiting.clear();
}

void Agent::ContainersLost(NodeId nid) { swarm_.nodes[nid].agent.containers_kept = false; }

void Agent::Reconnected(NodeId nid) {
  Node& n = swarm_.nodes[nid];
  std::vector<TaskId> undelivered;
  undelivered.swap(n.agent.undelivered);
  const std::vector<TaskId> on_node = n.tasks;
  for (TaskId id : on_node) {
    Task& t = swarm_.tasks[id];
    if (Gone(t)) continue;
    if (!t.agent.delivered) {
      if (std::find(undelivered.begin(), undelivered.end(), id) == undelivered.end()) undelivered.push_back(id);
      continue;
    }
    if (t.agent.epoch == n.epoch) continue;
    t.agent.epoch = n.epoch;
    if (n.agent.containers_kept && t.state == TaskState::kRunning) {
      // live-restore: the restarted daemon finds the container running
      // (moby daemon.go restore) and the worker goes on with it.
      if (t.desired > TaskState::kRunning) Stop(t);
      continue;
    }
    // The engine restarted under this task: its container is gone.
    if (t.desired > TaskState::kRunning) {
      swarm_.dispatcher().Report(t, TaskState::kShutdown);
    } else if (t.state >= TaskState::kStarting) {
      swarm_.dispatcher().Report(t, TaskState::kFailed, "task: non-zero exit (137): container stopped with the engine");
    } else if (t.state == TaskState::kReady) {
      if (t.desired == TaskState::kRunning) Start(t);
    } else {
      // Its status writes were cut short with the engine: it goes on from
      // PREPARING.
      if (t.state == TaskState::kAccepted) swarm_.SetState(t, TaskState::kPreparing);
      Prepare(t);
    }
  }
  n.agent.containers_kept = false;
  for (TaskId id : undelivered) {
    Task& t = swarm_.tasks[id];
    if (!Gone(t) && t.node == nid) Deliver(id, n.epoch);
  }
  if (!n.agent.missed.empty()) {
    std::vector<TaskId> missed;
    missed.swap(n.agent.missed);
    MessageArrived(nid, missed);
  }
}

}  // namespace swarmplan::model
