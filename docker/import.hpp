// `swarmplan import`: a live swarm as a scenario (also `plan --host` and the
// docker executor's snapshots).
#pragma once

#include <expected>
#include <string>
#include <vector>

#include "docker/api_state.hpp"
#include "model/scenario.hpp"

namespace swarmplan::docker {

struct Imported {
  model::Scenario scenario;
  // What the scenario could not carry, one sentence each (printed to stderr
  // by the commands: nothing is dropped silently).
  std::vector<std::string> notes;
};

// The cluster as a scenario that Validate()s; errors name the object.
std::expected<Imported, std::string> ImportScenario(const ApiState& st);

}  // namespace swarmplan::docker
