// planner/capacity: the address budget on paper.
#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "planner/capacity.hpp"
#include "planner/plan.hpp"

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
