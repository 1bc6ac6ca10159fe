// What one simulated run counts as it goes: rejections by cause, address
// shortages, and when trouble began. A trial's result carries it whole
// (planner/trial.hpp).
#pragma once

#include <cstdint>

#include "sim/time.hpp"

namespace swarmplan::model {

struct SwarmMetrics {
  std::uint64_t rejected_missing_attachments = 0;
  // Rejected with that error although the node held every address the task
  // needed: the worker had not seen its new attachment yet (the race of
  // docs/swarm-semantics.md section 3). Its replacement runs.
  std::uint64_t rejected_attachment_race = 0;
  std::uint64_t rejected_swarm_inactive = 0;
  std::uint64_t failed_other = 0;
  std::uint64_t allocation_failures = 0;       // task stayed NEW for want of addresses
  std::uint64_t attachment_failures = 0;       // node LB address could not be allocated
  std::uint64_t max_unallocated = 0;           // most tasks stuck NEW at once
  sim::Time first_reject_time = -1;
  sim::Time last_reject_time = -1;
  sim::Time first_shortage_time = -1;          // first allocation or attachment failure
  std::uint64_t rejected_total() const {
    return rejected_missing_attachments + rejected_attachment_race + rejected_swarm_inactive;
  }
};

}  // namespace swarmplan::model
