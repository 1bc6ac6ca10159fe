// model/scheduler: placement, spreading, failure underweighting, batches.
#include <catch2/catch.hpp>

#include <map>

#include "helpers.hpp"
#include "model/node_heap.hpp"
#include "planner/plan.hpp"
#include "planner/trial.hpp"

using namespace swarmplan;
using namespace swarmplan::model;
using swarmplan::testing::Cluster;
using swarmplan::testing::Count;
using swarmplan::testing::PerNode;
using swarmplan::testing::S;

TEST_CASE("the scheduler's node heap gives its entries back in key order, whatever the shape", "[unit][scheduler]") {
  // Few ranks and few tie values, so equal (rank, tie) pairs are common and
  // the node must decide; pushes, pops and a heapify interleaved.
  sim::Rng rng(5);
  NodeHeap heap, built;
  std::vector<NodeEntry> all;
  for (int i = 0; i < 2000; ++i) {
    const NodeEntry e{rng.Below(6), static_cast<std::uint32_t>(rng.Below(3)), static_cast<NodeId>(rng.Below(50))};
    heap.push(e);
    built.append(e);
    all.push_back(e);
    if (i % 7 == 6) {  // take the least out now and then
      const auto least = std::min_element(all.begin(), all.end());
      REQUIRE(heap.top().key() == least->key());
      heap.pop();
      all.erase(least);
    }
  }
  REQUIRE(heap.size() == all.size());
  built.Heapify();
  std::sort(all.begin(), all.end());
  for (const NodeEntry& e : all) {
    REQUIRE(heap.top().key() == e.key());
    heap.pop();
  }
  CHECK(heap.empty());
  NodeEntry last{0, 0, 0};
  std::size_t n = 0;
  for (; !built.empty(); ++n) {
    CHECK_FALSE(built.top() < last);
    last = built.top();
    built.pop();
  }
  CHECK(n == 2000);
}

TEST_CASE("scheduler spreads a service evenly", "[unit][scheduler]") {
  Swarm w(Cluster(3, 2, "18.09", "10.1.0.0/24", 23), 11);
  w.Deploy();
  w.engine().RunUntil(S(20));
  CHECK(Count(w, TaskState::kRunning) == 23);
  for (int c : PerNode(w)) {
    CHECK(c >= 4);
    CHECK(c <= 5);
  }
}

TEST_CASE("scheduler ties fall out at random", "[unit][scheduler]") {
  // One replica on five equal nodes: where it lands depends on the seed.
  std::set<NodeId> seen;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    Swarm w(Cluster(1, 4, "18.09", "10.1.0.0/24", 1), seed);
    w.Deploy();
    w.engine().RunUntil(S(5));
    for (const auto& t : w.tasks) {
      if (t.node != kNoId) seen.insert(t.node);
    }
  }
  CHECK(seen.size() >= 4);
}

TEST_CASE("a node failing a service 5 times loses to the others", "[unit][scheduler]") {
  // w1 runs 18.09 under a 17.06 leader: every task sent there is rejected.
  auto sc = Cluster(1, 1, "17.06", "10.1.0.0/24", 4);
  sc.nodes[1].engine = *EngineVersion::Parse("18.09");
  Swarm w(sc, 3);
  w.Deploy();
  w.engine().RunUntil(sim::Minute(4));
  std::uint64_t rejected = w.metrics.rejected_missing_attachments;
  CHECK(rejected >= 5);
  CHECK(Count(w, TaskState::kRunning, 0) == 4);  // all on m1 in the end
  CHECK(PerNode(w)[1] == 0);
}

TEST_CASE("scheduler: without failures a batch still spreads evenly", "[unit][scheduler]") {
  auto sc = Cluster(1, 3, "18.09", "10.1.0.0/24", 9);
  sc.nodes[0].availability = Availability::kDrain;
  Swarm w(sc, 3);
  w.Deploy();
  w.engine().RunUntil(S(10));
  const auto per = PerNode(w);
  CHECK(per[1] == 3);
  CHECK(per[2] == 3);
  CHECK(per[3] == 3);
}

TEST_CASE("scheduler: a batch piles onto one node next to a failing one (scheduleNTasksOnNodes)", "[unit][scheduler]") {
  // w2 runs 4 tasks, w1 is activated empty, w3 has 6 recent failures of the
  // service. Scaling 4 -> 16 places 12 tasks in one batch over the nodes
  // sorted [w1 (0), w2 (4), w3 (failing)]: the first pass stays on w1 until
  // w2 is strictly better (w1 at 5), moves to w2, and never moves on to the
  // failing w3, so w2 takes the other 6: 5 / 11 / 0, not the even 8 / 8 a
  // least-loaded choice per task would give.
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    INFO("reproduce: seed " << seed);
    auto sc = Cluster(1, 3, "20.10", "10.1.0.0/24", 4);
    sc.nodes[0].availability = Availability::kDrain;
    sc.nodes[1].availability = Availability::kPause;
    sc.services[0].recent_failures["w3"] = 6;
    Swarm w(sc, seed);
    w.Deploy();
    w.engine().RunUntil(S(20));
    REQUIRE(PerNode(w)[2] == 4);
    REQUIRE(w.SetAvailability(1, Availability::kActive));
    REQUIRE(w.ScaleService(0, 16));
    w.engine().RunUntil(S(40));
    const auto per = PerNode(w);
    CHECK(per[1] == 5);
    CHECK(per[2] == 11);
    CHECK(per[3] == 0);
  }
}
