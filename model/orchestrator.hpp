// Orchestrator: the replicated and global orchestrators and the restart
// supervisor (swarmkit manager/orchestrator/{replicated,global,restart}).
//
// Replicated: keeps `replicas` slots, each with one live task; replaces a
// task that fails (per restart policy) or whose node is drained or down.
// Global: one task per ready, active node that meets the constraints.
// A replacement is created NEW with desired READY and set to RUNNING after
// the restart delay and after the old task stopped, its node went down, or
// old_task_timeout passed (restart.go DelayStart / waitStop).
#pragma once

#include <cstdint>
#include <vector>

#include "model/types.hpp"
#include "sim/time.hpp"

namespace swarmplan::model {

class Swarm;
struct Task;
struct Service;

class Orchestrator {
 public:
  explicit Orchestrator(Swarm& swarm) : swarm_(swarm) {}

  void CreateService(ServiceId s);
  void TaskTerminal(Task& t);
  void NodeDrained(NodeId n);
  void NodeDown(NodeId n);
  // Node became ready and active: global services add their task.
  void NodeSchedulable(NodeId n);
  // A new leader reconciles every service.
  void LeaderChanged();

 private:
  // Shuts `old` down and creates its replacement, started after `delay`.
  void Restart(Task& old, sim::Time delay);
  TaskId NewTask(ServiceId s, std::uint32_t slot, NodeId node, TaskState desired, TaskId old, sim::Time delay);
  void MaybeStart(TaskId t);
  bool RestartAllowed(const Task& t) const;
  void ReconcileGlobalNode(Service& s, NodeId n);
  // Replicated tasks on n get replacements, global ones are shut down.
  void ReplaceTasksOf(NodeId n, bool drained);
  void Reconcile(Service& s);

  Swarm& swarm_;
};

}  // namespace swarmplan::model
