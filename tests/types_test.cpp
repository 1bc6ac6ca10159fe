// model/types: one name table per enumeration.
#include <catch2/catch.hpp>

#include "model/types.hpp"

using namespace swarmplan;

TEST_CASE("enum names parse and print from one table", "[unit][types]") {
  using namespace swarmplan::model;
  for (auto a : {Availability::kActive, Availability::kPause, Availability::kDrain}) {
    CHECK(ParseName<Availability>(ToString(a)) == a);
  }
  for (int i = 0; i <= static_cast<int>(TaskState::kOrphaned); ++i) {
    const auto st = static_cast<TaskState>(i);
    CHECK(ParseTaskState(ApiName(st)) == st);
    CHECK(ParseTaskState(ToString(st)) == st);
  }
  CHECK_FALSE(ParseName<Role>("Manager"));
  CHECK(NameChoices<RestartCondition>() == "any, on-failure or none");
}
