// Agent: the worker side (swarmkit agent/ and moby's container executor).
//
// Takes assigned tasks through ACCEPTED, PREPARING, READY, STARTING to
// RUNNING. In PREPARING a worker on 18.09 or later waits (attachment_wait,
// polling every attachment_poll) for its node to hold an address on each of
// the task's overlays; it rejects the task with "node is missing network
// attachments, ip addresses may be exhausted" on timeout or as soon as the
// task's desired state changes (agent/task.go cancels the wait in flight).
// A task reaching network creation before the restarted engine's swarm
// agent is active is rejected with "cannot create a swarm scoped network
// when swarm is not active".
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "model/types.hpp"
#include "sim/time.hpp"

namespace swarmplan::model {

class Swarm;
struct Task;

class Agent {
 public:
  explicit Agent(Swarm& swarm) : swarm_(swarm) {}

  // A message of the node's assignment stream (model/dispatcher.hpp)
  // arrived: tasks assigned to it or whose desired state changed.
  void MessageArrived(NodeId n, std::span<const TaskId> message);
  void DesiredChanged(Task& t);
  // Node n gained an attachment: waiting tasks re-check at their next poll.
  void AttachmentAdded(NodeId n);
  // The engine stopped: nothing is reported, and its operations in flight
  // end with it. Its containers are gone, unless `containers_kept` (live-
  // restore): then a running task is found running when it is back.
  void EngineStopped(NodeId n, bool containers_kept);
  // The host went down with the engine already stopped: containers kept
  // by live-restore are gone too.
  void ContainersLost(NodeId n);
  // How long stopping t's container takes, drawn now: a process that obeys
  // SIGTERM stops within container_stop; one that ignores it is killed at
  // the end of the service's stop grace period and torn down
  // (container_kill); no process, a moment. A task's shutdown by its agent
  // adds the service unbind wait before it; an engine's shutdown stops the
  // containers directly.
  sim::Time StopDuration(const Task& t);
  // The engine is back and its agent connected, or its session is back
  // after a partition: report what it finds, take the assignments it
  // missed.
  void Reconnected(NodeId n);
  // The task is no longer waiting (terminal for another reason).
  void StopWaiting(Task& t);

 private:
  void Deliver(TaskId id, std::uint32_t epoch);
  void Prepare(Task& t);
  // Reserves the node's task database for one status write; returns when it ends.
  sim::Time DbWrite(NodeId n);
  // Reserves the daemon's exit handling on node n for one exited container
  // (one at a time); returns when its exit is handled.
  sim::Time Exited(NodeId n);
  void Created(TaskId id, std::uint32_t epoch);
  void Start(Task& t);
  // Stops t's container; `retry_wait`: the worker was waiting on it
  // (RUNNING), so the shutdown begins after task_retry_backoff.
  void Stop(Task& t, bool retry_wait = false);
  // Task `id` asks its node's libnetwork for teardown turn `turn` (0 revoke,
  // 1 gateway endpoint, 2 overlay endpoint); the node serves turns one at a
  // time, in the order asked.
  void AskTeardown(NodeId n, TaskId id, std::uint8_t turn);
  void NextTeardownTurn(NodeId n);
  bool HasAttachments(const Task& t) const;
  void PollAttachments(TaskId id, std::uint32_t epoch);
  void Reject(Task& t, std::string_view err);

  Swarm& swarm_;
};

}  // namespace swarmplan::model
