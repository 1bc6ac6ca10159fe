// Faults: what breaks during a change, as input of the run like any step
// (docs/faults.md; each cites where swarmkit or moby decides what follows).
//  - Kill(n): dockerd dies by SIGKILL. Nothing stops gracefully: the
//    managers miss its heartbeats at once; its containers die with it
//    unless the engine runs with --live-restore. systemd starts it again
//    after docker.service's RestartSec (2 s), as for a crash.
//  - KillLeader(): Kill of whichever manager leads at that moment.
//  - HostDown(n, d): the whole host off for d (a reboot, a lost VM): engine
//    and containers gone whatever live-restore says; at boot the enabled
//    docker.service starts the engine.
//  - Partition(n, d): the node cut off from the managers for d; its engine
//    and containers run on (and keep their addresses in the store), the
//    managers mark it down and replace its tasks elsewhere; healed, its
//    agent's next session takes the changes it missed and sends the
//    reports it held (model/membership.hpp Cut / Heal).
//  - FailNextInstall(n, how): the node's next install fails: the engine
//    installed does not start (kNoStart), or the old one stays (kKeepsOld).
//  - Slow(n, pct): from now on the node's own work (its agent's handling,
//    container create/start/stop, network teardown, its reporter) takes
//    pct percent of the time drawn.
// A fault on a node it cannot apply to (not in the swarm, engine already
// down) is an error naming why, as for an operator's step.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <vector>

#include "model/types.hpp"
#include "sim/engine.hpp"
#include "sim/time.hpp"

namespace swarmplan::model {

class Swarm;

class Faults {
 public:
  explicit Faults(Swarm& w) : w_(w) {}

  // docker-ce's docker.service: Restart=always, RestartSec=2.
  static constexpr sim::Time kSystemdRestart = sim::Sec(2);

  std::expected<void, std::string> Kill(NodeId n);
  std::expected<void, std::string> KillLeader();
  std::expected<void, std::string> HostDown(NodeId n, sim::Time for_how_long);
  std::expected<void, std::string> Partition(NodeId n, sim::Time for_how_long);
  std::expected<void, std::string> FailNextInstall(NodeId n, bool keeps_old);
  std::expected<void, std::string> Slow(NodeId n, std::uint32_t pct);

  // Every fault injected so far has run its course: no engine waits for
  // systemd, no host is off, no partition is open, and each node a fault
  // hit whose engine runs is connected again. A trial waits for this
  // before it judges how the plan ended.
  bool Over() const;
  // How many faults were injected.
  std::uint32_t injected() const { return injected_; }

 private:
  std::expected<void, std::string> InSwarm(NodeId n) const;
  void Hit(NodeId n);
  Swarm& w_;
  std::vector<NodeId> hit_;     // nodes a fault hit
  std::vector<sim::EventId> ends_;  // the events that end the faults
  std::uint32_t injected_ = 0;
};

}  // namespace swarmplan::model
