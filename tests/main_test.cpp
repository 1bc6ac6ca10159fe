// The tests' main: every simulated swarm checks its invariants after every
// event (model/invariants.cpp), so a change that breaks the store's
// bookkeeping fails at the event that broke it. SWARMPLAN_NO_INVARIANTS=1
// turns the checks off (to time a test as a plan would run it).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string_view>

#include "model/swarm.hpp"

int main(int argc, char* argv[]) {
  const char* off = std::getenv("SWARMPLAN_NO_INVARIANTS");
  swarmplan::model::SetInvariantChecks(off != nullptr && std::string_view(off) == "1" ? 0 : 1);
  return Catch::Session().run(argc, argv);
}
