// Swarm::CheckInvariants (model/invariants.cpp): it holds along real runs
// (every test runs it after every event) and it catches each kind of broken
// bookkeeping it claims to.
#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "model/operator.hpp"
#include "model/swarm.hpp"

using namespace swarmplan;
using namespace swarmplan::model;
using swarmplan::testing::Cluster;

namespace {

std::string Broken(const Swarm& w) { return w.CheckInvariants().value_or("holds"); }

}  // namespace

TEST_CASE("invariants: hold through a drain and an upgrade, and name what breaks", "[unit][invariants]") {
  CHECK(InvariantChecks() == 1);  // the tests' main turned them on for every swarm
  Scenario s = Cluster(3, 2, "20.10", "10.1.0.0/27", 20);
  s.networks[0].held = {s.networks[0].subnet.base + 20};
  Swarm w(s, 7);
  Operator op(w);
  w.Deploy();
  REQUIRE(op.WaitConverged());
  REQUIRE(op.Drain(3));
  REQUIRE(op.Stop(3));
  REQUIRE(op.Install(3, *EngineVersion::Parse("24.0")));
  REQUIRE(op.Start(3));
  op.WaitConverged();
  CHECK(Broken(w) == "holds");

  SECTION("an address taken with no holder") {
    w.networks[1].pool.Allocate();
    CHECK(Broken(w).find("taken in the pool") != std::string::npos);
  }
  SECTION("an address with two holders") {
    Node& a = w.nodes[0];
    Node& b = w.nodes[1];
    REQUIRE(a.attach[1] != kNoAddr);
    b.attach[1] = a.attach[1];
    CHECK(Broken(w).find("has two holders") != std::string::npos);
  }
  SECTION("a holder whose address is free") {
    for (Task& t : w.tasks) {
      if (t.allocated && t.addrs.size() > 0) {
        w.networks[t.service == 0 ? 1 : 1].pool.Release(t.addrs[0]);
        break;
      }
    }
    CHECK(Broken(w).find("free in the pool") != std::string::npos);
  }
  SECTION("a node's task counts") {
    ++w.nodes[0].net_tasks[1];
    CHECK(Broken(w).find("tasks counted on net") != std::string::npos);
  }
  SECTION("the scheduler's counts") {
    ++w.nodes[4].sched.active_tasks;
    CHECK(Broken(w).find("the scheduler counts") != std::string::npos);
  }
  SECTION("a service's running count") {
    ++w.services[0].running;
    CHECK(Broken(w).find("counted running") != std::string::npos);
  }
  SECTION("the leader") {
    w.nodes[w.leader()].engine_running = false;
    CHECK(Broken(w).find("is not a running manager") != std::string::npos);
  }
}
