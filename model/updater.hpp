// Updater: rolling updates and rollbacks of a service, as swarmkit's
// updater does them (manager/orchestrator/update/updater.go; the rules in
// docs/swarm-semantics.md, "Rolling updates").
//
// An update bumps the service's spec version; every slot whose live task is
// of an older version is dirty. `parallelism` workers (all slots when 0)
// take dirty slots one at a time:
//   stop-first   the new task is created (desired READY) in the same commit
//                that shuts the old one down, and set RUNNING once the old
//                one stopped (restart supervisor DelayStart, waiting for the
//                old task): for a moment the slot holds two addresses;
//   start-first  the new task is created and started at once; the old one
//                is shut down only when the new one is RUNNING, so the slot
//                holds two addresses for as long as the new task starts (and
//                for good, if it never does).
// A worker waits until its new task reaches RUNNING or ends (there is no
// time-out: a task stuck in NEW for want of an address holds the update
// forever, as on a real swarm), then sleeps `delay` before its next slot.
// New tasks that end within `monitor` of running (or before running) are
// failures; past `max_failure_ratio` of the dirty slots, the failure action
// pauses the update, rolls it back (a rollback is an update to the previous
// spec with rollback_config, and never rolls back itself), or continues.
// After the last slot, failures are watched for one more monitor period
// (longer than `delay`), then the update is completed.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "model/scenario.hpp"
#include "model/types.hpp"
#include "sim/time.hpp"

namespace swarmplan::model {

class Swarm;
struct Task;

class Updater {
 public:
  explicit Updater(Swarm& swarm) : swarm_(swarm) {}

  // The service's version was bumped by an update (rollback: back to the
  // previous spec). Stops a run in progress for the service and starts one.
  void Start(ServiceId s, bool rollback);
  // A task's state moved (called for states >= RUNNING).
  void TaskProgressed(Task& t);
  // True while an update or rollback of some service is under way.
  bool Busy() const;

 private:
  struct Worker {
    TaskId waiting_for = kNoId;  // the new task it waits on
    TaskId old = kNoId;          // start-first: shut down once the new one runs
    bool done = false;
  };
  struct Run {
    bool active = false;
    bool rollback = false;
    bool stopped = false;     // paused or rolled back
    bool monitoring = false;  // every slot taken; watching failures
    std::uint32_t generation = 0;
    UpdateConfig config;
    std::vector<std::uint32_t> queue;  // dirty slots left, next at the back
    std::uint32_t dirty = 0;
    std::vector<Worker> workers;
    std::map<TaskId, sim::Time> updated;  // new task -> when it ran (-1: not yet)
    std::uint32_t failures = 0;
  };

  void Next(ServiceId s, std::uint32_t generation, std::size_t worker);
  void SlotDone(ServiceId s, std::size_t worker);
  void MaybeFinish(ServiceId s);
  void Failed(ServiceId s, const Task& t);

  Swarm& swarm_;
  std::vector<Run> runs_;  // per service
};

}  // namespace swarmplan::model
