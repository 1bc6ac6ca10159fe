// Orchestrator: the replicated and global orchestrators and the restart
// supervisor (swarmkit manager/orchestrator/{replicated,global,restart}).
//
// Replicated: keeps `replicas` slots, each with one live task; replaces a
// task that fails (per restart policy) or whose node is drained or down.
// Global: one task per ready, active node that meets the constraints.
// A replacement is created NEW with desired READY and set to RUNNING after
// the restart delay and after the old task stopped, its node went down, or
// old_task_timeout passed (restart.go DelayStart / waitStop). A task asked
// to restart while its own delayed start is still pending is restarted only
// when that delayed start ends (Supervisor.Restart / waitRestart).
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
  // The node's role changed: tasks there whose service's constraints it no
  // longer meets are shut down and replaced (swarmkit's constraint
  // enforcer, manager/orchestrator/constraintenforcer).
  void NodeConstraintsChanged(NodeId n);
  void NodeDown(NodeId n);
  // Node became ready and active: global services add their task.
  void NodeSchedulable(NodeId n);
  // A new leader reconciles every service.
  void LeaderChanged();
  // spec.replicas changed from `from`: new slots get tasks, or the slots
  // past the new count are retired, their tasks removed (replicated.go
  // reconcile: the copies on the nodes with most copies first, tasks not
  // running before running ones).
  void Scale(Service& s, std::uint32_t from);
  // The service was removed: every task is removed.
  void RemoveService(Service& s);
  // The updater's new task for the slot of `old` (updater.go updateTask):
  // stop-first shuts `old` down in the same commit and starts the new task
  // once `old` stopped; start-first starts it at once and leaves `old` to
  // the updater.
  TaskId ReplaceForUpdate(Task& old, UpdateOrder order);

 private:
  // The restart supervisor: shuts `old` down and creates its replacement,
  // started after the service's restart delay (none when old's node is
  // drained). If old is itself still in its delayed start, waits for that
  // to end first. `counts`: a failure restart, counted for max_attempts.
  void Restart(Task& old, bool counts);
  // The delayed start of `t` ended: start it, and run a restart that waited.
  void DelayEnded(Task& t);
  TaskId NewTask(ServiceId s, std::uint32_t slot, NodeId node, TaskState desired, TaskId old, sim::Time delay);
  void MaybeStart(TaskId t);
  bool RestartAllowed(const Task& t) const;
  void ReconcileGlobalNode(Service& s, NodeId n);
  // Replicated tasks on n get replacements, global ones are shut down.
  void ReplaceTasksOf(NodeId n);
  void Reconcile(Service& s);

  Swarm& swarm_;
};

}  // namespace swarmplan::model
