// model/allocator: task, VIP and node load-balancer addresses.
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

TEST_CASE("allocator: task addresses at NEW - node LB at assignment - freed when empty", "[unit][allocator]") {
  Swarm w(Cluster(1, 1, "18.09", "10.1.0.0/24", 2), 2);
  w.Deploy();
  const auto& pool = w.networks[1].pool;
  CHECK(pool.used() == 3 + 1);  // VIP at service create
  w.engine().RunUntil(S(0.03));  // allocator batch ran, scheduler not yet
  CHECK(Count(w, TaskState::kPending) == 2);
  CHECK(pool.used() == 3 + 1 + 2);
  CHECK(w.nodes[0].attach[1] == kNoAddr);
  w.engine().RunUntil(S(10));
  CHECK(Count(w, TaskState::kRunning) == 2);
  CHECK(w.nodes[0].attach[1] != kNoAddr);
  CHECK(w.nodes[1].attach[1] != kNoAddr);
  CHECK(pool.used() == 3 + 1 + 2 + 2);
  REQUIRE(w.SetAvailability(1, Availability::kDrain));
  w.engine().RunUntil(S(30));
  CHECK(w.nodes[1].attach[1] == kNoAddr);
  CHECK(pool.used() == 3 + 1 + 2 + 1);
  CHECK(w.nodes[1].attach[0] != kNoAddr);  // ingress stays
}

TEST_CASE("LB addresses follow the leader's engine", "[unit][allocator]") {
  auto old = Cluster(1, 2, "17.06", "10.1.0.0/24", 1);
  Swarm a(old, 1);
  a.Deploy();
  a.engine().RunUntil(S(10));
  for (const auto& n : a.nodes) CHECK(n.attach[1] == kNoAddr);

  auto mid = Cluster(1, 2, "18.06", "10.1.0.0/24", 1);
  mid.nodes[2].availability = Availability::kDrain;
  Swarm b(mid, 1);
  b.Deploy();
  b.engine().RunUntil(S(10));
  for (const auto& n : b.nodes) CHECK(n.attach[1] != kNoAddr);  // drained included
}

TEST_CASE("a task no address can serve stays NEW and is retried when one frees", "[unit][allocator]") {
  // /29: 8 - 3 reserved - 1 VIP = 4; five replicas on an old leader.
  Swarm w(Cluster(1, 0, "17.06", "10.1.0.0/29", 5), 1);
  w.Deploy();
  w.engine().RunUntil(S(10));
  CHECK(Count(w, TaskState::kRunning) == 4);
  CHECK(Count(w, TaskState::kNew) == 1);
  CHECK(w.metrics.allocation_failures >= 1);
  // Stop a running task: its address frees and the waiting task takes it.
  for (auto& t : w.tasks) {
    if (t.state == TaskState::kRunning) {
      w.SetState(t, TaskState::kFailed, "test");
      break;
    }
  }
  w.engine().RunUntil(S(30));
  CHECK(Count(w, TaskState::kRunning) == 4);
  CHECK(Count(w, TaskState::kNew) == 1);  // the failed task's replacement now waits
}
