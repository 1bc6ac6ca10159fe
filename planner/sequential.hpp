// The default run of an expensive plan: trials in looks, stopped once the
// verdict is decided (a sequential rule, as in Wald's sequential tests:
// a risk far from the line needs fewer trials than one near it).
//
// Trials are the same whatever the stopping point (trial i's seed is
// TrialSeed(base, i)) and statistics merge bit for bit, so a run stopped
// at N trials reports exactly what `--trials N` reports. The rule applies
// only where a run is long: when the first look's trials fire more than
// kSequentialEvents events each on average (about 10 ms a trial). Cheaper
// scenarios run every trial, so their reports do not change. An explicit
// `--trials` always runs that many.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "planner/runner.hpp"

namespace swarmplan::planner {

inline constexpr std::uint64_t kSequentialEvents = 50'000;
inline constexpr std::uint64_t kFirstLook = 100;
// A run with no trial at risk stops at this many: P(at risk) below 1.3%
// (the upper end of the 95% Wilson interval of 0 in 300; the exact
// binomial bound is 1.0%).
inline constexpr std::uint64_t kSafeLook = 300;

struct SequentialRun {
  TrialStats stats;
  std::uint64_t budget = 0;  // the most trials it would have run
  // Empty when every trial of the budget ran; else why it stopped.
  std::string stopped;
};

// Whether the trials so far decide the verdict (see the rule above):
// empty if not, else the reason, in words for the report.
std::string Decided(const TrialStats& st);

// `cheap_events`: the events a trial may fire on average for every trial
// of the budget to run (a test lowers it).
SequentialRun RunSequential(const model::Scenario& s, const Plan& p, std::uint64_t base_seed, std::uint64_t budget,
                            unsigned threads, const std::function<void(std::uint64_t done)>& progress = {},
                            const TrialOptions& opt = {}, std::uint64_t cheap_events = kSequentialEvents);

}  // namespace swarmplan::planner
