// planner/capacity: the address budget on paper.
#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "planner/capacity.hpp"
#include "planner/plan.hpp"
#include "planner/report.hpp"
#include "planner/runner.hpp"

using namespace swarmplan;

TEST_CASE("the address budget after the plan counts the nodes it activates", "[unit][capacity]") {
  model::Scenario s = testing::Cluster(1, 3, "18.09", "10.1.0.0/27", 20);
  s.nodes[3].availability = model::Availability::kDrain;  // w3 drained at the start
  auto p = planner::ParseOrder(s, {"activate:w3,wait"}, {18, 9}, true);
  REQUIRE(p);
  const auto before_only = planner::Budget(s, {18, 9}, {18, 9});
  const auto with_plan = planner::Budget(s, {18, 9}, {18, 9}, &*p);
  CHECK(before_only[0].lb_after == 3);
  CHECK(with_plan[0].lb_before == 3);
  CHECK(with_plan[0].lb_after == 4);  // w3 takes tasks once active, and an address
  CHECK(with_plan[0].free_after() == with_plan[0].free_before() - 1);
}

TEST_CASE("the address budget counts held addresses: a full /27 never fits", "[unit][capacity]") {
  model::Scenario s = testing::Cluster(3, 2, "17.06", "10.0.0.0/27", 24);
  // Every address of the /27 but the 3 reserved is held by something the
  // model does not simulate (as import writes tasks on their way out).
  const auto& net = s.networks[0];
  for (std::uint32_t off = 2; off < net.subnet.size() - 1; ++off) s.networks[0].held.push_back(net.subnet.base + off);
  REQUIRE(s.Validate());
  const auto b = planner::Budget(s, {17, 6}, {18, 9});
  REQUIRE(b.size() == 1);
  CHECK(b[0].held == 29);
  CHECK(b[0].free_before() < 0);
  CHECK(b[0].free_after() < 0);
  CHECK(b[0].Sum(false).find("- 29 held") != std::string::npos);
  const auto r = planner::Aggregate(s, planner::DefaultPlan(s, {18, 9}), 1,
                                    planner::RunTrials(s, planner::DefaultPlan(s, {18, 9}), 1, {0, 4}, 1));
  for (const std::string& f : r.paper_fixes) CHECK(f.find("run at most") == std::string::npos);
}
