#include "model/orchestrator.hpp"

#include <algorithm>

#include "model/swarm.hpp"

namespace swarmplan::model {

namespace {
Slot& SlotOf(Service& s, const Task& t) {
  return s.spec.mode == ServiceMode::kGlobal ? s.slots[t.slot] : s.slots[t.slot - 1];
}
bool Live(const Task& t) { return !IsTerminal(t.state) && t.desired <= TaskState::kRunning; }
}  // namespace

void Orchestrator::CreateService(ServiceId sid) {
  Service& s = swarm_.services[sid];
  swarm_.allocator().AllocateService(s);
  if (s.spec.mode == ServiceMode::kReplicated) {
    for (std::uint32_t slot = 1; slot <= s.spec.replicas; ++slot) {
      const TaskId id = NewTask(sid, slot, kNoId, TaskState::kRunning, kNoId, 0);
      swarm_.tasks[id].restart.pin = s.pins[slot - 1];
    }
  } else {
    for (const Node& n : swarm_.nodes) ReconcileGlobalNode(s, n.id);
  }
}

TaskId Orchestrator::NewTask(ServiceId sid, std::uint32_t slot, NodeId node, TaskState desired, TaskId old,
                             sim::Time delay) {
  Service& s = swarm_.services[sid];
  Slot& sl = s.spec.mode == ServiceMode::kGlobal ? s.slots[slot] : s.slots[slot - 1];
  const TaskId id = swarm_.CreateTask(sid, slot, node, desired);
  Task& t = swarm_.tasks[id];
  if (sl.current != kNoId) {
    if (sl.history.capacity() == 0) sl.history.reserve(static_cast<std::size_t>(swarm_.timings().task_history));
    sl.history.push_back(sl.current);
    while (static_cast<int>(sl.history.size()) >= swarm_.timings().task_history) sl.history.erase(sl.history.begin());
  }
  sl.current = id;
  t.restart.old_task = old;
  t.restart.start_after = swarm_.Now() + delay;
  if (old != kNoId) swarm_.tasks[old].restart.replaced_by = id;
  if (desired == TaskState::kReady) {
    t.restart.delay_pending = true;
    swarm_.engine().Schedule(t.restart.start_after, [this, id] { MaybeStart(id); });
  }
  return id;
}

void Orchestrator::MaybeStart(TaskId id) {
  Task& t = swarm_.tasks[id];
  // The delay runs its course whatever happens to the task meanwhile (a
  // rejection, a shutdown): restart.go's delayed start is not cancelled by
  // them, and a restart asked for meanwhile waits for its end.
  if (!t.restart.delay_pending) return;
  const sim::Time now = swarm_.Now();
  if (now < t.restart.start_after) return;  // the delay event will come
  if (!swarm_.HasLeader()) {
    swarm_.engine().After(sim::kSecond, [this, id] { MaybeStart(id); });
    return;
  }
  bool go = t.restart.old_task == kNoId;
  if (!go) {
    const Task& old = swarm_.tasks[t.restart.old_task];
    go = IsTerminal(old.state) || old.node == kNoId || swarm_.nodes[old.node].state == NodeState::kDown ||
         now >= t.restart.start_after + swarm_.timings().old_task_timeout;
    if (!go) {
      // Woken by the old task's end, or at the timeout.
      swarm_.engine().Schedule(t.restart.start_after + swarm_.timings().old_task_timeout, [this, id] { MaybeStart(id); });
      return;
    }
  }
  DelayEnded(t);
}

void Orchestrator::DelayEnded(Task& t) {
  t.restart.delay_pending = false;
  // StartNow: READY -> RUNNING (nothing to do for a task that ended or was
  // shut down meanwhile).
  if (!IsTerminal(t.state) && t.desired == TaskState::kReady) swarm_.SetDesired(t, TaskState::kRunning);
  if (!t.restart.waiting) return;
  t.restart.waiting = false;
  const bool counts = t.restart.counts;
  t.restart.counts = false;
  // waitRestart: restart it now, unless it was shut down on purpose or its
  // slot moved on meanwhile.
  Service& s = swarm_.services[t.service];
  if (t.desired > TaskState::kRunning || SlotOf(s, t).current != t.id || !swarm_.HasLeader()) return;
  if (counts && !RestartAllowed(t)) return;
  Restart(t, counts);
}

bool Orchestrator::RestartAllowed(const Task& t) const {
  const Service& s = swarm_.services[t.service];
  // The task's own restart policy (restart.go shouldRestart reads t.Spec).
  const ServiceSpec& spec = s.SpecOf(t.version);
  switch (spec.restart_condition) {
    case RestartCondition::kNone: return false;
    case RestartCondition::kOnFailure:
      if (t.state == TaskState::kComplete || t.state == TaskState::kShutdown) return false;
      break;
    case RestartCondition::kAny: break;
  }
  if (spec.restart_max_attempts != 0) {
    const Slot& sl = s.spec.mode == ServiceMode::kGlobal ? s.slots[t.slot] : s.slots[t.slot - 1];
    if (sl.restarts >= spec.restart_max_attempts) return false;
  }
  return true;
}

void Orchestrator::TaskTerminal(Task& t) {
  if (t.restart.replaced_by != kNoId) MaybeStart(t.restart.replaced_by);
  if (!swarm_.HasLeader()) return;  // the next leader reconciles
  Service& s = swarm_.services[t.service];
  if (SlotOf(s, t).current != t.id) return;
  if (t.desired > TaskState::kRunning) return;  // shut down on purpose
  if (!RestartAllowed(t)) return;
  Restart(t, /*counts=*/true);
}

void Orchestrator::Restart(Task& old, bool counts) {
  if (old.restart.delay_pending) {
    // Supervisor.Restart: "still in the process of restarting" -> wait.
    old.restart.waiting = true;
    old.restart.counts = old.restart.counts || counts;
    return;
  }
  Service& s = swarm_.services[old.service];
  if (counts) ++SlotOf(s, old).restarts;
  // No restart delay for a task on a drained node (restart.go Restart).
  const bool drained = old.node != kNoId && swarm_.nodes[old.node].availability == Availability::kDrain;
  const sim::Time delay = drained ? 0 : s.SpecOf(old.version).restart_delay;  // the old task's (restart.go)
  const TaskId old_id = old.id;
  const std::uint32_t slot = old.slot;
  swarm_.SetDesired(old, TaskState::kShutdown);
  if (s.spec.mode == ServiceMode::kGlobal) {
    const Node& n = swarm_.nodes[slot];
    if (!n.schedulable() || !s.constraint_ok[slot]) return;
    NewTask(s.id, slot, slot, TaskState::kReady, old_id, delay);
  } else {
    NewTask(s.id, slot, kNoId, TaskState::kReady, old_id, delay);
  }
}

void Orchestrator::NodeDrained(NodeId n) { ReplaceTasksOf(n); }

void Orchestrator::NodeConstraintsChanged(NodeId n) {
  const std::vector<TaskId> on_node = swarm_.nodes[n].tasks;
  for (TaskId id : on_node) {
    Task& t = swarm_.tasks[id];
    Service& s = swarm_.services[t.service];
    if (!Live(t) || s.constraint_ok[n]) continue;
    if (s.spec.mode == ServiceMode::kReplicated && SlotOf(s, t).current == id) {
      Restart(t, /*counts=*/false);
    } else {
      swarm_.SetDesired(t, TaskState::kShutdown);
    }
  }
}

void Orchestrator::NodeDown(NodeId n) { ReplaceTasksOf(n); }

void Orchestrator::ReplaceTasksOf(NodeId n) {
  const std::vector<TaskId> on_node = swarm_.nodes[n].tasks;
  for (TaskId id : on_node) {
    Task& t = swarm_.tasks[id];
    if (!Live(t)) continue;
    Service& s = swarm_.services[t.service];
    if (s.spec.mode == ServiceMode::kReplicated && SlotOf(s, t).current == id) {
      Restart(t, /*counts=*/false);
    } else {
      swarm_.SetDesired(t, TaskState::kShutdown);  // global: no replacement elsewhere
    }
  }
}

void Orchestrator::ReconcileGlobalNode(Service& s, NodeId n) {
  if (!s.active) return;
  const Node& node = swarm_.nodes[n];
  if (!node.schedulable() || !s.constraint_ok[n]) return;
  const Slot& sl = s.slots[n];
  if (sl.current != kNoId) {
    const Task& cur = swarm_.tasks[sl.current];
    if (!IsTerminal(cur.state) && cur.desired <= TaskState::kRunning) return;
  }
  NewTask(s.id, n, n, TaskState::kRunning, kNoId, 0);
}

void Orchestrator::NodeSchedulable(NodeId n) {
  for (Service& s : swarm_.services) {
    if (s.spec.mode == ServiceMode::kGlobal) ReconcileGlobalNode(s, n);
  }
}

void Orchestrator::Reconcile(Service& s) {
  if (!s.active) return;
  for (std::size_t i = 0; i < s.slots.size(); ++i) {
    if (s.slots[i].retired) continue;
    const TaskId cur = s.slots[i].current;
    if (cur != kNoId) {
      Task& t = swarm_.tasks[cur];
      if (IsTerminal(t.state)) {
        if (t.desired <= TaskState::kRunning && RestartAllowed(t)) Restart(t, /*counts=*/true);
      } else if (t.desired <= TaskState::kRunning && t.node != kNoId) {
        const Node& node = swarm_.nodes[t.node];
        const bool drained = node.availability == Availability::kDrain;
        if (node.state == NodeState::kDown || drained) {
          if (s.spec.mode == ServiceMode::kReplicated) {
            Restart(t, /*counts=*/false);
          } else {
            swarm_.SetDesired(t, TaskState::kShutdown);
          }
        }
      }
    }
    if (s.spec.mode == ServiceMode::kGlobal) ReconcileGlobalNode(s, static_cast<NodeId>(i));
  }
}

void Orchestrator::Scale(Service& s, std::uint32_t from) {
  const std::uint32_t to = s.spec.replicas;
  if (to > from) {
    // New tasks take the lowest free slot numbers: retired slots first,
    // then new ones.
    std::uint32_t need = to - from;
    for (std::uint32_t i = 0; i < s.slots.size() && need > 0; ++i) {
      if (!s.slots[i].retired) continue;
      s.slots[i].retired = false;
      NewTask(s.id, i + 1, kNoId, TaskState::kRunning, kNoId, 0);
      --need;
    }
    while (need-- > 0) {
      s.slots.emplace_back();
      s.pins.push_back(kNoId);
      NewTask(s.id, static_cast<std::uint32_t>(s.slots.size()), kNoId, TaskState::kRunning, kNoId, 0);
    }
    return;
  }
  // Scale down: order the live slots as swarmkit does (running tasks
  // first; then by how many copies precede them on their node), keep the
  // first `to` and remove the rest.
  struct Entry {
    std::uint32_t slot;
    bool running;
    NodeId node;
    std::uint32_t index = 0;
  };
  std::vector<Entry> live;
  for (std::uint32_t i = 0; i < s.slots.size(); ++i) {
    if (s.slots[i].retired || s.slots[i].current == kNoId) continue;
    const Task& t = swarm_.tasks[s.slots[i].current];
    live.push_back({i + 1, t.state == TaskState::kRunning, t.node});
  }
  std::stable_sort(live.begin(), live.end(), [](const Entry& a, const Entry& b) { return a.running && !b.running; });
  std::vector<std::uint32_t> copies(swarm_.nodes.size(), 0);
  for (Entry& e : live) e.index = e.node == kNoId ? 0 : copies[e.node]++;
  std::stable_sort(live.begin(), live.end(), [](const Entry& a, const Entry& b) { return a.index < b.index; });
  for (std::size_t k = to; k < live.size(); ++k) {
    Slot& sl = s.slots[live[k].slot - 1];
    sl.retired = true;
    Task& t = swarm_.tasks[sl.current];
    if (!IsTerminal(t.state)) swarm_.SetDesired(t, TaskState::kRemove);
  }
}

void Orchestrator::RemoveService(Service& s) {
  for (Slot& sl : s.slots) {
    sl.retired = true;
    if (sl.current == kNoId) continue;
    Task& t = swarm_.tasks[sl.current];
    if (!IsTerminal(t.state)) swarm_.SetDesired(t, TaskState::kRemove);
  }
}

TaskId Orchestrator::ReplaceForUpdate(Task& old, UpdateOrder order) {
  Service& s = swarm_.services[old.service];
  const NodeId node = s.spec.mode == ServiceMode::kGlobal ? static_cast<NodeId>(old.slot) : kNoId;
  if (order == UpdateOrder::kStartFirst) return NewTask(s.id, old.slot, node, TaskState::kReady, kNoId, 0);
  const TaskId id = NewTask(s.id, old.slot, node, TaskState::kReady, old.id, 0);
  swarm_.SetDesired(old, TaskState::kShutdown);
  return id;
}

void Orchestrator::LeaderChanged() {
  for (Service& s : swarm_.services) Reconcile(s);
}

}  // namespace swarmplan::model
