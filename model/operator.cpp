#include "model/operator.hpp"

#include <algorithm>

namespace swarmplan::model {

bool Operator::RunUntil(const std::function<bool()>& ok, sim::Time deadline) {
  while (!ok()) {
    if (w_.Now() >= deadline) return false;
    if (!w_.engine().RunUntil(std::min(deadline, w_.Now() + sim::kSecond))) return false;
  }
  return true;
}

std::expected<void, std::string> Operator::SetAvailability(NodeId n, Availability a) {
  const sim::Time deadline = Deadline();
  for (;;) {
    auto r = w_.SetAvailability(n, a);
    if (r) return {};
    if (w_.Now() >= deadline || !w_.engine().RunUntil(w_.Now() + sim::kSecond)) return r;
  }
}

namespace {
// Retries a change that needs a leader until it is taken or the deadline.
template <typename F>
std::expected<void, std::string> WithLeader(Swarm& w, sim::Time deadline, F change) {
  for (;;) {
    auto r = change();
    if (r || w.HasLeader()) return r;  // taken, or refused for a reason a leader gives
    if (w.Now() >= deadline || !w.engine().RunUntil(w.Now() + sim::kSecond)) return r;
  }
}
}  // namespace

std::expected<void, std::string> Operator::CreateService(ServiceId s) {
  return WithLeader(w_, Deadline(), [&] { return w_.CreateService(s); });
}

std::expected<void, std::string> Operator::RemoveService(ServiceId s) {
  return WithLeader(w_, Deadline(), [&] { return w_.RemoveService(s); });
}

std::expected<void, std::string> Operator::ScaleService(ServiceId s, std::uint32_t replicas) {
  return WithLeader(w_, Deadline(), [&] { return w_.ScaleService(s, replicas); });
}

std::expected<void, std::string> Operator::SetRole(NodeId n, Role r) {
  return WithLeader(w_, Deadline(), [&] { return w_.SetRole(n, r); });
}

std::expected<void, std::string> Operator::UpdateService(ServiceId s) {
  return WithLeader(w_, Deadline(), [&] { return w_.UpdateService(s); });
}

std::expected<void, std::string> Operator::RollbackService(ServiceId s) {
  return WithLeader(w_, Deadline(), [&] { return w_.RollbackService(s); });
}

std::expected<void, std::string> Operator::ChangeNetwork(ServiceId s, NetworkId k, bool add) {
  return WithLeader(w_, Deadline(), [&] { return w_.ChangeNetwork(s, k, add); });
}

std::expected<void, std::string> Operator::Join(NodeId n, Role r) {
  return WithLeader(w_, Deadline(), [&] { return w_.JoinNode(n, r); });
}

std::expected<void, std::string> Operator::Leave(NodeId n) { return w_.LeaveNode(n); }

std::expected<void, std::string> Operator::RemoveNode(NodeId n) {
  if (!RunUntil([&] { return w_.nodes[n].state == NodeState::kDown || !w_.nodes[n].member; }, Deadline())) {
    return std::unexpected("node " + w_.NodeName(n) + " is not down and can't be removed (still not down after " +
                           std::to_string(w_.timings().converge_timeout / sim::kSecond) + " s)");
  }
  return WithLeader(w_, Deadline(), [&] { return w_.RemoveNode(n); });
}

std::expected<void, std::string> Operator::Drain(NodeId n) {
  auto r = SetAvailability(n, Availability::kDrain);
  if (!r) return r;
  // "verify that containers have all stopped"
  if (!RunUntil([&] { return w_.LiveTasksOn(n) == 0; }, Deadline())) {
    return std::unexpected(std::to_string(w_.LiveTasksOn(n)) + " tasks still on " + w_.NodeName(n) +
                           " after the drain's deadline");
  }
  return {};
}

std::expected<void, std::string> Operator::Stop(NodeId n) {
  if (!w_.nodes[n].engine_running) {
    // Killed and about to be started again by systemd: stopping the
    // service cancels that (model/faults.hpp).
    if (w_.engine().IsPending(w_.nodes[n].fault.restart)) {
      w_.engine().Cancel(w_.nodes[n].fault.restart);
      return {};
    }
    return std::unexpected(w_.NodeName(n) + "'s engine is already stopped");
  }
  // dockerd's shutdown (docs/swarm-semantics.md section 7): the swarm node
  // leaves first, so heartbeats stop at once (moby cmd/dockerd: the
  // cluster's Cleanup runs before the daemon's Shutdown); then every running
  // container is stopped in parallel with its own stop timeout (daemon.go
  // Shutdown / shutdownContainer), and the daemon exits when the last one
  // has. The stop command returns then: a node whose tasks ignore SIGTERM
  // stays away a whole grace period longer, long enough to be marked down.
  // With --live-restore the daemon leaves its containers running
  // (daemon.go Shutdown), so it exits at once.
  sim::Time longest = 0;
  if (!w_.nodes[n].live_restore) {
    for (TaskId id : w_.nodes[n].tasks) {
      const Task& t = w_.tasks[id];
      if (IsTerminal(t.state) || t.state < TaskState::kStarting) continue;
      longest = std::max(longest, w_.agent().StopDuration(t));
    }
  }
  w_.membership().StopEngine(n);
  w_.engine().RunUntil(w_.Now() + w_.Draw(w_.timings().engine_stop) + longest);
  return {};
}

std::expected<void, std::string> Operator::Install(NodeId n, EngineVersion v) {
  if (w_.nodes[n].engine_running) return std::unexpected(w_.NodeName(n) + "'s engine must be stopped first");
  w_.InstallEngine(n, v);
  return {};
}

std::expected<void, std::string> Operator::Start(NodeId n) {
  if (w_.nodes[n].engine_running) return std::unexpected(w_.NodeName(n) + "'s engine is already running");
  w_.StartEngine(n);
  if (!RunUntil([&] { return w_.nodes[n].connected; }, Deadline())) {
    return std::unexpected(w_.NodeName(n) + " did not come back");
  }
  return {};
}

bool Operator::WaitFaultsOver() {
  return RunUntil([&] { return w_.faults().Over(); }, Deadline());
}

bool Operator::WaitConverged(sim::Time budget) {
  return RunUntil([&] { return w_.Converged(); }, w_.Now() + budget);
}

bool Operator::WaitConverged() {
  const bool ok = WaitConverged(w_.timings().converge_timeout);
  if (!ok) {
    w_.trace().Add(w_.Now(), "step", [&] { return "gave up waiting after " +
                                         std::to_string(w_.timings().converge_timeout / sim::kSecond) + " s"; });
  }
  return ok;
}

void Operator::Sleep(sim::Time d) { w_.engine().RunUntil(w_.Now() + d); }

void Operator::Think() { w_.engine().RunUntil(w_.Now() + w_.Draw(w_.timings().operator_step)); }

}  // namespace swarmplan::model
