// Shards: a share of a run's trials as a JSON document, so that trials run
// on several machines (`plan --shard I/N --json`) merge (`merge`) into the
// report a single run gives. A share holds what the run was (seed, trials,
// scenario, plan, the reproduce line's words, --at, whether sensitivity and
// fixes were asked for) and one record per trial; TrialFromJson reads
// exactly what TrialToJson writes, MergeShares exactly what ShareToJson
// writes, and checks the shares are of one run, whole and not overlapping.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/scenario.hpp"
#include "planner/plan.hpp"
#include "planner/trial.hpp"
#include "planner/runner.hpp"
#include "planner/trial_stats.hpp"

namespace swarmplan::planner {

nlohmann::json TrialToJson(const TrialResult& t);
// The error names the field that is missing or of the wrong type.
std::expected<TrialResult, std::string> TrialFromJson(const nlohmann::json& j);

// What a run was, as each of its shares says.
struct ShareHead {
  std::uint64_t seed = 1;
  std::uint64_t trials_total = 0;
  std::uint64_t index = 0, count = 1;  // share `index` of `count`
  TrialRange range;                    // its trials
  model::Scenario scenario;
  Plan plan;
  // The reproduce line's words (a FILE, then flag-value pairs): merge
  // quotes them itself and never prints a line a share could forge.
  std::vector<std::string> reproduce_args;
  bool has_reproduce_args = true;  // false: a share from before they were written
  bool sensitivity = true, fixes = true;
  std::vector<sim::Time> at;  // `--at`
};

nlohmann::json ShareToJson(const ShareHead& h, const std::vector<TrialResult>& results);

struct MergedRun {
  ShareHead head;  // the run's (range: every trial)
  TrialStats stats;
};
// Reads the share files at `paths` back into one run. `is_flag`: the flags
// a reproduce line may repeat (anything else in reproduce_args is refused).
// The error names the file and field, or the trials missing or overlapping.
std::expected<MergedRun, std::string> MergeShares(const std::vector<std::string>& paths,
                                                  const std::function<bool(const std::string&)>& is_flag);

}  // namespace swarmplan::planner
