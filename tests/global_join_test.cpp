// A global service on a full overlay when a node joins (docs/swarm-semantics.md
// section 9): the new node's global task is allocated first and takes the
// last address; the node's load balancer, derived from its tasks' network
// attachments once allocated (swarmkit getNodeNetworks), finds none. The
// task waits 30 s and is rejected; each replacement takes the freed address
// back, waits through its delayed start, and is rejected when its desired
// state turns running: again and again, about every 5 s, for good.
// Real, 4 of 4 runs on the harness: 3-4 rejections by +45 s, 12 by +90 s,
// 24 by +150 s, nothing else moves.
#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "model/operator.hpp"
#include "model/swarm.hpp"
#include "planner/plan.hpp"
#include "planner/trial.hpp"

using namespace swarmplan;
using namespace swarmplan::model;
using swarmplan::testing::Cluster;
using swarmplan::testing::S;

namespace {

Scenario FullWithSpare() { return swarmplan::testing::GlobalFullWithSpare(); }

int Rejected(const Swarm& w, ServiceId s) {
  int c = 0;
  for (const Task& t : w.tasks) c += t.service == s && t.state == TaskState::kRejected;
  return c;
}

}  // namespace

TEST_CASE("global service on a full overlay: the joining node's task is rejected again and again",
          "[unit][membership][allocator]") {
  int raced = 0;
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    INFO("reproduce: seed " << seed);
    Swarm w(FullWithSpare(), seed);
    Operator op(w);
    w.Deploy();
    REQUIRE(op.WaitConverged());
    REQUIRE(w.networks[1].pool.free() == 1);
    REQUIRE(op.Join(4, Role::kWorker));
    const sim::Time joined = w.Now();
    op.Sleep(S(45) - (w.Now() - joined));
    const int at45 = Rejected(w, 1);
    op.Sleep(S(90) - (w.Now() - joined));
    const int at90 = Rejected(w, 1);
    op.Sleep(S(150) - (w.Now() - joined));
    const int at150 = Rejected(w, 1);
    // The first waits its 30 s, then one about every 5 s. Unless the first
    // reached PREPARING before the new engine's libnetwork took swarm
    // networks (the race of a started engine, Timings::swarm_active_after_ready,
    // docs/swarm-semantics.md): then it is rejected at once ("swarm is not
    // active") and the 5 s rounds begin 30 s sooner.
    const Task* first = nullptr;
    for (const Task& t : w.tasks) {
      if (t.service == 1 && t.state == TaskState::kRejected && (!first || t.state_since < first->state_since)) first = &t;
    }
    REQUIRE(first);
    struct Counts {
      int at45_lo, at45_hi, at90_lo, at90_hi, at150_lo, at150_hi;
    };
    const bool race = first->err == kErrSwarmNotActive;
    raced += race;
    const Counts c = race ? Counts{7, 10, 15, 19, 26, 31} : Counts{2, 5, 9, 14, 20, 27};
    INFO("first rejection: " << first->err);
    CHECK(at45 >= c.at45_lo);
    CHECK(at45 <= c.at45_hi);
    CHECK(at90 >= c.at90_lo);
    CHECK(at90 <= c.at90_hi);
    CHECK(at150 >= c.at150_lo);
    CHECK(at150 <= c.at150_hi);
    // The new node never gets its load-balancer address; nothing else moves.
    CHECK(w.nodes[4].attach[1] == kNoAddr);
    CHECK(w.services[0].running == 18);
    CHECK(Rejected(w, 0) == 0);
    CHECK(w.networks[1].pool.free() <= 1);
  }
  // The race is the exception: the real joins (4 of 4) all waited 30 s.
  CHECK(raced <= 2);
}

TEST_CASE("global service on a full overlay: an activated node's task is rejected again and again too",
          "[unit][orchestrator][allocator]") {
  // The same race when a drained node (no task, so no load balancer) is
  // activated: its global task is created then, allocated first, and takes
  // the last address.
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    INFO("reproduce: seed " << seed);
    Scenario s = FullWithSpare();
    s.nodes[4].joined = true;
    s.nodes[4].availability = Availability::kDrain;
    Swarm w(s, seed);
    Operator op(w);
    w.Deploy();
    REQUIRE(op.WaitConverged());
    REQUIRE(w.networks[1].pool.free() == 1);
    REQUIRE(op.SetAvailability(4, Availability::kActive));
    op.Sleep(sim::Sec(150));
    CHECK(Rejected(w, 1) >= 20);
    CHECK(w.nodes[4].attach[1] == kNoAddr);
    CHECK(w.services[0].running == 18);
  }
}

TEST_CASE("a plan that rejects forever says so, with the rate", "[unit][plan][report]") {
  const Scenario s = FullWithSpare();
  auto p = planner::ParseOrder(s, {"join:w2,wait"}, *EngineVersion::Parse("20.10"), true);
  REQUIRE(p);
  const planner::TrialResult r = planner::RunTrial(s, *p, 3, {});
  CHECK_FALSE(r.converged);
  // Over the final wait (converge_timeout), one rejection about every 5 s.
  REQUIRE(r.tail_s > 0);
  const double per_hour = static_cast<double>(r.tail_rejections) / r.tail_s * 3600;
  CHECK(per_hour > 500);
  CHECK(per_hour < 900);
}
