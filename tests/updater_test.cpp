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

namespace {

// 1 manager + 2 workers, `replicas` tasks on "net" (`small`), a second
// overlay "big" defined and unused.
Scenario TwoNetworks(const char* small, const char* big, unsigned replicas) {
  auto sc = Cluster(1, 2, "20.10", small, replicas);
  sc.networks.push_back({"big", *Ipv4Cidr::Parse(big), {}});
  return sc;
}

NetworkId Net(const Swarm& w, const std::string& name) {
  for (NetworkId k = 0; k < w.networks.size(); ++k) {
    if (w.networks[k].name == name) return k;
  }
  return kNoId;
}

}  // namespace

TEST_CASE("network-add / network-rm: a migration to a larger overlay", "[unit][updater]") {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    INFO("reproduce: seed " << seed);
    Swarm w(TwoNetworks("10.1.0.0/27", "10.2.0.0/24", 20), seed);
    Operator op(w);
    w.Deploy();
    REQUIRE(op.WaitConverged());
    const NetworkId small = Net(w, "net"), big = Net(w, "big");
    REQUIRE(w.networks[small].pool.used() == 3 + 1 + 20 + 3);  // reserved, VIP, tasks, one LB per node
    REQUIRE(w.networks[big].pool.used() == 3);
    REQUIRE(op.ChangeNetwork(0, big, /*add=*/true));
    CHECK(w.services[0].update_state == UpdateState::kUpdating);
    REQUIRE(op.WaitConverged());
    // Every task now has an address on both; the service a VIP on both;
    // every node a load balancer on both.
    CHECK(RunningOfVersion(w, 1) == 20);
    CHECK(w.networks[small].pool.used() == 3 + 1 + 20 + 3);
    CHECK(w.networks[big].pool.used() == 3 + 1 + 20 + 3);
    for (const Task& t : w.tasks) {
      if (t.state == TaskState::kRunning) CHECK(t.addrs.size() == 2);
    }
    REQUIRE(op.ChangeNetwork(0, small, /*add=*/false));
    REQUIRE(op.WaitConverged());
    CHECK(RunningOfVersion(w, 2) == 20);
    // Off the small network: its VIP, the tasks' addresses and the nodes'
    // load balancers (no task there needs them) are all free again.
    CHECK(w.networks[small].pool.used() == 3);
    CHECK(w.networks[big].pool.used() == 3 + 1 + 20 + 3);
    CHECK(w.metrics.rejected_total() == 0);
    CHECK_FALSE(w.ChangeNetwork(0, small, false));  // not on it any more
    CHECK_FALSE(w.ChangeNetwork(0, big, true));     // already on it
    // A rollback returns to the networks before the last change.
    REQUIRE(op.RollbackService(0));
    REQUIRE(op.WaitConverged());
    CHECK(w.networks[small].pool.used() == 3 + 1 + 20 + 3);
    CHECK(w.networks[big].pool.used() == 3 + 1 + 20 + 3);
  }
}

TEST_CASE("network-add onto a full overlay: stop-first leaves replicas down", "[unit][updater]") {
  // "big" is a /28: 13 addresses, 16 tasks + VIP + LBs cannot fit. The
  // stop-first update shuts an old task down as it creates the new one, and
  // the new one waits in NEW: the service loses replicas.
  Swarm w(TwoNetworks("10.1.0.0/24", "10.2.0.0/28", 16), 3);
  Operator op(w);
  w.Deploy();
  REQUIRE(op.WaitConverged());
  const NetworkId big = Net(w, "big");
  REQUIRE(op.ChangeNetwork(0, big, true));
  op.Sleep(sim::Minute(5));
  CHECK(w.networks[big].pool.used() == w.networks[big].pool.capacity());
  CHECK(Count(w, TaskState::kNew) > 0);
  CHECK(w.services[0].running < 16);
  CHECK(w.services[0].update_state == UpdateState::kUpdating);
}

TEST_CASE("network-add / network-rm: plan words, checks, a trial and the dry run", "[unit][updater]") {
  auto sc = TwoNetworks("10.1.0.0/27", "10.2.0.0/24", 20);
  const auto to = *EngineVersion::Parse("20.10");
  const std::vector<std::string> words{"network-add:svc:big", "wait", "network-rm:svc:net", "wait"};
  auto p = planner::ParseOrder(sc, words, to, true);
  REQUIRE(p);
  CHECK(p->steps[0].action == planner::Action::kNetworkAdd);
  CHECK(p->steps[0].network == 1);
  CHECK(p->steps[2].action == planner::Action::kNetworkRm);
  CHECK(p->steps[0].Describe(sc) == "add svc to network big");
  CHECK(planner::CheckPlan(sc, *p));
  CHECK(planner::PlanWords(sc, *p) == words);
  const auto r = planner::RunTrial(sc, *p, 1, {});
  CHECK_FALSE(r.plan_failed);
  CHECK(r.converged);
  CHECK(r.metrics.rejected_total() == 0);
  REQUIRE(r.networks.size() == 2);
  CHECK(r.networks[0].used_after == 3);   // net: nothing left
  CHECK(r.networks[1].used_after == 27);  // big: VIP, 20 tasks, 3 LBs, 3 reserved

  const auto err = [&](std::vector<std::string> w) {
    auto q = planner::ParseOrder(sc, w, to, true);
    if (!q) return q.error();
    auto c = planner::CheckPlan(sc, *q);
    return c ? std::string() : c.error();
  };
  CHECK(err({"network-add:svc"}).find("write network-add:SERVICE:NETWORK") != std::string::npos);
  CHECK(err({"network-add:svc:nope"}).find("no overlay network is named \"nope\"") != std::string::npos);
  CHECK(err({"network-add:nope:big"}).find("no service is named \"nope\"") != std::string::npos);
  CHECK(err({"network-add:svc:net"}).find("already on net") != std::string::npos);
  CHECK(err({"network-rm:svc:big"}).find("not on big") != std::string::npos);
  CHECK(err({"network-rm:svc:net", "network-rm:svc:net"}).find("step 2") != std::string::npos);
}

TEST_CASE("update_to: an update rolls out a new restart policy, grace period and reservations", "[unit][updater]") {
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    INFO("reproduce: seed " << seed);
    auto sc = Cluster(1, 2, "20.10", "10.1.0.0/24", 6);
    for (auto& n : sc.nodes) n.memory_bytes = 1024LL << 20;
    sc.services[0].reserve_memory_bytes = 100LL << 20;
    sc.services[0].stop_grace_period = sim::Sec(10);
    sc.services[0].exits_on_sigterm = false;  // every stop takes the whole grace period
    auto to = std::make_shared<ServiceSpec>(sc.services[0]);
    to->reserve_memory_bytes = 300LL << 20;
    to->stop_grace_period = sim::Sec(1);
    to->restart_condition = RestartCondition::kNone;
    sc.services[0].update_to = to;
    Swarm w(sc, seed);
    w.Deploy();
    w.engine().RunUntil(sim::Sec(30));
    REQUIRE(RunningOfVersion(w, 0) == 6);
    std::int64_t reserved = 0;
    for (const Node& n : w.nodes) reserved += n.sched.reserved_memory;
    CHECK(reserved == 6 * (100LL << 20));
    REQUIRE(w.UpdateService(0));
    const Service& s = w.services[0];
    CHECK(s.spec.reserve_memory_bytes == 300LL << 20);
    CHECK_FALSE(s.spec.update_to);
    CHECK(s.SpecOf(0).reserve_memory_bytes == 100LL << 20);  // the old tasks keep theirs
    CHECK(s.SpecOf(1).stop_grace_period == sim::Sec(1));
    // The first old task stops with its own grace period (10 s, SIGTERM
    // ignored), not the new spec's 1 s.
    sim::Time first_stop = -1;
    for (sim::Time t = w.Now(); t < w.Now() + sim::Minute(3) && first_stop < 0; t += sim::Ms(100)) {
      w.engine().RunUntil(t);
      for (const Task& k : w.tasks) {
        if (k.version == 0 && IsTerminal(k.state)) first_stop = t;
      }
    }
    CHECK(first_stop >= sim::Sec(30) + sim::Sec(10));
    w.engine().RunUntil(sim::Minute(6));
    CHECK(RunningOfVersion(w, 1) == 6);
    reserved = 0;
    for (const Node& n : w.nodes) reserved += n.sched.reserved_memory;
    CHECK(reserved == 6 * (300LL << 20));
    // A rollback returns the fields too.
    REQUIRE(w.RollbackService(0));
    CHECK(w.services[0].spec.reserve_memory_bytes == 100LL << 20);
    CHECK(w.services[0].spec.restart_condition == RestartCondition::kAny);
    w.engine().RunUntil(sim::Minute(12));
    CHECK(RunningOfVersion(w, 2) == 6);
    reserved = 0;
    for (const Node& n : w.nodes) reserved += n.sched.reserved_memory;
    CHECK(reserved == 6 * (100LL << 20));
  }
}

TEST_CASE("update_to: a change of the placement alone replaces only the tasks it no longer allows", "[unit][updater]") {
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    INFO("reproduce: seed " << seed);
    auto sc = Cluster(1, 2, "20.10", "10.1.0.0/24", 6);
    sc.nodes[2].labels["zone"] = "b";
    auto to = std::make_shared<ServiceSpec>(sc.services[0]);
    to->constraints.push_back(*Constraint::Parse("node.labels.zone!=b"));
    sc.services[0].update_to = to;
    Swarm w(sc, seed);
    w.Deploy();
    w.engine().RunUntil(sim::Sec(30));
    REQUIRE(RunningOfVersion(w, 0) == 6);
    const int on_b = Count(w, TaskState::kRunning, 2);
    REQUIRE(on_b > 0);
    REQUIRE(w.UpdateService(0));
    w.engine().RunUntil(sim::Minute(4));
    CHECK(Count(w, TaskState::kRunning, 2) == 0);
    CHECK(RunningOfVersion(w, 0) == 6 - on_b);  // the others stay as they are
    CHECK(RunningOfVersion(w, 1) == on_b);
    CHECK(w.services[0].update_state == UpdateState::kCompleted);
  }
}
