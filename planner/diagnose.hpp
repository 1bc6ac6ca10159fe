// `swarmplan diagnose`, the simulating half: from a live cluster's state
// (imported, docs/swarm-semantics.md section 12) what happens if nothing is
// done, and the fixes that get every replica running, each proven by
// simulation from that same state before it is offered, with the commands
// to type.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/scenario.hpp"
#include "planner/plan.hpp"

namespace swarmplan::planner {

struct DiagnoseOptions {
  std::uint64_t seed = 1;
  std::uint64_t trials = 200;  // for what happens next
  std::uint64_t fix_trials = 50;  // for each fix's proof
  unsigned threads = 1;
  // Look for fixes even when nothing done converges (the live reading
  // found trouble, e.g. a down node holding addresses).
  bool trouble = false;
};

// What happens if nothing is done, over seeded trials from the live state.
struct Outlook {
  std::uint64_t trials = 0;
  std::uint64_t converges = 0;   // every replica running within the wait
  std::uint64_t rejecting = 0;   // rejects again and again, to the end
  std::uint64_t waiting = 0;     // neither: tasks wait (in NEW, PENDING) for good
  double rejections_per_hour = 0;  // mean over the rejecting trials
  struct End {
    std::string service;
    std::uint32_t desired = 0;
    std::uint32_t running_min = 0, running_max = 0;  // at the end, over the trials
    std::uint32_t new_min = 0, new_max = 0;          // still in NEW at the end
  };
  std::vector<End> ends;
  struct Net {
    std::string network;
    std::uint64_t used_min = 0, used_max = 0;  // addresses in use at the end
  };
  std::vector<Net> nets;
  // "converges", "waits for good", "rejects again and again", or "varies"
  // when no outcome has every trial.
  std::string verdict() const;
};

struct LiveFix {
  std::string kind;   // "node-rm", "pause", "drain", "scale", "migrate"
  std::string what;   // for a person
  std::string cost;
  std::vector<std::string> commands;  // to type, in order
  std::vector<std::string> order;     // the same as plan words (simulate --order)
  std::vector<model::NetworkSpec> new_networks;  // what the order needs beside the live ones
  bool proven = false;                // every trial converged, no step failed
  std::uint64_t trials = 0, failing = 0;
  double p_hi = 1;                    // Wilson 95% upper bound on P(not converging)
  std::uint64_t rejected_max = 0;     // tasks rejected on the way, most in a trial
  double seconds_mean = 0;            // to convergence
};

struct Diagnosis {
  Outlook next;
  std::vector<LiveFix> fixes;  // proven ones, cheapest first; then the rest tried
};

// `tight`: the overlays in trouble (by name).
Diagnosis Diagnose(const model::Scenario& live, const std::vector<std::string>& tight, const DiagnoseOptions& opt);

}  // namespace swarmplan::planner
