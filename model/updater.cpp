#include "model/updater.hpp"

#include <algorithm>

#include "model/swarm.hpp"

namespace swarmplan::model {

namespace {
bool Live(const Task& t) { return !IsTerminal(t.state) && t.desired <= TaskState::kRunning; }
}  // namespace

bool Updater::Busy() const {
  return std::any_of(runs_.begin(), runs_.end(), [](const Run& r) { return r.active && !r.stopped; });
}

void Updater::Start(ServiceId sid, bool rollback) {
  if (runs_.size() < swarm_.services.size()) runs_.resize(swarm_.services.size());
  Service& s = swarm_.services[sid];
  Run& run = runs_[sid];
  const std::uint32_t generation = run.generation + 1;
  run = Run{};
  run.generation = generation;
  run.rollback = rollback;
  run.config = rollback ? s.spec.rollback : s.spec.update;
  // Dirty slots (updater.go Run: isSlotDirty), taken in slot order. After
  // a change of the placement alone, a task of the version before on a
  // node that meets the new constraints is not dirty
  // (IsTaskDirtyPlacementConstraintsOnly).
  const auto dirty = [&](const Task& t) {
    if (t.version == s.version) return false;
    const bool placement_only = s.placement_only_version == s.version && t.version + 1 == s.version;
    return !(placement_only && t.node != kNoId && s.constraint_ok[t.node]);
  };
  for (std::size_t i = 0; i < s.slots.size(); ++i) {
    const Slot& sl = s.slots[i];
    if (sl.retired || sl.current == kNoId) continue;
    const Task& t = swarm_.tasks[sl.current];
    if (Live(t) && dirty(t)) run.queue.push_back(static_cast<std::uint32_t>(i));
  }
  std::reverse(run.queue.begin(), run.queue.end());
  run.dirty = static_cast<std::uint32_t>(run.queue.size());
  if (run.dirty == 0) {
    s.update_state = rollback ? UpdateState::kRollbackCompleted : UpdateState::kCompleted;
    return;
  }
  run.active = true;
  s.update_state = rollback ? UpdateState::kRollbackStarted : UpdateState::kUpdating;
  const std::size_t workers = run.config.parallelism == 0 ? run.dirty : std::min(run.config.parallelism, run.dirty);
  run.workers.assign(workers, Worker{});
  for (std::size_t w = 0; w < workers; ++w) Next(sid, generation, w);
}

void Updater::Next(ServiceId sid, std::uint32_t generation, std::size_t w) {
  Run& run = runs_[sid];
  if (run.generation != generation || !run.active) return;
  Worker& worker = run.workers[w];
  if (run.stopped || run.queue.empty()) {
    worker.done = true;
    MaybeFinish(sid);
    return;
  }
  if (!swarm_.HasLeader()) {
    swarm_.engine().After(sim::kSecond, [this, sid, generation, w] { Next(sid, generation, w); });
    return;
  }
  Service& s = swarm_.services[sid];
  const std::uint32_t index = run.queue.back();
  run.queue.pop_back();
  Slot& sl = s.slots[index];
  if (sl.retired || sl.current == kNoId) {
    SlotDone(sid, w);
    return;
  }
  Task& cur = swarm_.tasks[sl.current];
  if (cur.version == s.version) {
    // useExistingTask: the slot already has a task of the new spec (the
    // restart supervisor made it); the others of the slot go.
    for (TaskId old : sl.history) {
      Task& o = swarm_.tasks[old];
      if (Live(o)) swarm_.SetDesired(o, TaskState::kShutdown);
    }
    SlotDone(sid, w);
    return;
  }
  if (!Live(cur)) {
    SlotDone(sid, w);
    return;
  }
  const TaskId fresh = swarm_.orchestrator().ReplaceForUpdate(cur, run.config.order);
  worker.waiting_for = fresh;
  worker.old = run.config.order == UpdateOrder::kStartFirst ? cur.id : kNoId;
  run.updated[fresh] = -1;
  if (swarm_.trace().enabled()) {
    swarm_.trace().Add(swarm_.Now(), "update", [&] { return swarm_.TaskName(cur) + " replaced by " +
                                                 swarm_.TaskName(swarm_.tasks[fresh]) + " (" +
                                                   std::string(ToString(run.config.order)) + ")"; });
  }
}

void Updater::SlotDone(ServiceId sid, std::size_t w) {
  Run& run = runs_[sid];
  run.workers[w].waiting_for = kNoId;
  run.workers[w].old = kNoId;
  const std::uint32_t generation = run.generation;
  // The next slot after the delay (an event even without one, so a run of
  // slots with nothing to do does not recurse).
  swarm_.engine().After(run.config.delay, [this, sid, generation, w] { Next(sid, generation, w); });
}

void Updater::TaskProgressed(Task& t) {
  if (t.service >= runs_.size()) return;
  Run& run = runs_[t.service];
  if (!run.active) return;
  const auto it = run.updated.find(t.id);
  if (it == run.updated.end()) return;
  if (it->second < 0) it->second = swarm_.Now();
  for (std::size_t w = 0; w < run.workers.size(); ++w) {
    Worker& worker = run.workers[w];
    if (worker.waiting_for != t.id) continue;
    if (worker.old != kNoId && t.state == TaskState::kRunning) {
      Task& old = swarm_.tasks[worker.old];
      if (Live(old)) swarm_.SetDesired(old, TaskState::kShutdown);
    }
    SlotDone(t.service, w);
    break;
  }
  if (IsTerminal(t.state) && run.active && run.updated.count(t.id) != 0) Failed(t.service, t);
  MaybeFinish(t.service);
}

void Updater::Failed(ServiceId sid, const Task& t) {
  Run& run = runs_[sid];
  if (run.stopped || run.config.failure_action == FailureAction::kContinue) return;
  const sim::Time ran = run.updated[t.id];
  if (ran >= 0 && swarm_.Now() - ran > run.config.monitor) return;
  run.updated.erase(t.id);  // counted once
  ++run.failures;
  if (static_cast<double>(run.failures) / run.dirty <= run.config.max_failure_ratio) return;
  Service& s = swarm_.services[sid];
  run.stopped = true;
  if (run.config.failure_action == FailureAction::kRollback && !run.rollback) {
    swarm_.trace().Add(swarm_.Now(), "update", [&] { return s.spec.name + ": update rolled back after the failure of " +
                                                   swarm_.TaskName(t); });
    swarm_.RevertSpec(s);
    Start(sid, /*rollback=*/true);
    return;
  }
  s.update_state = run.rollback ? UpdateState::kRollbackPaused : UpdateState::kPaused;
  swarm_.trace().Add(swarm_.Now(), "update", [&] { return s.spec.name + ": " + (run.rollback ? "rollback" : "update") +
                                                 " paused after the failure of " + swarm_.TaskName(t); });
  MaybeFinish(sid);
}

void Updater::MaybeFinish(ServiceId sid) {
  Run& run = runs_[sid];
  if (!run.active) return;
  if (run.stopped) {
    // Paused: no slot is taken any more; tasks in flight carry on by
    // themselves, and the workers still finish what they wait on.
    if (std::all_of(run.workers.begin(), run.workers.end(), [](const Worker& w) { return w.waiting_for == kNoId; })) {
      run.active = false;
    }
    return;
  }
  if (run.monitoring ||
      !std::all_of(run.workers.begin(), run.workers.end(), [](const Worker& w) { return w.done; })) {
    return;
  }
  run.monitoring = true;
  sim::Time period = run.config.monitor;
  if (run.config.delay >= period) period = run.config.delay + sim::kSecond;
  const std::uint32_t generation = run.generation;
  swarm_.engine().After(period, [this, sid, generation] {
    Run& r = runs_[sid];
    if (r.generation != generation || !r.active || r.stopped) return;
    r.active = false;
    Service& s = swarm_.services[sid];
    s.update_state = r.rollback ? UpdateState::kRollbackCompleted : UpdateState::kCompleted;
    swarm_.trace().Add(swarm_.Now(), "update", [&] { return s.spec.name + ": " + (r.rollback ? "rollback" : "update") + " completed"; });
  });
}

}  // namespace swarmplan::model
