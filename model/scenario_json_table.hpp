// The one table of a scenario file's keys, shared by the reader
// (scenario_json.cpp), the writer (scenario_json_write.cpp) and the
// documentation test (ScenarioFieldNames). Internal to model/.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "model/scenario.hpp"

namespace swarmplan::model::keys {

constexpr std::int64_t kMaxMs = 7LL * 24 * 3600 * 1000;  // a week

extern const std::vector<std::string_view> kTopKeys;
extern const std::vector<std::string_view> kNetworkKeys;
extern const std::vector<std::string_view> kNodeKeys;
extern const std::vector<std::string_view> kServiceKeys;
extern const std::vector<std::string_view> kUpdateToKeys;
extern const std::vector<std::string_view> kContainerKeys;
extern const std::vector<std::string_view> kUpdateConfigKeys;
extern const std::vector<std::string_view> kRestartKeys;
extern const std::vector<std::string_view> kTaskKeys;
extern const std::vector<std::string_view> kUpgradeKeys;

// The timings, one row each: the reader and the writer walk this table.
struct TimingField {
  std::string_view key;
  Range Timings::*range = nullptr;      // a number or [low, high]
  sim::Time Timings::*time = nullptr;   // a number of milliseconds
  int Timings::*count = nullptr;        // a plain count
  std::int64_t min = 0, max = kMaxMs;
};
const std::vector<TimingField>& TimingTable();

}  // namespace swarmplan::model::keys
