// Rolling updates and rollbacks (model/updater.*).
#include <catch2/catch.hpp>

#include <algorithm>

#include "helpers.hpp"
#include "model/operator.hpp"
#include "planner/plan.hpp"
#include "planner/trial.hpp"

using namespace swarmplan;
using namespace swarmplan::model;
using swarmplan::testing::Cluster;
using swarmplan::testing::Count;

namespace {

int RunningOfVersion(const Swarm& w, std::uint32_t version) {
  int n = 0;
  for (const Task& t : w.tasks) n += t.state == TaskState::kRunning && t.version == version;
  return n;
}

// Runs until the predicate holds, checking every 100 ms; returns the largest
// number of addresses the service's network held on the way.
std::uint64_t PeakUntil(Swarm& w, sim::Time until) {
  std::uint64_t peak = 0;
  for (sim::Time t = w.Now(); t < until; t += sim::Ms(100)) {
    w.engine().RunUntil(t);
    peak = std::max<std::uint64_t>(peak, w.networks[1].pool.used());
  }
  return peak;
}

}  // namespace

TEST_CASE("update: stop-first replaces every task, parallelism at a time", "[unit][updater]") {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    INFO("reproduce: seed " << seed);
    auto sc = Cluster(1, 2, "20.10", "10.1.0.0/24", 6);
    sc.services[0].update.parallelism = 2;
    Swarm w(sc, seed);
    w.Deploy();
    w.engine().RunUntil(sim::Sec(30));
    REQUIRE(RunningOfVersion(w, 0) == 6);
    const std::uint64_t before = w.networks[1].pool.used();  // 3 + VIP + 6 + 3 LB
    REQUIRE(w.UpdateService(0));
    CHECK(w.services[0].update_state == UpdateState::kUpdating);
    CHECK_FALSE(w.Converged());
    // Stop-first: a new task is created (and given an address) in the same
    // commit that shuts the old one down, so up to `parallelism` extra
    // addresses are held while the old tasks stop.
    const std::uint64_t peak = PeakUntil(w, sim::Minute(3));
    CHECK(peak > before);
    CHECK(peak <= before + 2);
    CHECK(RunningOfVersion(w, 1) == 6);
    CHECK(RunningOfVersion(w, 0) == 0);
    CHECK(w.services[0].update_state == UpdateState::kCompleted);
    CHECK(w.Converged());
    CHECK(w.networks[1].pool.used() == before);
  }
}

TEST_CASE("update: start-first on a full network waits forever for an address", "[unit][updater]") {
  // /27: 29 addresses - VIP - 3 node LB = 25 tasks exactly: no spare.
  auto sc = Cluster(1, 2, "20.10", "10.1.0.0/27", 25);
  sc.services[0].update.order = UpdateOrder::kStartFirst;
  SECTION("start-first: the new task stays NEW, the old one keeps running, the update never ends") {
    Swarm w(sc, 3);
    w.Deploy();
    w.engine().RunUntil(sim::Sec(30));
    REQUIRE(RunningOfVersion(w, 0) == 25);
    REQUIRE(w.UpdateService(0));
    w.engine().RunUntil(sim::Minute(10));
    CHECK(RunningOfVersion(w, 0) == 25);
    CHECK(Count(w, TaskState::kNew) == 1);
    CHECK(w.services[0].update_state == UpdateState::kUpdating);
    CHECK_FALSE(w.Converged());
  }
  SECTION("stop-first: each old task's address goes to its successor") {
    sc.services[0].update.order = UpdateOrder::kStopFirst;
    Swarm w(sc, 3);
    w.Deploy();
    w.engine().RunUntil(sim::Sec(30));
    REQUIRE(w.UpdateService(0));
    w.engine().RunUntil(sim::Minute(10));
    CHECK(RunningOfVersion(w, 1) == 25);
    CHECK(w.services[0].update_state == UpdateState::kCompleted);
  }
  SECTION("start-first with one spare address: one slot at a time fits") {
    sc.services[0].replicas = 24;
    Swarm w(sc, 3);
    w.Deploy();
    w.engine().RunUntil(sim::Sec(30));
    REQUIRE(w.UpdateService(0));
    const std::uint64_t peak = PeakUntil(w, sim::Minute(10));
    CHECK(peak == 32);
    CHECK(RunningOfVersion(w, 1) == 24);
    CHECK(w.services[0].update_state == UpdateState::kCompleted);
  }
}

TEST_CASE("update: a rollback returns every slot to the previous spec", "[unit][updater]") {
  auto sc = Cluster(1, 1, "20.10", "10.1.0.0/24", 4);
  sc.services[0].rollback.parallelism = 0;  // all at once
  Swarm w(sc, 5);
  w.Deploy();
  w.engine().RunUntil(sim::Sec(20));
  CHECK_FALSE(w.RollbackService(0));  // nothing to roll back to yet
  REQUIRE(w.UpdateService(0));
  w.engine().RunUntil(sim::Minute(2));
  REQUIRE(w.services[0].update_state == UpdateState::kCompleted);
  REQUIRE(w.RollbackService(0));
  CHECK(w.services[0].update_state == UpdateState::kRollbackStarted);
  w.engine().RunUntil(sim::Minute(4));
  CHECK(w.services[0].update_state == UpdateState::kRollbackCompleted);
  CHECK(RunningOfVersion(w, 2) == 4);
}

TEST_CASE("update: a failing new task pauses the update (failure_action pause)", "[unit][updater]") {
  // Two nodes on a /27 with one spare address: start-first, parallelism 2:
  // one new task runs, the other waits in NEW... but a new task rejected by
  // its node is a failure. Make the new tasks fail: the only node with room
  // is drained while they prepare, so they are shut down before running
  // (an early termination counts as a failure).
  auto sc = Cluster(1, 2, "20.10", "10.1.0.0/24", 4);
  sc.services[0].update.parallelism = 4;
  sc.services[0].update.monitor = sim::Sec(30);
  Swarm w(sc, 11);
  w.Deploy();
  w.engine().RunUntil(sim::Sec(20));
  REQUIRE(w.UpdateService(0));
  w.engine().RunUntil(w.Now() + sim::Sec(8));  // the new tasks run
  REQUIRE(RunningOfVersion(w, 1) >= 1);
  // A new task that ends within the monitor period counts as a failure.
  const NodeId victim = [&] {
    for (const Task& t : w.tasks) {
      if (t.version == 1 && t.state == TaskState::kRunning) return t.node;
    }
    return kNoId;
  }();
  REQUIRE(victim != kNoId);
  REQUIRE(w.SetAvailability(victim, Availability::kDrain));
  w.engine().RunUntil(w.Now() + sim::Minute(1));
  CHECK(w.services[0].update_state == UpdateState::kPaused);

  SECTION("failure_action rollback rolls it back instead") {
    sc.services[0].update.failure_action = FailureAction::kRollback;
    Swarm r(sc, 11);
    r.Deploy();
    r.engine().RunUntil(sim::Sec(20));
    REQUIRE(r.UpdateService(0));
    r.engine().RunUntil(r.Now() + sim::Sec(8));
    REQUIRE(r.SetAvailability(victim, Availability::kDrain));
    r.engine().RunUntil(r.Now() + sim::Minute(2));
    CHECK(r.services[0].update_state == UpdateState::kRollbackCompleted);
    CHECK(r.services[0].version == 2);
  }
}

TEST_CASE("update: plan words, checks and a trial", "[unit][updater]") {
  auto sc = Cluster(1, 2, "20.10", "10.1.0.0/24", 6);
  const auto to = *EngineVersion::Parse("20.10");
  auto p = planner::ParseOrder(sc, {"update:svc", "wait", "rollback:svc", "wait"}, to, true);
  REQUIRE(p);
  REQUIRE(p->steps.size() == 4);
  CHECK(p->steps[0].action == planner::Action::kUpdate);
  CHECK(p->steps[2].action == planner::Action::kRollback);
  CHECK_FALSE(p->Upgrades());
  CHECK(planner::CheckPlan(sc, *p));
  CHECK(planner::PlanWords(sc, *p) == std::vector<std::string>{"update:svc", "wait", "rollback:svc", "wait"});
  auto alone = planner::ParseOrder(sc, {"rollback:svc"}, to, true);
  REQUIRE(alone);
  auto refused = planner::CheckPlan(sc, *alone);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().find("no previous spec to roll back to") != std::string::npos);
  sc.services[0].previous_spec = true;  // the cluster has one (import)
  CHECK(planner::CheckPlan(sc, *alone));
  CHECK_FALSE(planner::ParseOrder(sc, {"update:nope"}, to, true));
  CHECK_FALSE(planner::ParseOrder(sc, {"update:"}, to, true));

  const auto r = planner::RunTrial(sc, *p, 1, {});
  CHECK_FALSE(r.plan_failed);
  CHECK(r.converged);
  CHECK(r.metrics.rejected_total() == 0);
}
