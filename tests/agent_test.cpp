// model/agent: the worker's attachment wait, rejections, engine restarts.
#include <catch2/catch.hpp>

#include <map>

#include "helpers.hpp"
#include "planner/plan.hpp"
#include "planner/trial.hpp"

using namespace swarmplan;
using namespace swarmplan::model;
using swarmplan::testing::Cluster;
using swarmplan::testing::Count;
using swarmplan::testing::PerNode;
using swarmplan::testing::S;

TEST_CASE("agent: 30 s attachment wait then REJECTED with the seed's error", "[unit][agent]") {
  auto sc = Cluster(1, 1, "17.06", "10.1.0.0/24", 1);
  sc.nodes[0].availability = Availability::kDrain;  // force w1
  sc.nodes[1].engine = *EngineVersion::Parse("18.09");
  Swarm w(sc, 9);
  w.Deploy();
  w.engine().RunUntil(S(5));
  const Task& t = w.tasks[0];
  REQUIRE(t.state == TaskState::kPreparing);
  CHECK(t.agent.waiting_attach);
  // The wait begins once PREPARING is written to the worker's task
  // database (at least task_db_write.lo after the state changed).
  const sim::Time since = t.agent.wait_start;
  CHECK(since >= t.state_since + sc.timings.task_db_write.lo);
  w.engine().RunUntil(since + S(29.9));
  CHECK(t.state == TaskState::kPreparing);
  w.engine().RunUntil(since + S(30));
  CHECK(t.report.pending);  // the worker gave up at 30 s...
  w.engine().RunUntil(since + S(30.1));  // ...the dispatcher's next batch commits it
  CHECK(t.state == TaskState::kRejected);
  CHECK(t.err == kErrMissingAttachments);
}

TEST_CASE("agent: a desired-state change ends the attachment wait when it reaches the worker", "[unit][agent]") {
  auto sc = Cluster(1, 1, "17.06", "10.1.0.0/24", 1);
  sc.nodes[0].availability = Availability::kDrain;
  sc.nodes[1].engine = *EngineVersion::Parse("18.09");
  Swarm w(sc, 9);
  w.Deploy();
  w.engine().RunUntil(S(5));
  Task& t = w.tasks[0];
  REQUIRE(t.agent.waiting_attach);
  w.SetDesired(t, TaskState::kShutdown);
  CHECK(t.agent.waiting_attach);  // the dispatcher has not sent the change yet
  // Its stream waits for a quiet assignment_quiet, then the message takes
  // dispatch_latency and the worker worker_accept.
  const sim::Time quiet = w.timings().assignment_quiet;
  w.engine().RunUntil(w.Now() + quiet - 1);
  CHECK(t.agent.waiting_attach);  // still held by the stream
  w.engine().RunUntil(w.Now() + 1 + w.timings().dispatch_latency.hi + w.timings().worker_accept.hi);
  CHECK_FALSE(t.agent.waiting_attach);  // the worker got it: the wait ended there and then
  w.engine().RunUntil(w.Now() + w.timings().dispatcher_batch);
  CHECK(t.state == TaskState::kRejected);
  CHECK(t.err == kErrMissingAttachments);
}

TEST_CASE("an engine restart without drain keeps addresses until the node is back", "[unit][agent]") {
  Swarm w(Cluster(1, 1, "18.09", "10.1.0.0/24", 2), 8);
  w.Deploy();
  w.engine().RunUntil(S(10));
  const auto used = w.networks[1].pool.used();
  w.StopEngine(1);
  w.engine().RunUntil(S(12));
  // Still RUNNING in the store: nobody reported otherwise.
  CHECK(w.networks[1].pool.used() >= used);
  w.StartEngine(1);
  w.engine().RunUntil(S(120));
  CHECK(Count(w, TaskState::kRunning) == 2);
  CHECK(w.Converged());
}
