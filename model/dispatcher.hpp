// Dispatcher: the managers' side of the conversation with the workers
// (swarmkit manager/dispatcher/dispatcher.go). Two streams:
//  - the assignment stream to each node (Assignments): tasks assigned to a
//    node or whose desired state changed are sent in one message once the
//    changes go quiet for assignment_quiet, or at once at the 100th change;
//    a message arrives dispatch_latency later, and one sent while another
//    is on its way goes with it;
//  - the status reports from the workers (UpdateTaskStatus): each arrives
//    over the worker's reporter, one after another (agent/reporter.go), and
//    waits for the dispatcher's next batch (processUpdates, every
//    dispatcher_batch), which commits all of them in one transaction in Go
//    map order.
// Its state per node and per task lives in Node::dispatch and
// Task::report; only this class writes them.
#pragma once

#include <string_view>
#include <vector>

#include "model/types.hpp"
#include "sim/time.hpp"

namespace swarmplan::model {

class Swarm;
struct Task;

class Dispatcher {
 public:
  // Draws where in its period the dispatcher's next batch falls (it has
  // been batching since long before the run).
  explicit Dispatcher(Swarm& swarm);

  // Task t was assigned to its node, or its desired state changed: the
  // node's assignment stream carries it in its next message.
  void Assigned(const Task& t);
  void Modified(NodeId n, TaskId id);

  // A worker reports that a task ended (a terminal state). The store sees
  // it at the next batch: every report of one batch lands in the store
  // together, which is what the allocator then reads (a node whose waiting
  // tasks were all rejected in one batch no longer needs its load-balancer
  // address). `err` is static text.
  void Report(Task& t, TaskState s, std::string_view err = {});
  // A worker's report of a task's progress (ACCEPTED .. RUNNING) reaches
  // the store with the next batch, where the allocator sees it as an
  // update of a task on its node.
  void ReportProgress(Task& t);
  // Node n's session is back after a partition: its reporter sends what
  // it could not (model/faults.hpp).
  void SessionBack(NodeId n);

 private:
  void SendStream(NodeId n);
  void Send(const Task& t, bool progress);
  // The next batch after now (dispatcher_batch apart, each late by
  // dispatcher_tick_late).
  sim::Time NextTick();
  void Flush();

  struct PendingReport {
    TaskId id;
    bool progress;
  };
  Swarm& swarm_;
  sim::Time next_tick_ = 0;
  std::vector<PendingReport> reports_;  // arrived, waiting for the next batch
  std::vector<PendingReport> batch_;    // scratch: the batch being committed
  std::vector<TaskId> message_;         // scratch: the message arriving
};

}  // namespace swarmplan::model
