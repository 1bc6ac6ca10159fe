#include "model/faults.hpp"

#include <algorithm>

#include "model/swarm.hpp"
#include "model/try.hpp"

namespace swarmplan::model {

std::expected<void, std::string> Faults::InSwarm(NodeId id) const {
  const Node& n = w_.nodes[id];
  if (!n.member) return std::unexpected(n.name + " is not in the swarm");
  if (n.left) return std::unexpected(n.name + " has left the swarm");
  return {};
}

void Faults::Hit(NodeId id) {
  ++injected_;
  if (std::find(hit_.begin(), hit_.end(), id) == hit_.end()) hit_.push_back(id);
}

bool Faults::Over() const {
  for (sim::EventId e : ends_) {
    if (w_.engine().IsPending(e)) return false;
  }
  for (NodeId id : hit_) {
    const Node& n = w_.nodes[id];
    if (n.fault.partitioned || n.fault.host_down || w_.engine().IsPending(n.fault.restart)) return false;
    if (n.member && !n.left && n.engine_running && !n.connected) return false;
  }
  return true;
}

std::expected<void, std::string> Faults::Kill(NodeId id) {
  SWARMPLAN_CHECK(InSwarm(id));
  Node& n = w_.nodes[id];
  if (!n.engine_running) return std::unexpected(n.name + "'s engine is not running: nothing to kill");
  Hit(id);
  n.fault.containers_to_restore = !n.live_restore;
  w_.membership().StopEngine(id, Membership::StopKind::kKill);
  n.fault.restart = w_.engine().After(kSystemdRestart, [this, id] {
    w_.nodes[id].fault.restart = {};
    w_.trace().Add(w_.Now(), "fault", [&] { return "systemd starts " + w_.nodes[id].name + "'s engine again"; });
    w_.membership().StartEngine(id);
  });
  return {};
}

std::expected<void, std::string> Faults::KillLeader() {
  if (!w_.HasLeader()) return std::unexpected("the swarm has no leader to kill");
  return Kill(w_.leader());
}

std::expected<void, std::string> Faults::HostDown(NodeId id, sim::Time d) {
  SWARMPLAN_CHECK(InSwarm(id));
  Node& n = w_.nodes[id];
  if (n.fault.host_down) return std::unexpected(n.name + "'s host is already down");
  Hit(id);
  n.fault.host_down = true;
  n.fault.containers_to_restore = false;  // the host took them
  w_.engine().Cancel(n.fault.restart);
  if (n.engine_running) {
    w_.membership().StopEngine(id, Membership::StopKind::kHostDown);
  } else {
    w_.agent().ContainersLost(id);
  }
  ends_.push_back(w_.engine().After(d, [this, id] {
    Node& m = w_.nodes[id];
    m.fault.host_down = false;
    w_.trace().Add(w_.Now(), "fault", [&] { return m.name + "'s host is back: docker.service starts at boot"; });
    w_.membership().StartEngine(id);
  }));
  return {};
}

std::expected<void, std::string> Faults::Partition(NodeId id, sim::Time d) {
  SWARMPLAN_CHECK(InSwarm(id));
  if (w_.nodes[id].fault.partitioned) return std::unexpected(w_.nodes[id].name + " is already cut off");
  Hit(id);
  w_.membership().Cut(id);
  ends_.push_back(w_.engine().After(d, [this, id] { w_.membership().Heal(id); }));
  return {};
}

std::expected<void, std::string> Faults::FailNextInstall(NodeId id, bool keeps_old) {
  SWARMPLAN_CHECK(InSwarm(id));
  Node& n = w_.nodes[id];
  Hit(id);
  n.fault.next_install = keeps_old ? Node::InstallFault::kKeepsOld : Node::InstallFault::kNoStart;
  w_.trace().Add(w_.Now(), "fault", [&] {
    return n.name + "'s next install will " + (keeps_old ? "fail and keep the old engine" : "leave an engine that does not start");
  });
  return {};
}

std::expected<void, std::string> Faults::Slow(NodeId id, std::uint32_t pct) {
  SWARMPLAN_CHECK(InSwarm(id));
  if (pct < 100 || pct > 10'000) return std::unexpected("a slow node's factor is from 1 to 100");
  Hit(id);
  w_.nodes[id].fault.slow_pct = static_cast<std::uint16_t>(pct);
  w_.trace().Add(w_.Now(), "fault", [&] { return w_.nodes[id].name + " is slow: its work takes " + std::to_string(pct) + "% of the time"; });
  return {};
}

}  // namespace swarmplan::model
