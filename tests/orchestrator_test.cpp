// model/orchestrator: replicated and global services, drains, the restart supervisor.
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

TEST_CASE("drain moves tasks away and nothing rebalances on activate", "[unit][scheduler][orchestrator]") {
  Swarm w(Cluster(1, 2, "18.09", "10.1.0.0/24", 6), 5);
  w.Deploy();
  w.engine().RunUntil(S(20));
  REQUIRE(PerNode(w) == std::vector<int>{2, 2, 2});
  REQUIRE(w.SetAvailability(2, Availability::kDrain));
  w.engine().RunUntil(S(60));
  CHECK(Count(w, TaskState::kRunning) == 6);
  CHECK(Count(w, TaskState::kRunning, 2) == 0);
  CHECK(w.LiveTasksOn(2) == 0);
  REQUIRE(w.SetAvailability(2, Availability::kActive));
  w.engine().RunUntil(S(120));
  CHECK(Count(w, TaskState::kRunning, 2) == 0);  // no rebalancing
  CHECK(w.Converged());
}

TEST_CASE("restart: a replacement waits READY until the old task stops", "[unit][orchestrator]") {
  auto sc = Cluster(1, 1, "18.09", "10.1.0.0/24", 1);
  sc.nodes[0].availability = Availability::kDrain;
  sc.services[0].exits_on_sigterm = false;  // like `busybox sleep`: 2 s unbind + 10 s grace + 2-3.4 s kill
  Swarm w(sc, 4);
  w.Deploy();
  w.engine().RunUntil(S(10));
  REQUIRE(w.tasks[0].state == TaskState::kRunning);
  REQUIRE(w.SetAvailability(0, Availability::kActive));
  REQUIRE(w.SetAvailability(1, Availability::kDrain));
  const sim::Time t0 = w.Now();
  w.engine().RunUntil(t0 + S(5));
  REQUIRE(w.tasks.size() == 2);
  const Task& repl = w.tasks[1];
  CHECK(repl.desired == TaskState::kReady);
  CHECK(repl.state == TaskState::kReady);
  CHECK(w.tasks[0].state == TaskState::kRunning);  // still in its grace period
  w.engine().RunUntil(t0 + S(20));
  CHECK(w.tasks[0].state == TaskState::kShutdown);
  CHECK(repl.desired == TaskState::kRunning);
  CHECK(repl.state == TaskState::kRunning);
}

TEST_CASE("global services: one task per active node - removed by drain - back on activate", "[unit][orchestrator]") {
  auto sc = Cluster(1, 2, "18.09", "10.1.0.0/24", 0);
  sc.services[0].mode = ServiceMode::kGlobal;
  Swarm w(sc, 2);
  w.Deploy();
  w.engine().RunUntil(S(10));
  CHECK(Count(w, TaskState::kRunning) == 3);
  REQUIRE(w.SetAvailability(2, Availability::kDrain));
  w.engine().RunUntil(S(30));
  CHECK(Count(w, TaskState::kRunning) == 2);
  CHECK(w.Converged());
  REQUIRE(w.SetAvailability(2, Availability::kActive));
  w.engine().RunUntil(S(50));
  CHECK(Count(w, TaskState::kRunning) == 3);
}

TEST_CASE("restart: a replacement rejected during its delayed start is replaced only when that start ends", "[unit][orchestrator]") {
  // /28: 16 - 3 reserved - 1 VIP - m1's load balancer = 11 for 8 tasks on
  // m1 (w1 drained at deploy). Then w1 is activated and m1 drained: the old
  // tasks ignore SIGTERM for 120 s, so the replacements wait READY; three
  // get addresses, go to w1, find no address left for w1's load balancer
  // and are rejected after the 30 s wait, while their delayed start (which
  // waits for the old task to stop, at most one minute) is still pending.
  // swarmkit's supervisor (restart.go, Supervisor.Restart -> waitRestart)
  // creates their next replacements only when that delayed start ends, at
  // one minute, not at once.
  auto sc = Cluster(1, 1, "18.09", "10.1.0.0/28", 8);
  sc.nodes[1].availability = Availability::kDrain;
  sc.services[0].exits_on_sigterm = false;
  sc.services[0].stop_grace_period = S(120);
  Swarm w(sc, 11);
  w.Deploy();
  w.engine().RunUntil(S(20));
  REQUIRE(Count(w, TaskState::kRunning, 0) == 8);
  REQUIRE(w.SetAvailability(1, Availability::kActive));
  REQUIRE(w.SetAvailability(0, Availability::kDrain));
  const sim::Time t0 = w.Now();
  w.engine().RunUntil(t0 + S(58));
  std::map<std::uint32_t, int> created_since_drain;
  int rejected = 0;
  for (const Task& t : w.tasks) {
    if (t.created >= t0) ++created_since_drain[t.slot];
    rejected += t.state == TaskState::kRejected;
  }
  CHECK(rejected >= 1);  // the situation arose
  for (const auto& [slot, n] : created_since_drain) {
    INFO("slot " << slot);
    CHECK(n == 1);  // one replacement per slot until the delayed starts end
  }
  // When the delayed starts end, the rejected ones are replaced.
  w.engine().RunUntil(t0 + S(70));
  int replaced_again = 0;
  for (const Task& t : w.tasks) replaced_again += t.created >= t0 + S(58);
  CHECK(replaced_again >= 1);
}

TEST_CASE("services: scale up and down - remove - create later", "[unit][orchestrator]") {
  auto sc = Cluster(1, 2, "18.09", "10.1.0.0/24", 6);
  sc.nodes[0].availability = Availability::kDrain;
  model::ServiceSpec later;
  later.name = "later";
  later.replicas = 2;
  later.networks = {"net"};
  later.deployed = false;
  sc.services.push_back(later);
  Swarm w(sc, 7);
  w.Deploy();
  w.engine().RunUntil(S(10));
  CHECK(Count(w, TaskState::kRunning) == 6);
  const std::uint64_t used = w.networks[1].pool.used();  // 3 reserved + 1 VIP + 6 tasks + 2 LB
  CHECK(used == 12);
  // Scale up: new slots 7 and 8 get tasks.
  REQUIRE(w.ScaleService(0, 8));
  w.engine().RunUntil(S(20));
  CHECK(Count(w, TaskState::kRunning) == 8);
  CHECK(w.services[0].slots.size() == 8);
  // Scale down to 3: the copies on the node with most copies go first,
  // leaving 2 / 1 (or 1 / 2), and their addresses come back.
  REQUIRE(w.ScaleService(0, 3));
  w.engine().RunUntil(S(40));
  auto per = PerNode(w);
  CHECK(per[1] + per[2] == 3);
  CHECK(std::abs(per[1] - per[2]) == 1);
  CHECK(w.Converged());
  CHECK(w.networks[1].pool.used() == 3 + 1 + 3 + 2);
  // Scale up again: retired slots are reused first.
  REQUIRE(w.ScaleService(0, 5));
  w.engine().RunUntil(S(60));
  CHECK(w.services[0].slots.size() == 8);
  CHECK(Count(w, TaskState::kRunning) == 5);
  // Create the second service: a VIP and two task addresses.
  REQUIRE(w.CreateService(1));
  w.engine().RunUntil(S(80));
  CHECK(w.services[1].running == 2);
  CHECK(w.networks[1].pool.used() == 3 + 2 + 5 + 2 + 2);
  CHECK_FALSE(w.CreateService(1));  // already there
  // Remove the first: its tasks end and its VIP is freed.
  REQUIRE(w.RemoveService(0));
  w.engine().RunUntil(S(100));
  CHECK(w.services[0].running == 0);
  CHECK(w.Converged());
  CHECK(w.networks[1].pool.used() == 3 + 1 + 2 + 2);
  CHECK_FALSE(w.ScaleService(0, 4));  // gone
}
